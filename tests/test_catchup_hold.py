"""Posts held while a store catches up, released in the buyer's order; a dead worker's
marker goes stale; a message that still arrives late shows when it was sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bot.service import Service
from connectors.models import (
    Buyer,
    BuyerId,
    ConversationId,
    InboundMessage,
    MessageKind,
    PlatformMessageId,
    ShopId,
)
from tests.harness import BUYER, SHOP, running_bridge


def store_key(service: Service) -> str:
    return next(k for k, c in service.hub.stores.items() if c.shop_id == SHOP)


def message(mid: str, text: str, at: float) -> InboundMessage:
    return InboundMessage(shop_id=ShopId(SHOP), conversation_id=ConversationId(f"c-{BUYER}"),
                          message_id=PlatformMessageId(mid),
                          buyer=Buyer(BuyerId(BUYER), "Rachel Tan"),
                          kind=MessageKind.TEXT, text=text,
                          sent_at=datetime.fromtimestamp(at, UTC))


def shown(b: object, conv: object) -> list[str]:
    texts = []
    for m in b.replies(conv):  # type: ignore[attr-defined]
        for block in m.get("blocks") or []:
            text = (block.get("text") or {}).get("text", "")
            if text.startswith("m"):
                texts.append(text)
    return texts


async def test_held_posts_are_released_in_platform_order(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        key = store_key(b.service)
        await b.service.catchup.begin([key])
        now = b.store.database.clock()
        # Claimed newest first (a live push before the catch-up's older pages).
        for i in (3, 1, 2, 0):
            await b.service.ingest.accept(key, [message(f"p{i}", f"m{i}", now - 100 + i)])
        conv = await b.thread()
        await b.settle()
        assert shown(b, conv) == []  # held: nothing in the thread yet
        assert await b.service.catchup.end(key) == 4
        await b.wait(lambda: len(shown(b, conv)) == 4)
        assert shown(b, conv) == ["m0", "m1", "m2", "m3"]
        # Caught up: the next live message is posted at once.
        await b.service.ingest.accept(key, [message("p4", "m4", now)])
        await b.wait(lambda: shown(b, conv)[-1:] == ["m4"])


async def test_a_dead_workers_marker_goes_stale(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        key = store_key(b.service)
        await b.store.catchups.begin(key, "dead-worker")
        now = b.store.database.clock()
        await b.service.ingest.accept(key, [message("p0", "m0", now - 5)])
        conv = await b.thread()
        await b.service._sweep()
        await b.settle()
        assert shown(b, conv) == []  # the marker is still fresh
        assert b.clock is not None
        b.clock.advance(61)
        await b.service._sweep()
        await b.wait(lambda: shown(b, conv) == ["m0"])


async def test_a_late_message_shows_when_it_was_sent(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        key = store_key(b.service)
        now = b.store.database.clock()
        await b.service.ingest.accept(key, [message("p1", "m1 newer", now - 60)])
        conv = await b.thread()
        await b.wait(lambda: shown(b, conv) == ["m1 newer"])
        await b.service.ingest.accept(key, [message("p0", "m0 older", now - 600)])
        await b.wait(lambda: len(shown(b, conv)) == 2)
        first, late = b.replies(conv)
        assert "arrived" not in json.dumps(first["blocks"])
        note = json.dumps(late["blocks"], ensure_ascii=False)
        assert f"sent <!date^{int(now - 600)}^" in note and ", arrived <!date^" in note
