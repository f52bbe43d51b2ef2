"""Translation memory health in the digest: hits, misses (provider calls) and failed
calls over the last day, counted in the database where translation happens — the
LibreTranslate emulator over real HTTP, the whole service running."""

from __future__ import annotations

from pathlib import Path

from bot.store import Store
from bot.store.counters import Counters
from bot.team.digest import digest_blocks
from bot.translation.service import FAILURE, HIT, MISS
from tests.dbmode import target_for
from tests.harness import running_bridge
from tests.test_translation_memory import shown, translating_bridge


def health(blocks: list[dict]) -> str:
    found = [blk["text"]["text"] for blk in blocks if blk["type"] == "section"
             and blk["text"]["text"].startswith("*🌐 Translation memory")]
    assert len(found) == 1
    return found[0]


async def test_hits_misses_and_failures_reach_the_digest(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, libre):
        await b.buyer_says("Khi nào giao hàng?", buyer="b-linh")  # a miss: one provider call
        await shown(b, "b-linh", "Khi nào giao hàng?", "When will it be delivered?")
        await b.buyer_says("Khi nào giao hàng?", buyer="b-minh")  # the same text: a hit
        await shown(b, "b-minh", "Khi nào giao hàng?", "When will it be delivered?")
        libre.fail_next(503)  # the next call fails, the retry succeeds
        await b.buyer_says("Cảm ơn shop", buyer="b-hoa")
        await shown(b, "b-hoa", "Cảm ơn shop", "Thank you, shop")
        # No language known: the provider is asked (and answers it is English): a miss.
        await b.buyer_says("Hello, is this in stock?", buyer="b-anon")
        await b.until(lambda: b.store.counters.totals((MISS,), 0, b.clock() + 1),
                      lambda n: n[MISS] == 4)
        await b.settle()
        now = b.clock()
        counts = await b.store.counters.totals((HIT, MISS, FAILURE), now - 86400, now + 1)
        assert counts == {HIT: 1, MISS: 4, FAILURE: 1}, counts

        # Another worker's counts (its own connection to the same database) add up.
        other = await Store.open(target_for(b.service.settings.db_path))
        try:
            await Counters(other.database).add(HIT, 4)
        finally:
            await other.close()
        text = health(await digest_blocks(b.service.services, now + 1))
        assert "5 hits (answered from memory) · 4 misses (provider calls) · 1 failed calls" \
            in text
        assert "56 % from memory" in text  # 5 of 9
        assert "⚠️" not in text  # 1 failure in 4 calls: no alarm

        # Counts older than the day are outside the window, and pruned by the daily job.
        b.clock.advance(2 * 86400)
        later = b.clock()
        later_blocks = await digest_blocks(b.service.services, later)
        assert "Nothing needed translating." in health(later_blocks)
        await b.store.counters.prune(later - 86400)
        assert await b.store.database.value("SELECT COUNT(*) FROM counters") == 0


async def test_mostly_failing_provider_is_called_out(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, libre):
        libre.fail_next(500, count=2)
        await b.buyer_says("Khi nào giao hàng?", buyer="b-linh")
        await shown(b, "b-linh", "Khi nào giao hàng?", "When will it be delivered?")
        text = health(await digest_blocks(b.service.services, b.clock() + 1))
        assert "0 hits" in text and "3 misses" in text and "2 failed calls" in text
        assert "⚠️ Half or more of the provider calls failed" in text


async def test_translation_off_says_so(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        assert "Translation is off." in health(await digest_blocks(b.service.services, b.clock()))
