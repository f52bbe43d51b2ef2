"""A store's outage is visible once, heals itself, and catches up."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp

from tests.harness import HEALTH_AUTH, SHOP, Bridge, running_bridge


def banners(b: Bridge, channel: str) -> list[dict]:
    return [m for m in b.slack.messages(b.channels[channel])
            if "store_retry_sync" in json.dumps(m.get("blocks"))
            or "reconnected" in m.get("text", "")]


async def test_outage_banner_queue_probe_resume_and_catch_up(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("hello")
        conv = await b.thread()
        await b.wait(lambda: b.replies(conv) or None)
        b.market.set_down(True)
        ts1 = await b.agent_replies(conv, "first while down")
        ts2 = await b.agent_replies(conv, "second while down")
        # After a few failed tries the store is paused and announced, once per channel.
        await b.until(lambda: b.store.books.health(), lambda h: h["shopee:sg-1"]["health"] ==
                     "disconnected")
        await b.wait(lambda: banners(b, "cs-ops") and banners(b, "cs-shopee-sg"))
        assert "hourglass_flowing_sand" in b.reactions(conv, ts1)
        assert "hourglass_flowing_sand" in b.reactions(conv, ts2)
        async with aiohttp.ClientSession() as http, \
                http.get(f"{b.base_url}/healthz", headers=HEALTH_AUTH) as resp:
            health = await resp.json()
        assert health["stores"]["shopee:sg-1"]["health"] == "disconnected"
        assert health["status"] == "degraded"
        # Buyers keep writing; the pushes are lost while we cannot be reached... but
        # here the marketplace is the one that is down, so they pile up there.
        b.market.pushes_enabled = False
        await b.buyer_says("anyone there?")
        await b.buyer_says("hello??")
        b.market.set_down(False)
        await b.until(lambda: b.store.books.health(), lambda h: h["shopee:sg-1"]["health"] == "ok",
                     timeout=15)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts2), timeout=10)
        assert b.sent_texts() == ["first while down", "second while down"]
        await b.wait(lambda: len([m for m in b.replies(conv)
                                  if m.get("username", "").startswith("Rachel")]) == 3)
        for ch in ("cs-ops", "cs-shopee-sg"):
            shown = await b.wait(lambda ch=ch: [m for m in banners(b, ch)
                                                if "reconnected" in m["text"]])
            assert "caught up 2 messages" in shown[0]["text"]
            assert len(banners(b, ch)) == 1  # updated in place, not posted again


async def test_retry_sync_button_forces_a_full_sync(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        b.market.set_down(True)
        assert await b.service.repair("shopee:sg-1") == 0
        banner = (await b.wait(lambda: banners(b, "cs-shopee-sg")))[0]
        assert "disconnected" in banner["text"]
        b.market.pushes_enabled = False
        b.market.set_down(False)
        await b.buyer_says("I wrote while you were away")
        b.service.health_monitor.probe_base = 60.0  # the button, not the probe, heals it
        await b.slack.user_clicks(b.agent, b.channels["cs-shopee-sg"], banner["ts"],
                                  "store_retry_sync")
        conv = await b.thread(SHOP)
        await b.wait(lambda: b.replies(conv) or None)
        await b.wait(lambda: "reconnected" in b.slack.message(
            b.channels["cs-shopee-sg"], banner["ts"])["text"])


async def test_unauthorized_store_is_announced_and_replies_wait(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("hello")
        conv = await b.thread()
        await b.wait(lambda: b.replies(conv) or None)
        b.market.ledger.stores[SHOP].access_token = "rotated-elsewhere"
        ts = await b.agent_replies(conv, "are you still there?")
        await b.until(lambda: b.store.books.health(), lambda h: h["shopee:sg-1"]["health"] ==
                     "unauthorized")
        shown = await b.wait(lambda: banners(b, "cs-ops"))
        assert "lost its authorization" in shown[0]["text"]
        assert "storebridge stores authorize shopee" in shown[0]["text"]
        assert "hourglass_flowing_sand" in b.reactions(conv, ts)
        assert b.sent_texts() == []


async def test_sync_command_catches_up_beside_a_running_service(
        tmp_path: Path, capsys: object) -> None:
    from bot.admin import sync_stores

    async with running_bridge(tmp_path) as b:
        b.market.pushes_enabled = False
        await b.buyer_says("missed by the push")
        assert await sync_stores(b.service.settings, ["shopee:sg-1"], full=False) == 0
        assert "✓ shopee:sg-1: 1 new message(s)" in capsys.readouterr().out  # type: ignore[attr-defined]
        # Written by "another process": the service's sweep posts it.
        conv = await b.thread()
        await b.wait(lambda: b.replies(conv) or None, timeout=10)
        assert await sync_stores(b.service.settings, ["nope:1"], full=False) == 2
