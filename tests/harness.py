"""A whole StoreBridge over real HTTP: the Slack emulator, the sandbox
marketplace, and the service's aiohttp app on ephemeral ports."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.fernet import Fernet

from bot.config import (
    GroupConfig,
    SandboxConfig,
    Settings,
    SlackConfig,
    StoreConfig,
    TranslationConfig,
)
from bot.demo.marketplace import SandboxMarketplace
from bot.demo.slack_standin.slack_api import SlackEmulator
from bot.demo.slack_standin.slack_commands import commands_from_manifest
from bot.health_access import HEALTH_ENV
from bot.http import build_web_app
from bot.service import Service
from bot.store import Conversation
from bot.store.token_cipher import SECRET_ENV
from tests.block_ids import assert_unique_ids

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yml"
#: Every bridge seals tokens with a key made for this test run, never a fixed one.
TEST_SECRET_KEY = Fernet.generate_key().decode()
HEALTH_TOKEN = "health-" + Fernet.generate_key().decode()[:16]
#: Headers that let a test read /healthz's detail.
HEALTH_AUTH = {"Authorization": f"Bearer {HEALTH_TOKEN}"}
SHOP = "sg-1"
BUYER = "b-rachel"


class ShiftedClock:
    """Real time plus an offset the test moves forward: scheduled checks see the
    future without the test sleeping, and everything else keeps running."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Bridge:
    slack: SlackEmulator
    market: SandboxMarketplace
    service: Service
    base_url: str
    agent: str
    outsider: str
    channels: dict[str, str] = field(default_factory=dict)
    runner: web.AppRunner | None = None
    agents: list[str] = field(default_factory=list)  # agent first; more with agents=N
    manager: str = ""
    clock: ShiftedClock | None = None
    admin: str = ""  # with two_teams=True: the workspace admin

    @property
    def store(self) -> Any:
        return self.service.store

    async def wait(self, predicate: Callable[[], Any], timeout: float = 8.0) -> Any:
        return await self.slack.wait_for(predicate, timeout=timeout)

    async def until(self, fetch: Callable[[], Awaitable[Any]],
                    check: Callable[[Any], Any] = bool, timeout: float = 8.0) -> Any:
        """Poll an async read (the store is async) until ``check`` holds; its value."""
        async def ready() -> Any:
            value = await fetch()
            return value if value is not None and check(value) else None
        return await self.slack.wait_for(ready, timeout=timeout)

    async def buyer_says(self, text: str = "Hi, has my order shipped?", *, shop: str = SHOP,
                         buyer: str = BUYER, **kw: Any) -> dict[str, Any]:
        return await self.market.buyer_says(shop, buyer, text, **kw)

    async def conversation(self, shop: str = SHOP) -> Conversation | None:
        row = await self.store.database.one(
            "SELECT c.id FROM conversations c JOIN stores s ON s.key = c.store_key "
            "WHERE s.shop_id = ? ORDER BY c.id LIMIT 1", shop)
        return await self.store.conversations.get(row[0]) if row else None

    async def thread(self, shop: str = SHOP) -> Conversation:
        """The conversation once its thread exists in Slack."""
        async def ready() -> Conversation | None:
            conv = await self.conversation(shop)
            return conv if conv and conv.thread_ts else None
        return await self.wait(ready)

    def replies(self, conv: Conversation) -> list[dict[str, Any]]:
        return [m for m in self.slack.replies(conv.channel_id, conv.thread_ts)
                if m["ts"] != conv.thread_ts]

    def reactions(self, conv: Conversation, ts: str) -> set[str]:
        return set(self.slack.reactions(conv.channel_id, ts))

    async def agent_replies(self, conv: Conversation, text: str, user: str | None = None
                            ) -> str:
        return await self.slack.user_posts(user or self.agent, conv.channel_id, text,
                                           thread_ts=conv.thread_ts)

    def sent_texts(self, shop: str = SHOP) -> list[str]:
        return [m["content"]["text"] for m in self.market.sent_messages(shop)]

    async def settle(self) -> None:
        """Let the service finish what it can do now."""
        await self.market.drain()
        await asyncio.sleep(0.05)
        await self.service.outbox.idle()


def settings_for(slack: SlackEmulator, market: SandboxMarketplace, agent: str, db: str,
                 **overrides: Any) -> Settings:
    stores = tuple(
        StoreConfig(platform=s.platform, shop_id=s.shop_id, site=s.site, name=s.name,
                    nickname=f"{s.name} ({s.site})" if s.platform == "lazada" else None,
                    channel=f"#cs-{s.platform}-{s.site.lower()}", group="team",
                    connector="sandbox", credentials={"access_token": s.access_token})
        for s in market.ledger.stores.values())
    base = Settings(
        ops_channel="#cs-ops", groups=(GroupConfig("team", members=(agent,)),),
        stores=stores,
        slack=SlackConfig(bot_token=slack.bot_token, signing_secret=slack.signing_secret,
                          api_url=slack.api_url, post_rate_per_channel=50, post_burst=50),
        sandbox=SandboxConfig(url=market.base_url, app_key=market.app_key,
                              app_secret=market.app_secret),
        db_path=db, env={"SANDBOX_SEND_TIMEOUT": "0.5"}, source="<test>",
        send_max_attempts=3, translation=TranslationConfig(provider="none"))
    settings = replace(base, **overrides)
    # A key made for this run and a health token; an override's own values win.
    return replace(settings, env={SECRET_ENV: TEST_SECRET_KEY, HEALTH_ENV: HEALTH_TOKEN,
                                  **settings.env})


def seed(market: SandboxMarketplace) -> None:
    market.add_store(SHOP, "shopee", "SG", "Kopi & Co. Homeware", "tok-sg", "en")
    market.add_buyer(SHOP, BUYER, "Rachel Tan", "en", avatar_url="https://img.example/r.png")
    market.add_buyer(SHOP, "b-daniel", "Daniel Goh", "en")
    market.add_store("my-1", "lazada", "MY", "Men's Clothing Official", "tok-my", "ms")
    market.add_buyer("my-1", "b-aisyah", "Nurul Aisyah", "ms")


async def serve(app: web.Application, port: int = 0) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@asynccontextmanager
async def running_bridge(tmp_path: Path, *, slack_kwargs: dict[str, Any] | None = None,
                         private_channel: bool = False,
                         service_kwargs: dict[str, Any] | None = None,
                         socket_mode: bool = False, agents: int = 1,
                         signing_secret: str | None = None,
                         extra_stores: tuple[StoreConfig, ...] = (), two_teams: bool = False,
                         **overrides: Any) -> AsyncIterator[Bridge]:
    """``two_teams``: the Lazada store belongs to group "other" whose only member is
    the second agent (``agents[1]``, "an"); the rest stay in "team"; ``admin`` is set."""
    slack_kwargs = {"rate_limits": False, **(slack_kwargs or {})}
    async with SlackEmulator(**slack_kwargs) as slack, SandboxMarketplace() as market:
        seed(market)
        market.push_retry_delays = (0.05, 0.1, 0.2)
        agent = slack.add_user("mai", real_name="Mai Tran", display_name="Mai")
        names = ["an", "binh", "chi", "dung"][:max(0, agents - 1)]
        team = [agent] + [slack.add_user(n, real_name=n.title(), display_name=n.title())
                          for n in names]
        manager = slack.add_user("boss", real_name="Bo Manager", display_name="Bo")
        outsider = slack.add_user("visitor", real_name="Vic Visitor")
        admin = slack.add_user("ada", real_name="Ada Admin") if two_teams else ""
        channels = {}
        for name in ("cs-shopee-sg", "cs-lazada-my", "cs-ops"):
            private = private_channel and name == "cs-lazada-my"
            channels[name] = slack.add_channel(name, private=private)
            for user in (*team, manager, outsider, *([admin] if admin else [])):
                slack.join(channels[name], user)
        if two_teams:
            overrides.setdefault("groups", (
                GroupConfig("team", members=tuple(u for u in team if u != team[1]),
                            managers=(manager,)),
                GroupConfig("other", members=(team[1],))))
            overrides.setdefault("admins", (admin,))
        overrides.setdefault("groups", (GroupConfig("team", members=tuple(team),
                                                    managers=(manager,)),))
        settings = settings_for(slack, market, agent, str(tmp_path / "sb.db"), **overrides)
        if two_teams:
            settings = replace(settings, stores=tuple(
                replace(st, group="other") if st.platform == "lazada" else st
                for st in settings.stores))
        if extra_stores:
            settings = replace(settings, stores=(*settings.stores, *extra_stores))
        if signing_secret is not None:  # "" : Socket Mode without a signing secret
            settings = replace(settings, slack=replace(settings.slack,
                                                       signing_secret=signing_secret))
        clock = ShiftedClock()
        service = Service(settings, **{"repair_on_start": False, "stable_for": 0.2,
                                       "probe_base": 0.2, "clock": clock,
                                       **(service_kwargs or {})})
        token = slack.app_token if socket_mode else None
        runner, base = await serve(build_web_app(service, socket_mode_token=token))
        # The slash commands as the shipped manifest declares them (should_escape too)
        commands = commands_from_manifest(MANIFEST)
        if socket_mode:
            slack.configure_app(socket_mode=True, slash_commands=commands)
            await slack.wait_for(lambda: slack.socket_connections)
        else:
            slack.configure_app(f"{base}/slack/events", slash_commands=commands)
        market.set_webhook(f"{base}/webhooks/sandbox")
        bridge = Bridge(slack, market, service, base, agent, outsider, channels, runner,
                        agents=team, manager=manager, clock=clock, admin=admin)
        try:
            yield bridge
            assert_unique_ids(slack.workspace)  # the project's rule, see tests/block_ids.py
        finally:
            await runner.cleanup()
