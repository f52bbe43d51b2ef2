"""Signed HTTP calls to Shopee, envelope parsing and the rate-limit backoff helper."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from connectors.errors import OutcomeUnknown, RateLimited, TransientError
from connectors.retry_after import parse_retry_after
from connectors.shopee.errors import classify, classify_http
from connectors.shopee.signing import public_sign, shop_sign

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded, capped, jittered backoff for Shopee's rate-limit answers."""

    attempts: int = 3  # tries in total, the first included
    base_delay: float = 0.5
    max_delay: float = 10.0  # a longer Retry-After is handed to the caller instead of slept
    jitter: float = 0.25  # up to +25 % random extra per wait


async def with_backoff(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    rand: Callable[[], float] = random.random,
) -> T:
    """Run ``call``; on :class:`RateLimited` wait (Retry-After when given, else
    exponential) and try again, at most ``policy.attempts`` times in all."""
    attempt = 0
    while True:
        try:
            return await call()
        except RateLimited as exc:
            attempt += 1
            wait = exc.retry_after
            if wait is None:
                wait = policy.base_delay * (2 ** (attempt - 1))
            if attempt >= policy.attempts or wait > policy.max_delay:
                if exc.retry_after is None:
                    exc.retry_after = wait
                raise
            wait *= 1 + policy.jitter * rand()
            log.info("shopee rate limited (%s); retrying in %.2fs", exc.code, wait)
            await sleep(wait)


class ShopeeHttp:
    """One partner's signed requests. Stateless apart from configuration."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        partner_id: int,
        partner_key: str,
        connect_timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self.partner_id = int(partner_id)
        self._key = partner_key
        self._connect_timeout = connect_timeout
        self._clock = clock

    def signed_query(
        self, path: str, *, access_token: str | None = None, shop_id: str | None = None
    ) -> dict[str, str]:
        ts = int(self._clock())
        query = {"partner_id": str(self.partner_id), "timestamp": str(ts)}
        if access_token is not None and shop_id is not None:
            query["sign"] = shop_sign(self._key, self.partner_id, path, ts, access_token, shop_id)
            query["access_token"] = access_token
            query["shop_id"] = str(shop_id)
        else:
            query["sign"] = public_sign(self._key, self.partner_id, path, ts)
        return query

    async def call(
        self,
        base_url: str,
        path: str,
        *,
        method: str = "GET",
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        access_token: str | None = None,
        shop_id: str | None = None,
        read_timeout: float = 10.0,
        unsafe: bool = False,
        top_level: bool = False,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """One signed call. Returns ``response`` (or the whole envelope for the token
        APIs, which put their fields at top level). ``unsafe`` marks a call with a side
        effect: once it went out, a lost answer is :class:`OutcomeUnknown`."""
        query = self.signed_query(path, access_token=access_token, shop_id=shop_id)
        if method == "GET" and params:
            query.update({k: _qs(v) for k, v in params.items() if v is not None})
        kwargs: dict[str, Any] = {"params": query}
        if files:  # multipart uploads (field -> (filename, bytes, content type)); unsigned
            form = aiohttp.FormData()
            for name, (filename, data, ctype) in files.items():
                form.add_field(name, data, filename=filename, content_type=ctype)
            kwargs["data"] = form
        elif method != "GET":
            kwargs["json"] = dict(body or {})
        # sock_read bounds the wait for an answer; connect bounds reaching the host, and
        # only a connect failure proves the request never left.
        kwargs["timeout"] = aiohttp.ClientTimeout(
            total=None, connect=self._connect_timeout, sock_read=read_timeout
        )
        try:
            async with self._session.request(method, base_url + path, **kwargs) as resp:
                status = resp.status
                retry_after = parse_retry_after(resp.headers.get("Retry-After"), self._clock())
                raw = await resp.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise TransientError(f"shopee {path}: cannot connect: {exc!r}", code="connect",
                                 user_message="Shopee could not be reached.") from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            if unsafe:
                raise OutcomeUnknown(f"shopee {path}: no answer in {read_timeout}s",
                                     code="timeout") from exc
            raise TransientError(f"shopee {path}: timed out", code="timeout",
                                 user_message="Shopee did not answer in time.") from exc
        except aiohttp.ClientError as exc:
            if unsafe:
                raise OutcomeUnknown(f"shopee {path}: connection lost: {exc!r}",
                                     code="disconnected") from exc
            raise TransientError(f"shopee {path}: connection lost: {exc!r}",
                                 code="disconnected") from exc
        return self._envelope(path, status, raw, retry_after, unsafe=unsafe, top_level=top_level)

    def _envelope(
        self, path: str, status: int, raw: bytes, retry_after: float | None, *,
        unsafe: bool, top_level: bool,
    ) -> dict[str, Any]:
        try:
            data = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            if 200 <= status < 300:
                raise TransientError(f"shopee {path}: HTTP {status} with a non-JSON body",
                                     code="bad_body")
            if unsafe and status in (502, 504):
                # A gateway that gave up may have forwarded the send already.
                raise OutcomeUnknown(f"shopee {path}: gateway HTTP {status}",
                                     code=f"http:{status}")
            raise classify_http(status, retry_after=retry_after)
        error = data.get("error") or ""
        if error:
            raise classify(str(error), str(data.get("message") or ""), http_status=status,
                           retry_after=retry_after, now=self._clock(),
                           request_id=str(data.get("request_id") or ""))
        if status >= 400:
            raise classify_http(status, retry_after=retry_after)
        if top_level:
            return data
        response = data.get("response")
        return response if isinstance(response, dict) else {}


def _qs(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return json.dumps(list(value))
    return str(value)
