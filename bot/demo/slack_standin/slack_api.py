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
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .slack_faults import SlackFaults
from .slack_payloads import Delivery, gather_all
from .slack_requests import TokenBucket
from .slack_socket import SlackSocketMode
from .slack_state import Workspace
from .slack_web_api import CallRecord, SlackWebApi
from .slack_web_chat import public

DEFAULT_SCOPES = (
    "chat:write", "chat:write.customize", "reactions:write", "channels:history",
    "groups:history", "channels:read", "groups:read", "channels:join", "users:read", "commands",
    "im:write", "im:history", "files:read",
)


class SlackEmulator(SlackWebApi):
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
