"""The daily checklist's content at a pinned "now": rows written at known times,
``digest_blocks(service, now)`` read back section by section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.store.digest import DAY, Figures, percentile
from bot.team.digest import digest_blocks
from tests.harness import Bridge, running_bridge

NOW = 1_750_000_000.0
SG, MY, TH, TT = "shopee:sg-1", "lazada:my-1", "shopee:th-1", "tiktok:tt-1"


def bridge(tmp_path: Path) -> Any:
    return running_bridge(tmp_path, service_kwargs={"features": []})


async def store(b: Bridge, key: str, site: str, name: str) -> None:
    platform, shop = key.split(":")
    await b.store.books.upsert_store(key, platform=platform, connector="sandbox", shop_id=shop,
                               site=site, name=name, nickname=None, channel_ref="#cs",
                               group_name="team")


async def conversation(b: Bridge, ref: str, key: str = SG, *, status: str = "open",
                 unread: int = 0, waiting: float | None = None, assignee: str | None = None
                 ) -> int:
    return int(await b.store.database.insert(
        "INSERT INTO conversations (store_key, platform_conversation_id, ref, buyer_id, "
        "buyer_name, channel_ref, channel_id, thread_ts, status, unread, waiting_since, "
        "created_at, assignee) VALUES (?, ?, ?, ?, 'Buyer', '#cs', 'C0OPS', ?, ?, ?, ?, ?, ?)",
        key, ref, ref, ref, f"{NOW - 5000:.0f}.{int(ref[-4:]):06d}", status, unread, waiting,
        NOW - DAY, assignee))


async def message(b: Bridge, conv: int, key: str, state: str, direction: str = "out") -> None:
    await b.store.database.run("INSERT INTO messages (conversation_id, store_key, direction, text, "
                         "state, created_at) VALUES (?, ?, ?, 'hi', ?, ?)",
                         conv, key, direction, state, NOW - 100)


async def response(b: Bridge, conv: int, key: str, agent: str | None, waited: float,
             at: float = NOW - 3600) -> None:
    await b.store.database.run("INSERT INTO responses (conversation_id, store_key, agent, "
                         "waited_from, responded_at) VALUES (?, ?, ?, ?, ?)",
                         conv, key, agent, at - waited, at)


async def event(b: Bridge, conv: int, kind: str, at: float) -> None:
    await b.store.database.run("INSERT INTO conversation_events (conversation_id, kind, at) "
                         "VALUES (?, ?, ?)", conv, kind, at)


async def token(b: Bridge, key: str, *, refresh: str = "r", refresh_at: float | None = None,
          access_at: float | None = None) -> None:
    platform, shop = key.split(":")
    await b.store.database.run(
                         "INSERT INTO tokens (platform, shop_id, access_token, refresh_token, "
                         "access_expires_at, refresh_expires_at, updated_at) "
                         "VALUES (?, ?, 'a', ?, ?, ?, ?)", platform, shop, refresh, access_at,
                         refresh_at, NOW)


async def template(b: Bridge, name: str, created: float, used: float | None) -> None:
    await b.store.database.run(
                         "INSERT INTO templates (topic, name, body, usage_count, last_used_at, "
                         "created_at, updated_at) VALUES ('Logistics', ?, 'b', ?, ?, ?, ?)",
                         name, int(used is not None), used, created, created)


def part(blocks: list[dict[str, Any]], title: str) -> str:
    """The text of the section whose title starts with ``title``."""
    found = [blk["text"]["text"] for blk in blocks if blk["type"] == "section"
             and blk["text"]["text"].startswith(f"*{title}")]
    assert len(found) == 1, (title, found)
    return found[0]


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile(range(1, 11), 50) == 5.5
    assert percentile(range(1, 11), 90) == pytest.approx(9.1)
    assert percentile([40, 10, 30, 20], 50) == 25
    assert percentile([40, 10, 30, 20], 90) == pytest.approx(37)
    assert Figures.of([7]) == Figures(1, 7, 7)
    with pytest.raises(ValueError):
        percentile([], 50)


async def test_digest_is_the_daily_checklist(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        await store(b, TH, "TH", "Bangkok Gadgets")
        await store(b, TT, "ID", "Jakarta Style")
        sg1 = await conversation(b, "SP-SG-0001", unread=2, waiting=NOW - 3600, assignee=b.agent)
        sg2 = await conversation(b, "SP-SG-0002", unread=1, waiting=NOW - 600)
        await conversation(b, "SP-SG-0003")  # answered, read: not in the list
        my1 = await conversation(b, "LZ-MY-0004", MY, unread=3, waiting=NOW - 7200)
        await conversation(b, "SP-SG-0005", status="closed", unread=4, waiting=NOW - 9000)
        for state in ("failed", "failed", "refused", "delivered"):
            await message(b, sg1, SG, state)
        await message(b, my1, MY, "failed")
        await message(b, my1, MY, "failed", direction="in")  # not a send
        await b.store.books.set_health(MY, "unreachable", "connection refused <b>")
        await token(b, SG, refresh_at=NOW + 3 * DAY)
        await token(b, MY, refresh="", access_at=NOW + 2 * 3600)  # no refresh token: access ends it
        await token(b, TH, refresh_at=NOW - DAY)
        await token(b, TT, refresh_at=NOW + 10 * DAY)
        await template(b, "never used", NOW - 40 * DAY, None)
        await template(b, "used long ago", NOW - 90 * DAY, NOW - 31 * DAY)
        await template(b, "used lately", NOW - 90 * DAY, NOW - 2 * DAY)
        await template(b, "brand new", NOW - 5 * DAY, None)
        for i in range(1, 11):  # 60 … 600 s in Singapore, all by the agent
            await response(b, sg1, SG, b.agent, 60 * i)
        await response(b, my1, MY, "U0OTHER", 30)
        await response(b, my1, MY, "U0OTHER", 9999, at=NOW - 2 * DAY)  # before the window
        await response(b, my1, MY, "U0OTHER", 9999, at=NOW)  # the window is [now - 24 h, now)
        await event(b, sg1, "sla_escalation", NOW - 3600)
        await event(b, sg1, "sla_escalation", NOW - 60)  # the same conversation, once
        await event(b, sg2, "sla_reminder", NOW - 100)  # a reminder is not a breach
        await event(b, my1, "sla_escalation", NOW - 2 * DAY)  # yesterday's news
        b.service.workspace_url = "https://acme.slack.com/"

        blocks = await digest_blocks(b.service.services, NOW, names={b.agent: "Mai"})
        assert blocks[0]["text"]["text"] == "📋 Daily checklist"
        waiting = part(blocks, "⏳ Waiting and unread — 3 waiting, 6 unread")
        assert waiting.splitlines()[1:] == [
            "🇸🇬 *SG* Shopee · Kopi &amp; Co. Homeware — 2 waiting (longest 1 h 00 min), "
            "3 unread",
            "🇲🇾 *MY* Lazada · Men's Clothing Official (MY) — 1 waiting (longest 2 h 00 min), "
            "3 unread"]
        failed = part(blocks, "❌ Failed sends — 4")
        assert "Kopi &amp; Co. Homeware — 2 failed, 1 refused" in failed
        assert "Men's Clothing Official (MY) — 1 failed" in failed
        stores = part(blocks, "🔌 Stores disconnected")
        assert "(MY) — ⚠️ unreachable: connection refused &lt;b&gt;" in stores
        assert "Homeware — 🔑 authorization expires in 3 d 0 h" in stores
        assert "(MY) — 🔑 authorization expires in 2 h 00 min" in stores
        assert "Bangkok Gadgets — 🔑 authorization expired 1 d 0 h ago" in stores
        assert "Jakarta" not in stores
        stale = part(blocks, "🗂 Stale templates (unused for 30 days) — 2")
        assert stale.splitlines()[1:] == ["Logistics — never used (never used)",
                                          "Logistics — used long ago"]
        per_store = part(blocks, "⏱ First response, last 24 h — per store")
        assert per_store.splitlines()[1:] == [
            "All: median *5 min 00 s*, p90 *9 min 00 s* (11 replies)",
            "🇸🇬 *SG* Shopee · Kopi &amp; Co. Homeware: median *5 min 30 s*, "
            "p90 *9 min 06 s* (10 replies)",
            "🇲🇾 *MY* Lazada · Men's Clothing Official (MY): median *30 s*, p90 *30 s* "
            "(1 replies)"]
        per_agent = part(blocks, "⏱ First response, last 24 h — per agent")
        assert per_agent.splitlines()[1:] == [
            "Mai: median *5 min 30 s*, p90 *9 min 06 s* (10 replies)",
            "`U0OTHER`: median *30 s*, p90 *30 s* (1 replies)"]
        sla = part(blocks, "🚨 SLA breaches, last 24 h — 1")
        assert "<https://acme.slack.com/archives/C0OPS/p1749995000000001|SP-SG-0001>" in sla
        assert "LZ-MY-0004" not in sla
        # A daily post in a channel pings nobody.
        assert "<@" not in json.dumps(await digest_blocks(b.service.services, NOW))


async def test_an_empty_day_says_so(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        blocks = await digest_blocks(b.service.services, NOW)
        assert "_Nobody is waiting._" in part(blocks, "⏳ Waiting and unread — 0 waiting")
        assert "_No reply is stuck failed._" in part(blocks, "❌ Failed sends — 0")
        assert "_No conversation was escalated._" in part(blocks, "🚨 SLA breaches")


async def test_other_features_add_sections_and_limits_hold(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        for i in range(40):
            key = f"shopee:s{i}"
            await store(b, key, "VN", f"Store {i}")
            await conversation(b, f"SP-VN-{i:04d}", key, unread=1, waiting=NOW - 60 * i)

        async def orders_at_risk(now: float) -> list[dict[str, Any]]:
            assert now == NOW
            return [{"type": "section", "text": {"type": "mrkdwn",
                                                 "text": "*📦 Orders at risk today* — 2"}}]

        async def broken(now: float) -> list[dict[str, Any]]:
            raise RuntimeError("boom")

        b.service.services.sections.digest[:] = [orders_at_risk, broken]
        blocks = await digest_blocks(b.service.services, NOW)
        assert part(blocks, "📦 Orders at risk today")
        assert "One section could not be computed" in json.dumps(blocks)
        waiting = part(blocks, "⏳ Waiting and unread — 40 waiting")
        assert waiting.endswith("…and 25 more") and len(waiting) <= 3000

        async def chatty(now: float) -> list[dict[str, Any]]:
            return [{"type": "divider"}] * 60

        b.service.services.sections.digest[:] = [chatty]
        blocks = await digest_blocks(b.service.services, NOW)
        assert len(blocks) == 50  # Slack's message limit
        assert "more blocks not shown" in blocks[-1]["elements"][0]["text"]
