"""One HTTP exchange with a marketplace, and the reading of its JSON envelope.

Every marketplace answers with a JSON object that says whether the call worked;
only the field names and the codes differ, and those are what a platform supplies
(:class:`Wire`). What is the same everywhere lives here:

- A connection that was never made proves the request did not leave: always
  :class:`TransientError`. A timeout or a broken connection after sending does not:
  for a call with a side effect (``unsafe``) it is :class:`OutcomeUnknown`, so the
  bot looks before it sends again.
- An answer that is no envelope after an unsafe call may hide a send that landed:
  a 2xx we cannot read, a 500 (the service failed half way), a 502 or 504 (a
  gateway gave up on a request it may have forwarded) are :class:`OutcomeUnknown`
  too. A 503 is not: the server says it did not take the request on. Everything
  else goes by the platform's status table.
- Error details name the method and path only, never the URL: its query may carry
  an access token or an app secret.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from connectors.backoff import parse_retry_after
from connectors.errors import ConnectorError, OutcomeUnknown, TransientError

#: Statuses after which a request with a side effect may have taken effect.
MAYBE_FORWARDED = frozenset({500, 502, 504})


@dataclass(frozen=True)
class Reply:
    """What came back: the status, the body as a JSON object (None when it is not
    one), the raw bytes and the ``Retry-After`` hint in seconds."""

    status: int
    body: dict[str, Any] | None
    raw: bytes = field(repr=False)
    retry_after: float | None = None


def _is_envelope(body: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class Wire:
    """What one marketplace's envelope differs in.

    ``verdict`` reads an envelope: the error it reports, or None for success (told
    whether the call was ``unsafe``, for codes that leave the outcome open).
    ``by_status`` names the error for an answer without a usable envelope.
    ``is_envelope`` says whether a JSON object is the platform's envelope at all.
    """

    name: str
    verdict: Callable[[Reply, dict[str, Any], bool], ConnectorError | None]
    by_status: Callable[[Reply], ConnectorError]
    is_envelope: Callable[[dict[str, Any]], bool] = _is_envelope


async def exchange(session: aiohttp.ClientSession, method: str, url: Any, *, name: str,
                   where: str, unsafe: bool, now: float, **request: Any) -> Reply:
    """Send one request (``request`` goes to ``session.request`` as it is, the
    timeout included) and read the whole answer."""
    try:
        async with session.request(method, url, **request) as resp:
            raw = await resp.read()
            status = resp.status
            retry_after = parse_retry_after(resp.headers.get("Retry-After"), now)
    except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
        raise TransientError(f"{where}: cannot connect ({_why(exc)})", code="connect",
                             user_message=f"{name} could not be reached.") from exc
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        if unsafe:
            raise OutcomeUnknown(f"{where}: no answer in time after sending",
                                 code="timeout") from exc
        raise TransientError(f"{where}: timed out", code="timeout",
                             user_message=f"{name} did not answer in time.") from exc
    except aiohttp.ClientError as exc:
        if unsafe:
            raise OutcomeUnknown(f"{where}: connection lost after sending ({_why(exc)})",
                                 code="disconnected") from exc
        raise TransientError(f"{where}: connection lost ({_why(exc)})", code="disconnected",
                             user_message=f"{name} dropped the connection.") from exc
    return Reply(status, _json_object(raw), raw, retry_after)


def _why(exc: BaseException) -> str:
    # A refused connection names the host and port, which helps; other aiohttp
    # errors may quote the request URL, and with it its secrets.
    if isinstance(exc, aiohttp.ClientConnectorError):
        return str(exc)
    return type(exc).__name__


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def unwrap(wire: Wire, reply: Reply, *, where: str, unsafe: bool) -> dict[str, Any]:
    """The envelope of a successful call; raises the error it reports otherwise."""
    body = reply.body
    if body is None or not wire.is_envelope(body):
        raise without_envelope(wire, reply, where=where, unsafe=unsafe)
    error = wire.verdict(reply, body, unsafe)
    if error is not None:
        raise error
    if reply.status >= 400:
        raise without_envelope(wire, reply, where=where, unsafe=unsafe)
    return body


def without_envelope(wire: Wire, reply: Reply, *, where: str, unsafe: bool
                     ) -> ConnectorError:
    status = reply.status
    unreadable = 200 <= status < 300
    if unsafe and (unreadable or status in MAYBE_FORWARDED):
        return OutcomeUnknown(f"{where}: HTTP {status} without a readable answer after "
                              "sending", code=f"http:{status}")
    if unreadable:
        # The body stays out of the detail: a token endpoint's answer holds secrets.
        return TransientError(f"{where}: HTTP {status} with {len(reply.raw)} bytes that are "
                              "no envelope", code="bad_body",
                              user_message=f"{wire.name} answered with something unreadable.")
    return wire.by_status(reply)
