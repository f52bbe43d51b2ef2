"""The stand-in's Web API over HTTP: arguments and token read as Slack reads them,
rate limits, injected faults and latency, and every call recorded."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import slack_web_chat, slack_web_read, slack_web_views
from .slack_faults import SlackFaults
from .slack_files import SlackFiles
from .slack_requests import Params, SlackError, TokenBucket

log = logging.getLogger(__name__)

METHODS = {**slack_web_chat.METHODS, **slack_web_read.METHODS, **slack_web_views.METHODS}
_STRUCTURED = ("blocks", "attachments", "metadata", "view")


@dataclass
class CallRecord:
    """One Web API request as the emulator saw and answered it."""

    method: str
    params: dict[str, Any]
    response: dict[str, Any]
    status: int
    time: float

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.ok else self.response.get("error", f"http_{self.status}")

    def summary(self) -> str:
        """One transcript line, e.g. ``chat.postMessage C00000001 "hi" -> ok 1763830000.000100``."""
        where = self.params.get("channel", "")
        text = str(self.params.get("text", ""))[:60].replace("\n", " ")
        outcome = "ok" if self.ok else f"{self.status} {self.error}"
        ts = self.response.get("ts") or self.response.get("message_ts") or ""
        return " ".join(x for x in (self.method, where, f'"{text}"' if text else "", "->",
                                    outcome, str(ts)) if x)


class SlackWebApi(SlackFiles, SlackFaults):
    """Serves ``/api/<method>`` (the emulator's knobs set what these read)."""

    rate_limits: bool
    post_rate_per_sec: float
    post_burst: int
    latency: float
    calls: list[CallRecord]
    on_call: Callable[[CallRecord], None] | None
    _method_limits: dict[str, tuple[float, int]]
    _buckets: dict[tuple[str, str], TokenBucket]

    async def _read_params(self, request: web.Request) -> tuple[Params, str | None]:
        """Merge query, form and JSON arguments; find the token the way Slack does.

        Slack takes the token from the ``Authorization: Bearer`` header or a form field.
        A JSON body cannot carry it, and apps created since Feb 2021 may not put it in
        the query string: both are ignored here, so such calls fail with ``not_authed``.
        """
        params = Params(request.query)
        params.pop("token", None)
        token = None
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise SlackError("invalid_json") from None
                params.update(body if isinstance(body, dict) else {})
                params.pop("token", None)
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
                token = params.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        for key in _STRUCTURED:  # decode JSON strings from forms; handlers reject bad ones
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key]) if params[key].strip() else None
                except ValueError:
                    pass
        return params, token

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self.latency:
            await asyncio.sleep(self.latency)
        headers = {"x-oauth-scopes": ",".join(self.workspace.scopes)}
        params: Params = Params()
        try:
            params, token = await self._read_params(request)
            status, body = self._answer(method, params, token, headers)
        except SlackError as exc:
            status, body = 200, {"ok": False, "error": exc.error, **exc.extra}
        self._record(method, params, body, status)
        self._flush_outbox()
        late = self._take_late(method, params)
        if late:
            await asyncio.sleep(late)
        if isinstance(body, str):
            return web.Response(status=status, text=body, content_type="text/html",
                                headers=headers)
        return web.json_response(body, status=status, headers=headers)

    def _answer(self, method: str, params: Params, token: str | None,
                headers: dict[str, str]) -> tuple[int, dict[str, Any] | str]:
        handler = METHODS.get(method) or self._socket_method(method)
        if handler is None:
            return 404, {"ok": False, "error": "unknown_method"}
        self._check_token(method, token)  # bot token, or app-level for apps.connections.open
        failure = self._take_failure(method)
        if failure is not None:
            return self._failure_answer(failure, headers)
        wait = self._rate_wait(method, params)
        if wait:
            headers["Retry-After"] = str(wait)
            return 429, {"ok": False, "error": "ratelimited"}
        return 200, handler(self.workspace, params)

    def _rate_wait(self, method: str, params: Params) -> int:
        """0 if allowed, else Retry-After seconds.  chat.postMessage: per channel."""
        if not self.rate_limits:
            return 0
        limits: list[tuple[tuple[str, str], float, int]] = []
        if method == "chat.postMessage":
            try:
                channel = self.workspace.channel(params.text("channel")).id
            except SlackError:
                channel = None
            if channel:
                limits.append(((method, channel), self.post_rate_per_sec, self.post_burst))
        if method in self._method_limits:
            limits.append(((method, "*"), *self._method_limits[method]))
        for key, rate, burst in limits:
            bucket = self._buckets.get(key)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
                bucket = self._buckets[key] = TokenBucket(rate, burst)
            wait = bucket.take()
            if wait:
                return wait
        return 0

    def _record(self, method: str, params: Params, body: dict[str, Any] | str,
                status: int) -> None:
        response = body if isinstance(body, dict) else {"ok": False, "raw": body}
        record = CallRecord(method, dict(params), json.loads(json.dumps(response)), status,
                            time.time())
        self.calls.append(record)
        if self.on_call is not None:
            try:
                self.on_call(record)
            except Exception:  # a broken transcript printer must not break the API
                log.exception("SlackEmulator.on_call hook failed")

    # -- HTTP: response_url ----------------------------------------------------------------
    async def _handle_response_url(self, request: web.Request) -> web.Response:
        try:
            payload = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        status, body = self._apply_response_url(request.match_info["rid"], payload)
        self._flush_outbox()
        return web.json_response(body, status=status)
