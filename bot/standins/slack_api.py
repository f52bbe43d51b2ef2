"""A local stand-in for the Slack Web API, stateful and strict enough to test against.

:class:`SlackEmulator` serves ``/api/<method>`` on 127.0.0.1 with Slack's response
shapes and error codes, keeps the workspace in memory (channels, users, messages,
threads, reactions, ephemerals, modals), imitates rate limits and outages, and
acts as Slack toward the app under test (signed Events API and interactivity
requests, or Socket Mode; see :mod:`slack_simulator`, :mod:`slack_socket`).  Point
``slack_sdk`` at it with ``AsyncWebClient(token=..., base_url=emulator.api_url)``.
"""

from __future__ import annotations

import asyncio
import inspect
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
from .slack_payloads import Delivery, gather_all
from .slack_socket import SlackSocketMode
from .slack_state import Params, SlackError, TokenBucket, Workspace
from .slack_web_chat import public

log = logging.getLogger(__name__)

DEFAULT_SCOPES = (
    "chat:write", "chat:write.customize", "reactions:write", "channels:history",
    "groups:history", "channels:read", "groups:read", "channels:join", "users:read", "commands",
    "im:write", "im:history", "files:read",
)
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


class SlackEmulator(SlackFiles, SlackFaults):
    """Stateful Slack Web API + Slack-as-seen-by-the-app, on an ephemeral local port."""

    def __init__(
        self, bot_token: str = "xoxb-test", signing_secret: str = "test-secret",
        scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES, team_id: str = "T0SANDBOX",
        bot_user_id: str = "UBOT", bot_id: str = "BBOT", *, app_id: str = "A0SANDBOX",
        bot_name: str = "storebridge", team_domain: str = "storebridge-sandbox",
        rate_limits: bool = True, post_rate_per_sec: float = 1.0, post_burst: int = 4,
        deliver_bot_messages: bool = True, verification_token: str = "vtoken-sandbox",
        app_token: str | None = "xapp-test",
    ) -> None:
        self.bot_token = bot_token
        self.signing_secret = signing_secret
        self.workspace = Workspace(team_id=team_id, team_domain=team_domain,
                                   bot_user_id=bot_user_id, bot_id=bot_id, app_id=app_id,
                                   bot_name=bot_name, scopes=tuple(scopes))
        self.rate_limits = rate_limits
        self.post_rate_per_sec = post_rate_per_sec
        self.post_burst = post_burst
        self.deliver_bot_messages = deliver_bot_messages
        self.verification_token = verification_token
        self.delivery_timeout = 3.0  # Slack gives an app 3 s to answer
        self.latency = 0.0
        self.calls: list[CallRecord] = []
        self.deliveries: list[Delivery] = []
        self.on_call: Callable[[CallRecord], None] | None = None
        self._method_limits: dict[str, tuple[float, int]] = {}
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        SlackSocketMode.__init__(self, app_token)
        SlackFaults.__init__(self)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, port: int = 0) -> SlackEmulator:
        """Listen on 127.0.0.1 (``port=0``: pick a free port; see :attr:`api_url`)."""
        await self._listen(port)
        await self._open_session()
        return self

    async def stop(self) -> None:
        """Finish in-flight deliveries to the app, then stop listening."""
        await self.settle()
        await self._close_session()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _listen(self, port: int) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/_emulator/response/{rid}", self._handle_response_url)
        self._add_socket_routes(app)
        self._add_file_routes(app)
        runner = web.AppRunner(app, shutdown_timeout=0.2, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
        self._runner, self._port = runner, site.port

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("SlackEmulator is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What ``slack_sdk`` expects as ``base_url`` (trailing slash included)."""
        return f"{self.base_url}/api/"

    async def go_down(self) -> None:
        """Outage: close the socket and every open connection; clients get connection refused."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def come_back(self) -> None:
        """End the outage: listen again on the same port, with all state intact."""
        if self._runner is None:
            await self._listen(self.port)

    async def settle(self) -> None:
        """Wait until every background delivery (the bot's own message events) has finished."""
        await gather_all(self._tasks)

    # -- seeding ---------------------------------------------------------------------------
    def add_channel(self, name: str, *, private: bool = False, bot_member: bool = False) -> str:
        """Create a channel; ids start with ``C`` (public) or ``G`` (private)."""
        return self.workspace.add_channel(name, private=private, bot_member=bot_member)

    def add_user(self, name: str, real_name: str | None = None, display_name: str | None = None,
                 is_bot: bool = False) -> str:
        return self.workspace.add_user(name, real_name, display_name, is_bot)

    def join(self, channel_id: str, user_id: str) -> None:
        self.workspace.channels[channel_id].members.add(user_id)

    def archive(self, channel_id: str) -> None:
        self.workspace.channels[channel_id].is_archived = True

    def add_emoji(self, *names: str) -> None:
        """Register custom emoji so ``reactions.add`` accepts them."""
        self.workspace.custom_emoji.update(names)

    # -- knobs -----------------------------------------------------------------------------
    @property
    def scopes(self) -> tuple[str, ...]:
        return self.workspace.scopes

    @scopes.setter
    def scopes(self, value: tuple[str, ...] | list[str]) -> None:
        self.workspace.scopes = tuple(value)

    @property
    def trigger_ttl(self) -> float:
        """How long a ``trigger_id`` stays usable (3 s on Slack)."""
        return self.workspace.trigger_ttl

    @trigger_ttl.setter
    def trigger_ttl(self, seconds: float) -> None:
        self.workspace.trigger_ttl = seconds

    def set_method_limit(self, method: str, per_minute: float | None, burst: int | None = None
                         ) -> None:
        """Workspace-wide token bucket for a method, e.g. ``("chat.update", 50)`` for tier 3."""
        if per_minute is None:
            self._method_limits.pop(method, None)
        else:
            burst = burst or max(1, int(per_minute // 10))
            self._method_limits[method] = (per_minute / 60.0, burst)

    def set_latency(self, seconds: float) -> None:
        """Delay every Web API answer (to exercise client timeouts)."""
        self.latency = seconds

    # -- observability ---------------------------------------------------------------------
    def calls_to(self, method: str) -> list[CallRecord]:
        return [c for c in self.calls if c.method == method]

    # The getters below return copies: tests look at Slack, they do not edit it.
    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Top-level messages (what the channel shows), oldest first."""
        return [public(m) for m in self.workspace.top_level(self.workspace.channels[channel_id])]

    def replies(self, channel_id: str, thread_ts: str) -> list[dict[str, Any]]:
        """Replies in a thread, oldest first (parent excluded)."""
        channel = self.workspace.channels[channel_id]
        return [public(m) for m in self.workspace.replies(channel, thread_ts)]

    def message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        msg = self.workspace.channels[channel_id].messages.get(ts)
        return None if msg is None else public(msg)

    def reactions(self, channel_id: str, ts: str) -> dict[str, list[str]]:
        msg = self.message(channel_id, ts) or {}
        return {r["name"]: list(r["users"]) for r in msg.get("reactions", [])}

    def ephemerals(self, user_id: str) -> list[dict[str, Any]]:
        """Ephemeral messages shown to one user (from chat.postEphemeral or a response_url)."""
        return [public(m) for m in self.workspace.ephemerals.get(user_id, [])]

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Every modal ever opened, by view id (latest version)."""
        return self.workspace.views

    def open_views(self, user_id: str) -> list[dict[str, Any]]:
        """The modal stack a user currently sees, bottom first."""
        return [self.workspace.views[v] for v in self.workspace.view_stacks.get(user_id, [])]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0,  # noqa: ASYNC109
                       interval: float = 0.01) -> Any:
        """Poll until ``predicate()`` (sync or async) is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if time.monotonic() >= deadline:
                recent = ", ".join(c.summary() for c in self.calls[-5:]) or "none"
                name = getattr(predicate, "__name__", repr(predicate))
                raise TimeoutError(f"wait_for({name}) still false after {timeout}s; "
                                   f"last API calls: {recent}")
            await asyncio.sleep(interval)

    # -- HTTP: Web API ---------------------------------------------------------------------
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
