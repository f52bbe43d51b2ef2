"""A store's first connection brings in the conversations waiting for an answer within
the backfill window, at once (TikTok here: it used to backfill nothing)."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp

from bot.config import StoreConfig
from tests.emulators import tiktok
from tests.harness import running_bridge
from tests.test_platform_e2e import env_for


async def test_first_connection_backfills_waiting_conversations(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as session, tiktok.harness(session) as h:
        now = int(time.time())
        state = h.emulator.state

        def says(key: str, role: str, text: str, ago: int | None = None) -> None:
            state.add_message(h.conversation(key), role=role, content={"content": text},
                              create_time=None if ago is None else now - ago)

        says("waiting", "BUYER", "Is it in stock?", 3600)
        says("answered", "BUYER", "Where is my parcel?", 3600)
        says("answered", "SHOP", "On its way!", 3000)
        says("stale", "BUYER", "Hello?", 5 * 3600)
        store = StoreConfig(
            platform="tiktok", shop_id=str(h.store.shop_id), site=h.store.site,
            name="tiktok shop", channel="#cs-shopee-sg", group="team", connector="tiktok",
            api_url=h.store.api_url, credentials=dict(h.store.credentials))
        async with running_bridge(tmp_path, env=env_for("tiktok", h), stores=(store,),
                                  backfill_hours=2) as b:
            assert await b.service.repair(store.key) == 1
            rows = await b.store.database.all(
                "SELECT c.buyer_name, m.text FROM messages m JOIN conversations c "
                "ON c.id = m.conversation_id ORDER BY m.id")
            assert [tuple(r) for r in rows] == [("Buyer waiting", "Is it in stock?")]
            conv = await b.thread(str(h.store.shop_id))
            await b.wait(lambda: len(b.replies(conv)) == 1)
            # From now on everything new is caught up, answered conversations included.
            says("answered", "BUYER", "Thanks, and the invoice?")
            assert await b.service.repair(store.key) == 1
