"""Account-risk notices: each connector asks its platform emulator over signed HTTP
(Shopee's penalty points and punishments, Lazada's performance indicators), the
service keeps the current set, and the digest lists them; TikTok Shop, which has no
such API, is named as unchecked."""

from __future__ import annotations

import time
from pathlib import Path

from bot.account_risk import check_all, digest_section
from tests.emulators.lazada_health import indicator
from tests.test_platform_e2e import platform_bridge

DAY = 86400


def text_of(blocks: list[dict]) -> str:
    return "\n".join(blk["text"]["text"] if "text" in blk else blk["elements"][0]["text"]
                     for blk in blocks)


async def test_shopee_penalty_points_and_punishments(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "shopee") as (b, h):
        emu, shop = h.emulator, int(h.store.shop_id)
        key = next(iter(b.service.hub.stores))
        now = int(time.time())
        assert await check_all(b.service.services) == {key: 0}  # good standing: nothing to say
        assert "No penalty, punishment" in text_of(await digest_section(b.service.services, now))

        emu.add_penalty(shop, 2, 5, now - 3 * DAY)
        emu.add_penalty(shop, 3, 6, now - DAY, appealed_to=1)  # appeal lowered it to 1
        emu.add_punishment(shop, 104, now - 3600, now + 7 * DAY)
        emu.add_punishment(shop, 105, now - 30 * DAY, now - DAY)  # over: not listed
        assert await check_all(b.service.services) == {key: 2}
        text = text_of(await digest_section(b.service.services, now))
        lines = text.split("\n")
        assert "⛔ Punishment in force: listings not displayed in search until " \
            f"<!date^{now + 7 * DAY}^" in lines[1]  # the critical first
        assert "⚠️ 3 penalty point(s) this quarter; latest: violation type 6" in lines[2]
        # Signed shop calls (the emulator checks the signature and token of each).
        asked = [r for r in emu.requests if r.name.startswith("account_health/")]
        punish = [r for r in asked if r.name.endswith("get_punishment_history")]
        assert punish and punish[-1].query["punishment_status"] == "1"
        assert all(r.query["page_size"] == "100" for r in asked)

        # A failed check keeps what was known; the punishment ending clears it.
        # (An app without the account_health permission gets error_permission.)
        emu.fail_next("account_health/get_penalty_point_history", "error_permission",
                      message="No permission.")
        assert await check_all(b.service.services) == {key: None}
        assert "listings not displayed in search" in text_of(
            await digest_section(b.service.services, now))
        emu.health_of(shop).punishments.clear()
        first = await b.store.database.value(
            "SELECT first_seen FROM account_notices WHERE kind = 'penalty_points'")
        assert await check_all(b.service.services) == {key: 1}
        assert await b.store.database.value(
            "SELECT first_seen FROM account_notices WHERE kind = 'penalty_points'") == first
        assert "Punishment" not in text_of(await digest_section(b.service.services, now))


async def test_lazada_indicators_below_target(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "lazada") as (b, h):
        state = h.emulator.state
        state.indicators[h.seller_id] = [
            indicator("POSITIVE_SELLER_RATING", "Positive Seller Rating", 92, 85,
                      respected=True),
            indicator("SHIP_ON_TIME", "Ship on Time", 81.5, 95, respected=False),
            indicator("CANCELLATION_RATE", "Cancellation Rate <!channel>", 4, 2,
                      respected=False, higher_is_better=False),
        ]
        key = next(iter(b.service.hub.stores))
        assert await check_all(b.service.services) == {key: 2}
        text = text_of(await digest_section(b.service.services, time.time()))
        assert "⚠️ Ship on Time: 81.5% (target ≥ 95%)" in text
        assert "Cancellation Rate" in text and "<!channel>" not in text  # platform text escaped
        assert "Positive Seller Rating" not in text
        assert [c.params.get("language") for c in h.emulator.calls_to(
            "/seller/performance/get")] == ["en-US"]


async def test_tiktok_is_named_as_unchecked(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "tiktok") as (b, h):
        assert await check_all(b.service.services) == {}
        text = text_of(await digest_section(b.service.services, time.time()))
        assert "TikTok Shop: no API reports penalties or violations" in text


async def test_shopee_pages_through_a_long_penalty_history(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "shopee") as (b, h):
        shop, now = int(h.store.shop_id), int(time.time())
        for i in range(150):  # two pages of 100
            h.emulator.add_penalty(shop, 1, 5, now - i)
        notices = await h.connector.account_notices(h.store)
        assert [n.summary for n in notices] == [
            "150 penalty point(s) this quarter; latest: violation type 5"]
        pages = [r.query["page_no"] for r in h.emulator.requests
                 if r.name == "account_health/get_penalty_point_history"]
        assert pages == ["1", "2"]


async def test_the_digest_carries_the_section(tmp_path: Path) -> None:
    from bot.team.digest import digest_blocks
    async with platform_bridge(tmp_path, "tiktok") as (b, h):
        blocks = await digest_blocks(b.service.services, time.time())
        assert any(blk["type"] == "section" and blk["text"]["text"].startswith("*🛡 Account risk")
                   for blk in blocks)
        assert b.service.scheduler.get_job("account_health") is not None
