"""``POST /slack/events`` over HTTP: check the request before bolt sees it.

Bolt parses the body while building its request object, before its own signature
check, so a malformed body used to surface as a 500 and a traceback. Here the
signature is checked first (slack_sdk's ``SignatureVerifier``) and the body's shape
second: unsigned or forged is 401, signed but malformed is 400, and neither is
logged above WARNING.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.request_body import read_body
from bot.store import urgently

log = logging.getLogger(__name__)

#: Exceptions a listener raises when a signed payload lacks a field or has the wrong
#: type (``body["user"]["id"]``, ``int(action["value"])``). Anything else (a database
#: error, Slack unreachable) stays a 500 so Slack retries.
MALFORMED = (KeyError, IndexError, TypeError, ValueError, AttributeError)
#: Seconds a Slack request may take before it is answered 503: inside Slack's 3 s.
SLACK_BOUND = 2.5


def shape_problem(payload: Any) -> str | None:
    """What is wrong with a parsed Slack payload, or None if bolt can take it."""
    if not isinstance(payload, dict):
        return "payload is not an object"
    if "command" in payload:  # slash command: form fields, all text
        bad = [k for k, v in payload.items() if not isinstance(v, str)]
        return f"fields {bad} are not text" if bad else None
    kind = payload.get("type")
    if not isinstance(kind, str):
        return "missing type"
    return _field_problem(kind, payload) or _nested_problem(payload)


_INTERACTIVE = ("block_actions", "block_suggestion", "view_submission", "view_closed",
                "shortcut", "message_action")


def _expected(kind: str) -> dict[str, type]:
    """The top-level fields a payload of this type must have, and their types."""
    if kind == "event_callback":
        return {"event": dict}
    if kind == "url_verification":
        return {"challenge": str}
    if kind not in _INTERACTIVE:
        return {}
    expected: dict[str, type] = {"user": dict}
    if kind == "block_actions":
        expected["actions"] = list
    if kind.startswith("view_"):
        expected["view"] = dict
    return expected


def _field_problem(kind: str, payload: dict[str, Any]) -> str | None:
    event = payload.get("event")
    if kind == "event_callback" and isinstance(event, dict) and not isinstance(
            event.get("type"), str):
        return "event.type is missing"
    for key, typ in _expected(kind).items():
        if not isinstance(payload.get(key), typ):
            return f"{key} is missing or not {typ.__name__}"
    return None


def _nested_problem(payload: dict[str, Any]) -> str | None:
    for key in ("user", "channel", "team", "enterprise", "container", "message", "view"):
        value = payload.get(key)  # bolt reads ids out of these while building context
        if value is not None and not isinstance(value, dict | str):
            return f"{key} has the wrong type"
    actions = payload.get("actions")
    if actions is not None and not (isinstance(actions, list)
                                    and all(isinstance(a, dict) for a in actions)):
        return "actions are not objects"
    return None


async def slack_events(request: web.Request, bolt: AsyncApp, signing_secret: str,
                       timeout: float) -> web.Response:
    raw = await read_body(request, timeout)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        body = None  # Slack signs UTF-8 text; the verifier cannot even hash this
    if body is None or not signing_secret or not SignatureVerifier(
            signing_secret).is_valid_request(body, dict(request.headers)):
        return web.json_response({"error": "invalid signature"}, status=401)
    try:
        payload = parse_body(body, request.content_type)
    except ValueError as e:  # JSONDecodeError
        return _malformed(f"not parseable ({type(e).__name__})")
    problem = shape_problem(payload)
    if problem:
        return _malformed(problem)
    try:
        bolt_request = AsyncBoltRequest(body=body, query=request.query_string,
                                        headers=dict(request.headers))
    except MALFORMED as e:
        return _malformed(f"{type(e).__name__}: {e}")
    # Shielded and bounded: a locked database makes Slack retry (the event id drops
    # the duplicate) instead of timing out and marking the app as failing.
    work = asyncio.ensure_future(urgently(bolt.async_dispatch(bolt_request)))
    try:
        answer = await asyncio.wait_for(asyncio.shield(work), SLACK_BOUND)
    except TimeoutError:
        work.add_done_callback(_log_late)
        log.warning("Slack request not handled within %.1f s; answered 503", SLACK_BOUND)
        return web.Response(status=503, text="busy; please retry")
    return await to_aiohttp_response(answer)


def _log_late(task: asyncio.Future[BoltResponse]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("a late Slack request failed: %s", task.exception())


def _malformed(why: str) -> web.Response:
    log.warning("signed Slack request with a malformed body: %s; answered 400", why)
    return web.json_response({"error": "malformed payload", "detail": why}, status=400)


def install_error_handler(bolt: AsyncApp) -> None:
    """A listener that fails on a malformed signed payload answers 400 (logged as a
    warning, no traceback); any other failure keeps bolt's 500 so Slack retries."""

    async def on_error(error: Exception, response: BoltResponse) -> BoltResponse | None:
        if isinstance(error, MALFORMED):
            log.warning("Slack payload a listener could not read (%s: %s); answered 400",
                        type(error).__name__, error)
            log.debug("malformed Slack payload", exc_info=error)
            return BoltResponse(status=400, body='{"error": "malformed payload"}',
                                headers={"content-type": "application/json"})
        log.error("Slack listener failed", exc_info=error)
        return None

    bolt.error(on_error)
