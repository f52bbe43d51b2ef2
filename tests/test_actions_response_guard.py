"""The response-rate guard over real HTTP: a buyer about to count as missed is warned
about in the store's channel (once), and each store's rate as its platform counts
it shows on App Home and in the digest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.actions.feature import ActionsFeature
from bot.actions.response_rules import RULES, deadline
from bot.config import ConfigError
from bot.config_read import load_settings
from bot.team.digest import digest_blocks
from tests.harness import running_bridge
from tests.test_team_home_panel import open_home


async def test_warning_before_a_miss_and_the_rate_on_home_and_digest(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        guard = b.service.feature(ActionsFeature).guard
        await b.buyer_says("Is this in stock?")
        first = await b.thread()
        await b.wait(lambda: b.replies(first) or None)
        ts = await b.agent_replies(first, "Yes it is!")
        await b.wait(lambda: "white_check_mark" in b.reactions(first, ts))

        await b.buyer_says("Hello? Anyone there?", buyer="b-daniel")
        await b.until(lambda: b.store.actions.open_waits(), lambda w: len(w) == 1)
        assert await guard.tick() == []  # 12 h to go: no warning yet
        b.clock.advance(10.5 * 3600)  # Shopee counts it missed at 12 h
        warned = await guard.tick()
        assert len(warned) == 1 and await guard.tick() == []
        channel = b.channels["cs-shopee-sg"]
        alert = await b.wait(lambda: next((m for m in b.slack.messages(channel)
                                           if m["text"].startswith("⏰")), None))
        assert "Daniel Goh" in alert["text"] and "reply within 1 h 2" in alert["text"]
        assert "Shopee counts it as missed" in alert["text"]

        b.clock.advance(2 * 3600)  # now missed: one on time, one missed
        rate = next(r for r in await guard.rates(b.clock()) if r.store_key.startswith("shopee"))
        assert (rate.on_time, rate.missed, rate.pending, rate.rate) == (1, 1, 0, 0.5)
        digest = json.dumps(await digest_blocks(b.service.services, b.clock()), ensure_ascii=False)
        assert "Chat response rate" in digest and "*50%*" in digest and "target 90%" in digest
        home = json.dumps(await open_home(b, b.agent), ensure_ascii=False)
        assert "Chat response rate per store" in home and "*50%*" in home


async def test_a_delivered_reply_counts_in_the_cached_rate_at_once(tmp_path: Path) -> None:
    """The rate is cached for a minute; a reply that ends a wait (ReplyDelivered) is
    counted in it at once, so App Home does not show the buyer waiting there while its
    lists already show them answered."""
    async with running_bridge(tmp_path) as b:
        guard = b.service.feature(ActionsFeature).guard

        async def shopee() -> tuple[int, int, int]:
            rate = next(r for r in await guard.rates(b.clock())
                        if r.store_key.startswith("shopee"))
            return rate.on_time, rate.missed, rate.pending

        await b.buyer_says("Is this in stock?")
        conv = await b.thread()
        await b.until(lambda: b.store.actions.open_waits(), lambda w: len(w) == 1)
        assert await shopee() == (0, 0, 1)
        cached = guard._rates
        await b.agent_replies(conv, "Yes it is!")
        await b.until(shopee, lambda figures: figures == (1, 0, 0))
        assert guard._rates is not None and cached is not None
        assert guard._rates[0] == cached[0]  # the same computation, not a new one
        await b.agent_replies(conv, "Anything else?")  # a follow-up ends no wait
        await b.until(lambda: b.store.database.value(
            "SELECT COUNT(*) FROM messages WHERE state = 'delivered'"), lambda n: n == 2)
        await b.settle()
        assert await shopee() == (1, 0, 0)


def test_lazada_daily_cut_off_and_overrides(tmp_path: Path) -> None:
    lazada = RULES["lazada"]

    def at(text: str) -> float:  # local MY time (UTC+8)
        return datetime.fromisoformat(text + "+08:00").timestamp()
    # Before 18:00: due 19:00 the same day; after: 19:00 the next day.
    assert deadline(lazada, "MY", at("2026-12-03T09:00")) == at("2026-12-03T19:00")
    assert deadline(lazada, "MY", at("2026-12-03T18:30")) == at("2026-12-04T19:00")
    assert deadline(RULES["tiktok"], "TH", 1000.0) == 1000.0 + 12 * 3600
    assert datetime.fromtimestamp(at("2026-12-03T19:00"), UTC).hour == 11

    path = tmp_path / "c.yml"
    path.write_text("response_rate: {tiktok: {reply_hours: 24, target: 0.95}}\n")
    s = load_settings(path, {})
    assert s.response_rate["tiktok"].reply_hours == 24 and s.response_rate["tiktok"].target \
        == 0.95 and s.response_rate["shopee"] == RULES["shopee"]
    path.write_text("response_rate: {tiktok: {target: 90}, ebay: {}}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, {})
    assert "response_rate.tiktok.target: expected a fraction" in str(err.value)
    assert "response_rate.ebay: unknown key" in str(err.value)
