"""The Slack outbox on its own: a real Store (SQLite, or PostgreSQL with
STOREBRIDGE_TEST_DATABASE_URL, see tests/dbmode.py) and the Slack stand-in over
HTTP, with no service around them. Each :meth:`World.outbox` is one "process":
stopping it mid-call and building another over the same database is a crash and
a restart."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.slack_standin.slack_api import SlackEmulator
from bot.leases import LeaseKeeper
from bot.slack_directory import SlackDirectory
from bot.slack_outbox import SlackOutbox
from bot.slack_work import SlackWork
from bot.store import Store
from connectors.models import Buyer, InboundMessage, MessageKind

STORE = "shopee:sg-1"
CHANNEL = "#cs-shop"
OPS = "#cs-ops"
_ids = itertools.count(1)


async def store_info(key: str) -> dict[str, str]:
    return {"site": "SG", "platform": "shopee", "name": "Kopi & Co."}


@dataclass
class World:
    slack: SlackEmulator
    store: Store
    client: AsyncWebClient
    agent: str
    channels: dict[str, str]  # ref -> Slack id
    outboxes: list[SlackOutbox] = field(default_factory=list)

    def outbox(self, *, leases: LeaseKeeper | None = None, post_rate: float = 50.0,
               post_burst: int = 50) -> SlackOutbox:
        directory = SlackDirectory(self.client, self.store.books)
        outbox = SlackOutbox(self.store, self.client, directory, stores=store_info,
                             post_rate=post_rate, post_burst=post_burst, leases=leases)
        self.outboxes.append(outbox)
        return outbox

    async def conversation(self, text: str = "Where is my parcel?", *,
                           buyer: str = "b-rachel") -> int:
        """A buyer's message claimed as a push would: its post_root, post_message and
        card update are queued on #cs-shop (no worker is woken)."""
        n = next(_ids)
        msg = InboundMessage(
            shop_id="sg-1", conversation_id=f"c-{buyer}", message_id=f"m-{n}",
            buyer=Buyer(buyer, "Rachel Tan", "https://img.example/r.png"), kind=MessageKind.TEXT,
            text=text, sent_at=datetime.now(UTC))
        claim = await self.store.conversations.claim_inbound(
            STORE, "shopee", "SG", CHANNEL, msg, text)
        return claim.conversation_id

    async def enqueue(self, kind: SlackWork, ref: str = OPS, **kw: Any) -> int:
        await self.store.ops.enqueue(ref, kind, **kw)
        return int(await self.store.database.value("SELECT MAX(id) FROM slack_ops"))

    async def op(self, op_id: int) -> dict[str, Any]:
        row = await self.store.database.one("SELECT * FROM slack_ops WHERE id = ?", op_id)
        assert row is not None
        return {k: row[k] for k in row.keys()}

    async def until(self, fetch: Callable[[], Awaitable[Any]],
                    check: Callable[[Any], Any] = bool, timeout: float = 8.0) -> Any:
        async def ready() -> list[Any] | None:
            value = await fetch()
            return [value] if check(value) else None  # truthy even when value is not
        return (await self.slack.wait_for(ready, timeout=timeout))[0]

    async def state(self, op_id: int, *states: str, timeout: float = 8.0) -> dict[str, Any]:
        """The op once it is in one of ``states``."""
        return await self.until(lambda: self.op(op_id), lambda r: r["state"] in states,
                                timeout=timeout)

    def posts(self, ref: str = OPS) -> list[str]:
        return [m.get("text", "") for m in self.slack.messages(self.channels[ref])]

    def calls(self, method: str) -> list[tuple[str, str | None]]:
        """(channel, error or None) of each call of ``method``."""
        return [(str(c.params.get("channel", "")), c.error) for c in self.slack.calls_to(method)]


@asynccontextmanager
async def outbox_world(tmp_path: Path) -> AsyncIterator[World]:
    async with SlackEmulator(rate_limits=False) as slack:
        agent = slack.add_user("mai", real_name="Mai Tran", display_name="Mai")
        channels = {CHANNEL: slack.add_channel("cs-shop", bot_member=True),
                    OPS: slack.add_channel("cs-ops", bot_member=True)}
        for ch in channels.values():
            slack.join(ch, agent)
        store = await Store.open(str(tmp_path / "outbox.db"))
        await store.books.upsert_store(
            STORE, platform="shopee", connector="sandbox", shop_id="sg-1", site="SG",
            name="Kopi & Co.", nickname=None, channel_ref=CHANNEL, group_name=None)
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, timeout=5,
                                retry_handlers=[])
        world = World(slack, store, client, agent, channels)
        try:
            yield world
        finally:
            for outbox in world.outboxes:
                await outbox.stop()
            await asyncio.sleep(0)
            await store.close()
