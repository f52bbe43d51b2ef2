"""The TikTok order safety pull over real HTTP: watermark and overlap, keyset paging
that neither duplicates nor misses while orders change, limits, rate limits."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from connectors.backoff import Backoff
from connectors.errors import PermanentError, RateLimited, TransientError
from connectors.orders import Order, OrderPage
from connectors.tiktok.orders import OrderOptions
from tests.emulators.tiktok import TikTokHarness, harness

A, B, C = "578123456789012345", "578012345678901234", "577998877665544332"
RETURN_ID = "4035318504086622222"


@asynccontextmanager
async def running(**options: Any) -> AsyncIterator[TikTokHarness]:
    async with aiohttp.ClientSession() as session, harness(session, **options) as h:
        yield h


def searches(h: TikTokHarness, endpoint: str = "orders_search") -> list[Any]:
    return [s for s in h.emulator.seen if s.endpoint == endpoint]


def ids(page: OrderPage) -> list[str]:
    found = [o.order_id for o in page.orders]
    assert len(found) == len(set(found)), f"an order twice in one call: {found}"
    return found


async def pull_all(h: TikTokHarness, cursor: str | None) -> tuple[list[Order], str | None]:
    orders: list[Order] = []
    for _ in range(50):
        page = await h.connector.fetch_orders_since(h.store, cursor)
        ids(page)
        orders.extend(page.orders)
        cursor = page.cursor
        if not page.more:
            return orders, cursor
    raise AssertionError("fetch_orders_since never finished")


def spread(h: TikTokHarness, count: int, *, start: int = 3600,
           step: int = 60) -> list[str]:
    """``count`` orders updated ``start`` seconds ago and later, ``step`` apart."""
    now = h.emulator.state.now()
    return [h.emulator.orders.add_order(h.shop.id, order_id=f"5790000000000000{n:02d}",
                                        update_time=now - start + n * step)["id"]
            for n in range(count)]


async def test_first_pull_then_overlap_then_changes() -> None:
    async with running() as h:
        h.emulator.orders.seed_samples(h.shop.id)
        page = await h.connector.fetch_orders_since(h.store, None)
        assert sorted(ids(page)) == sorted([A, B, C]) and not page.more
        by_id = {o.order_id: o for o in page.orders}
        assert by_id[B].cancellation is not None and by_id[B].cancellation.state == "pending"
        assert by_id[C].returns[0].state == "pending"
        (first, *_) = searches(h)
        body = json.loads(first.body)
        now = h.emulator.state.now()
        assert body["update_time_ge"] == pytest.approx(now - 15 * 86400, abs=5)
        assert first.query["page_size"] == "100" and first.query["sort_order"] == "ASC"
        assert first.query["sort_field"] == "update_time"

        again = await h.connector.fetch_orders_since(h.store, page.cursor)
        assert ids(again) == [] and not again.more
        body = json.loads(searches(h)[-1].body)
        assert body["update_time_ge"] == pytest.approx(now - 300, abs=5)  # the overlap

        h.emulator.orders.touch(h.shop.id, A, status="AWAITING_COLLECTION",
                                at=h.emulator.state.now() - 1)
        changed = await h.connector.fetch_orders_since(h.store, again.cursor)
        (a,) = changed.orders
        assert a.platform_status == "AWAITING_COLLECTION"
        assert a.ship_by is not None and a.ship_by.timestamp() == a.raw["tts_sla_time"]


async def test_orders_changing_mid_pull_are_neither_missed_nor_repeated() -> None:
    later = [0.0]  # seconds both clocks move on between pulls
    async with running(orders=OrderOptions(page_size=2),
                       clock=lambda: time.time() + later[0]) as h:
        book = h.emulator.orders
        made = spread(h, 9)
        # Between pages, an order already delivered and one not yet reached move to now.
        book.before["orders_search"] = [
            lambda: None,
            lambda: book.touch(h.shop.id, made[0], status="IN_TRANSIT"),
            lambda: book.touch(h.shop.id, made[6], status="IN_TRANSIT"),
        ]
        first = await h.connector.fetch_orders_since(h.store, None)
        got = ids(first)
        assert set(got) == set(made) - {made[6]} and not first.more
        # The two moved at "now", past this sweep's end: the next pull takes them.
        later[0] = h.emulator.clock_offset = 2.0
        second = await h.connector.fetch_orders_since(h.store, first.cursor)
        assert sorted(ids(second)) == sorted([made[0], made[6]])
        assert {o.platform_status for o in second.orders} == {"IN_TRANSIT"}
        # Later pulls re-read the overlap but return nothing unchanged, pull after pull.
        cursor = second.cursor
        for step in (4.0, 6.0, 8.0):
            later[0] = h.emulator.clock_offset = step
            page = await h.connector.fetch_orders_since(h.store, cursor)
            assert ids(page) == [] and not page.more
            cursor = page.cursor
        assert len(searches(h)) > 8


async def test_offset_tokens_would_skip_an_order_here() -> None:
    """The control for the test above: plain page-token paging loses an order."""
    async with running(orders=OrderOptions(page_size=2)) as h:
        made = spread(h, 6)
        now = h.emulator.state.now()
        api = h.connector._orders(h.store)
        body = {"update_time_ge": now - 86400, "update_time_lt": now}
        rows, token = await api.search_page(body, page_size=2)
        h.emulator.orders.touch(h.shop.id, made[0])  # leaves the window
        seen_ids = [r["id"] for r in rows]
        while token:
            rows, token = await api.search_page(body, page_size=2, token=token)
            seen_ids.extend(r["id"] for r in rows)
        assert made[2] not in seen_ids  # skipped: the result set shifted under the token


async def test_a_crowded_second_is_paged_by_token() -> None:
    async with running(orders=OrderOptions(page_size=2)) as h:
        now = h.emulator.state.now()
        same = [h.emulator.orders.add_order(h.shop.id, update_time=now - 500)["id"]
                for _ in range(5)]
        later = spread(h, 2, start=100)
        page = await h.connector.fetch_orders_since(h.store, None)
        assert sorted(ids(page)) == sorted(same + later)
        assert any("page_token" in s.query for s in searches(h))


async def test_pages_per_fetch_bounds_a_call_and_more_continues() -> None:
    async with running(orders=OrderOptions(page_size=2, pages_per_fetch=2)) as h:
        made = spread(h, 7)
        first = await h.connector.fetch_orders_since(h.store, None)
        # Each keyset page re-reads the order at its boundary second: 2 + 1 new.
        assert first.more and ids(first) == made[:3]
        rest, _ = await pull_all(h, first.cursor)
        assert sorted(o.order_id for o in first.orders + tuple(rest)) == sorted(made)


async def test_return_change_without_order_change_is_pulled() -> None:
    async with running() as h:
        book = h.emulator.orders
        book.seed_samples(h.shop.id)
        page = await h.connector.fetch_orders_since(h.store, None)
        ret = book.book(h.shop.id).returns[RETURN_ID]
        ret.update(return_status="RETURN_OR_REFUND_REQUEST_SUCCESS", return_type="REFUND",
                   update_time=h.emulator.state.now() - 1, seller_next_action_response=[])
        (c,) = (await h.connector.fetch_orders_since(h.store, page.cursor)).orders
        assert c.order_id == C and c.returns[0].state == "closed"
        assert c.updated_at.timestamp() < h.emulator.state.now() - 3600  # order untouched


async def test_cancellation_deadline_comes_with_the_pull() -> None:
    async with running() as h:
        delta = h.emulator.orders.seed_samples(h.shop.id)
        page = await h.connector.fetch_orders_since(h.store, None)
        (b,) = [o for o in page.orders if o.order_id == B]
        assert b.cancellation is not None
        assert b.cancellation.respond_by is not None
        assert b.cancellation.respond_by.timestamp() == 1700166800 + delta


async def test_limits_are_respected_and_enforced() -> None:
    async with running() as h:
        h.emulator.orders.seed_samples(h.shop.id)
        spread(h, 30)
        await pull_all(h, None)
        assert all(1 <= int(s.query["page_size"]) <= 100 for s in searches(h))
        for endpoint in ("cancellations_search", "returns_search"):
            assert all(10 <= int(s.query["page_size"]) <= 50 for s in searches(h, endpoint))
        api = h.connector._orders(h.store)
        with pytest.raises(PermanentError):
            await api.search_page({}, page_size=101)
        with pytest.raises(PermanentError):
            await h.connector._cs_call(h.store, "GET", "/order/202309/orders",
                                       params={"ids": ",".join(map(str, range(51)))},
                                       cs_quota=False)
        with pytest.raises(PermanentError):
            await h.connector._cs_call(h.store, "POST", "/return_refund/202309/returns/search",
                                       params={"page_size": 5}, body={}, cs_quota=False)
    with pytest.raises(ValueError):
        OrderOptions(page_size=101)


async def test_max_window_steps_through_time() -> None:
    options = OrderOptions(max_window=timedelta(days=4), lookback=timedelta(days=15))
    async with running(orders=options) as h:
        now = h.emulator.state.now()
        old = [h.emulator.orders.add_order(h.shop.id, update_time=now - d * 86400)["id"]
               for d in (14, 9, 5, 1)]
        orders, _ = await pull_all(h, None)
        assert sorted(o.order_id for o in orders) == sorted(old)
        for s in searches(h):
            body = json.loads(s.body)
            assert body["update_time_lt"] - body["update_time_ge"] <= 4 * 86400


async def test_429_is_retried_and_the_pull_completes() -> None:
    async with running(backoff=Backoff(retries=3, base=0.01, cap=0.1)) as h:
        h.emulator.orders.seed_samples(h.shop.id)
        h.emulator.fail_next("orders_search", 429, count=2)
        page = await h.connector.fetch_orders_since(h.store, None)
        assert len(ids(page)) == 3 and len(searches(h)) == 3


async def test_pacing_keeps_under_the_qps_limit() -> None:
    async with running(qps=7.0, backoff=Backoff(retries=0),
                       orders=OrderOptions(page_size=2)) as h:
        h.emulator.state.qps = 8  # per API per shop
        refused: list[tuple[str, str]] = []
        hit = h.emulator.state.hit

        def counting(key: tuple[str, str]) -> bool:
            if not hit(key):
                refused.append(key)
                return False
            return True

        h.emulator.state.hit = counting  # type: ignore[method-assign]
        spread(h, 10)
        orders, _ = await pull_all(h, None)
        assert len(orders) == 10 and len(searches(h)) > 8  # more than one second's worth
        assert refused == []


async def test_over_the_limit_without_pacing_is_rate_limited() -> None:
    async with running(backoff=Backoff(retries=0), orders=OrderOptions(page_size=2)) as h:
        h.emulator.state.qps = 3  # per API per shop per second
        made = spread(h, 10)
        page = await h.connector.fetch_orders_since(h.store, None)
        # Refused after three searches: whole pages are kept, the rest waits.
        assert page.more and 0 < len(ids(page)) < len(made)
        h.emulator.fail_next("orders_search", 429, count=3)
        with pytest.raises(RateLimited) as err:  # nothing to return: the error surfaces
            await h.connector.fetch_orders_since(h.store, page.cursor)
        assert err.value.code == "36009002"


async def test_order_calls_spend_no_customer_service_quota() -> None:
    async with running() as h:
        h.emulator.state.daily_quota = 0
        h.emulator.orders.seed_samples(h.shop.id)
        page = await h.connector.fetch_orders_since(h.store, None)
        assert len(ids(page)) == 3 and sum(h.emulator.state.quota_used.values()) == 0
        with pytest.raises(RateLimited):  # the CS side is out of quota
            await h.connector.fetch_since(h.store, None)


async def test_transient_failure_mid_pull_keeps_whole_pages() -> None:
    async with running(orders=OrderOptions(page_size=2)) as h:
        made = spread(h, 5)
        h.emulator.fail_next("orders_search", "pass")
        h.emulator.fail_next("orders_search", 36009003)
        first = await h.connector.fetch_orders_since(h.store, None)
        assert len(ids(first)) == 2 and first.more
        rest, _ = await pull_all(h, first.cursor)
        assert sorted(o.order_id for o in first.orders + tuple(rest)) == sorted(made)
        h.emulator.fail_next("orders_search", 36009003)
        with pytest.raises(TransientError):  # nothing delivered yet: the error surfaces
            await h.connector.fetch_orders_since(h.store, None)


@pytest.mark.parametrize("cursor", ["garbage", '{"v":9}', '{"v":1,"f":"x"}'])
async def test_unreadable_cursor_starts_over(cursor: str) -> None:
    async with running() as h:
        h.emulator.orders.seed_samples(h.shop.id)
        page = await h.connector.fetch_orders_since(h.store, cursor)
        assert len(ids(page)) == 3



async def test_refetch_details_option_reads_orders_by_id() -> None:
    async with running(orders=OrderOptions(refetch_details=True)) as h:
        h.emulator.orders.seed_samples(h.shop.id)
        page = await h.connector.fetch_orders_since(h.store, None)
        assert sorted(ids(page)) == sorted([A, B, C])
        (detail,) = searches(h, "orders_detail")
        assert sorted(detail.query["ids"].split(",")) == sorted([A, B, C])
