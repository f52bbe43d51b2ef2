"""Shopee order pull over real HTTP against the emulator: shapes, limits, batching,
watermark overlap, updates during a pull, deadlines, rate limits and failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.errors import PermanentError, RateLimited, TransientError
from connectors.orders import Order, OrderStatus
from connectors.shopee.orders import ORDER_DETAIL, ORDER_LIST, OrderSettings
from tests.emulators.shopee import SHOP_ID, Env
from tests.emulators.shopee_app import Seen
from tests.emulators.shopee_orders_api import OrderHandlers
from tests.emulators.shopee_orders_env import SAMPLE_NOW, orders_env
from tests.emulators.shopee_push import push_authorization

SAMPLES = json.loads((Path(__file__).resolve().parent / "fixtures"
                      / "platform-orders-samples.json").read_text("utf-8"))["shopee"]
A, B, C = "231115A7K2QW9N", "231114B3M8XR2P", "231101C5T4HV7D"
RETURN_SN = "2311150RQ7XK0D1"
DAY = 86400


def ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def list_calls(env: Env) -> list[Seen]:
    return env.emulator.called("order/get_order_list")


def assert_limits(env: Env) -> None:
    for r in list_calls(env):
        q = r.query
        assert q["time_range_field"] == "update_time"
        assert 0 <= int(q["time_to"]) - int(q["time_from"]) <= 15 * DAY
        assert 1 <= int(q["page_size"]) <= 100 and "order_status" not in q
    for r in env.emulator.called("order/get_order_detail"):
        assert 1 <= len(r.query["order_sn_list"].split(",")) <= 50
    for r in env.emulator.called("returns/get_return_list"):
        assert int(r.query["page_size"]) <= 100
        assert 0 <= int(r.query["update_time_to"]) - int(r.query["update_time_from"]) <= 15 * DAY


async def drain(env: Env, cursor: str | None, limit: int = 30) -> tuple[list[Order], str]:
    out: list[Order] = []
    for _ in range(limit):
        page = await env.connector.fetch_orders_since(env.store, cursor)
        ids = [o.order_id for o in page.orders]
        assert len(ids) == len(set(ids)), "an order twice within one call"
        out.extend(page.orders)
        assert page.cursor is not None
        cursor = page.cursor
        if not page.more:
            return out, cursor
    raise AssertionError("fetch_orders_since never finished")


def spread_orders(env: Env, n: int, start: int, step: int, prefix: str = "O") -> list[str]:
    sns = []
    for i in range(n):
        at = start + i * step
        sn = f"{prefix}{i:05d}"
        env.emulator.new_order(SHOP_ID, sn, create_time=at, update_time=at)
        sns.append(sn)
    return sns


async def test_emulator_serves_the_sample_shapes() -> None:
    async with aiohttp.ClientSession() as session, orders_env(session) as env:
        get = env.connector._get  # the connector's signed call, for raw shapes
        lst = SAMPLES["get_order_list"]
        for case in ("page_1", "page_2", "filter_in_cancel"):
            q = {k: v for k, v in lst[case]["query"].items() if k != "request_order_status_pending"}
            assert await get(env.store, ORDER_LIST, q) == lst[case]["response"]["response"]
        with pytest.raises(PermanentError) as err:
            await get(env.store, ORDER_LIST, lst["error_window_too_long"]["query"])
        assert err.value.code == lst["error_window_too_long"]["response"]["error"]
        det = SAMPLES["get_order_detail"]
        assert await get(env.store, ORDER_DETAIL, det["query"]) == det["response"]["response"]
        for name in ("get_tracking_number", "get_return_list", "get_return_detail"):
            resp = await get(env.store, SAMPLES[name]["path"], SAMPLES[name]["query"])
            assert resp == SAMPLES[name]["response"]["response"], name


async def test_first_pull_returns_the_sample_orders_with_state() -> None:
    async with aiohttp.ClientSession() as session, orders_env(session) as env:
        page = await env.connector.fetch_orders_since(env.store, None)
        assert [o.order_id for o in page.orders] == [C, A, B]  # by update time
        assert not page.more and json.loads(page.cursor or "")["w"] > 0
        c, a, b = page.orders
        assert a.buyer_id == b.buyer_id == c.buyer_id == "165105353"
        assert a.status is OrderStatus.TO_SHIP and a.ship_by == ts(1700240399)
        assert a.tracking_no is None  # READY_TO_SHIP: nothing asked
        assert b.cancellation and b.cancellation.state == "pending"
        (r,) = c.returns
        assert (r.state, r.respond_by, r.amount) == ("pending", ts(1700168200), "150000")
        det = env.emulator.called("order/get_order_detail")[0].query
        for f in ("buyer_user_id", "item_list", "total_amount", "package_list",
                  "buyer_cancel_reason"):
            assert f in det["response_optional_fields"].split(",")
        assert env.emulator.called("returns/get_return_detail")  # pending negotiation
        assert not env.emulator.called("logistics/get_tracking_number")
        (first_list, *_) = list_calls(env)  # a None cursor: the last 15 days
        assert (int(first_list.query["time_from"]), int(first_list.query["time_to"])) == (
            SAMPLE_NOW - 15 * DAY, SAMPLE_NOW)
        assert_limits(env)


async def test_get_orders_batches_details_tracks_and_finds_returns() -> None:
    async with aiohttp.ClientSession() as session, orders_env(
            session, orders=OrderSettings(detail_batch=80)) as env:
        sns = spread_orders(env, 120, SAMPLE_NOW - 5 * DAY, 60)
        env.emulator.update_order(SHOP_ID, A, order_status="PROCESSED", push=False)
        got = await env.connector.get_orders(env.store, [A, "NOPE", *sns, B, C, A])
        assert [o.order_id for o in got] == [A, *sns, B, C]
        sizes = [len(r.query["order_sn_list"].split(","))
                 for r in env.emulator.called("order/get_order_detail")]
        assert sizes == [50, 50, 24]  # 123 known + 1 unknown, at most 50 per call
        assert got[0].tracking_no == "SPXVN046512345678"
        assert [r.return_id for r in got[-1].returns] == [RETURN_SN]  # found by search
        with pytest.raises(PermanentError) as err:
            await env.connector._get(env.store, ORDER_DETAIL,
                                     {"order_sn_list": ",".join(sns[:51])})
        assert err.value.code == "error_param" and "[1,50]" in str(err.value)


async def test_windows_page_sizes_and_a_long_gap() -> None:
    async with aiohttp.ClientSession() as session, orders_env(session, seed=False) as env:
        sns = spread_orders(env, 40, SAMPLE_NOW - 40 * DAY, DAY)
        cursor = json.dumps({"v": 1, "w": SAMPLE_NOW - 41 * DAY, "t": None, "o": None,
                             "r": None, "s": {}})
        got, _ = await drain(env, cursor)
        assert sorted(o.order_id for o in got) == sns and len(got) == len(sns)
        assert len(list_calls(env)) >= 3  # 41 days in windows of at most 15
        assert_limits(env)
        with pytest.raises(PermanentError) as err:
            await env.connector._get(env.store, ORDER_LIST, {
                "time_range_field": "update_time", "time_from": 1, "time_to": 100,
                "page_size": 101})
        assert err.value.code == "error_param"


async def test_pagination_with_updates_during_the_pull_never_misses_or_repeats(
        monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[list[str]] = []  # order_sns of each list page the emulator answered
    plain = OrderHandlers.get_order_list

    async def recording(self: Any, shop: Any, q: dict[str, str], body: Any) -> Any:
        resp = await plain(self, shop, q, body)
        served.append([o["order_sn"] for o in resp["order_list"]])
        return resp

    monkeypatch.setattr(OrderHandlers, "get_order_list", recording)
    async with aiohttp.ClientSession() as session, orders_env(
            session, orders=OrderSettings(list_page_size=5)) as env:
        emu = env.emulator
        sns = spread_orders(env, 60, SAMPLE_NOW - 10 * DAY, 3000)
        same_second = [f"S{i}" for i in range(12)]  # one second with more than a page
        for sn in same_second:
            emu.new_order(SHOP_ID, sn, create_time=SAMPLE_NOW - DAY, update_time=SAMPLE_NOW - DAY)
        moved: list[str] = []

        def hook(seen: Seen) -> None:  # orders already read change while the walk goes on
            full = [page for page in served if len(page) == 5]
            if seen.name == "order/get_order_list" and not moved and len(full) >= 2:
                env.clock.advance(1)  # time passes: the new update_time is after time_to
                for sn in full[-1][:3]:  # on the page just read: later orders slide back
                    emu.update_order(SHOP_ID, sn, order_status="SHIPPED", push=False)
                    moved.append(sn)
            if seen.name == "order/get_order_detail" and moved and not moved[3:]:
                env.clock.advance(1)
                untouched = next(sn for sn in sns if sn not in moved)
                emu.update_order(SHOP_ID, untouched, order_status="SHIPPED", push=False)
                moved.append(untouched)
                emu.new_order(SHOP_ID, "LATE1")  # created after the listing

        emu.on_request = hook
        first, cursor = await drain(env, None)
        emu.on_request = None
        assert len(moved) == 4
        assert_limits(env)
        env.clock.advance(30)
        second, cursor = await drain(env, cursor)
        # An order moved out of a range not read yet is found by the next pull (its new
        # update_time is after the first pull's time_to); one already read is not
        # returned again. Nothing is missed and nothing is returned twice.
        ids = [o.order_id for o in first + second]
        assert len(ids) == len(set(ids))
        assert set(ids) == set(sns) | set(same_second) | {A, B, C, "LATE1"}
        assert "LATE1" in {o.order_id for o in second}
        assert all(o.platform_status == "SHIPPED" for o in first + second
                   if o.order_id in moved)
        env.clock.advance(30)
        again = next(sn for sn in sns if sn not in moved)
        emu.update_order(SHOP_ID, again, order_status="SHIPPED", push=False)
        third, _ = await drain(env, cursor)
        assert [o.order_id for o in third] == [again]


async def test_a_plain_offset_walk_would_miss_an_order() -> None:
    """Why the pull splits windows instead of following the cursor."""
    async with aiohttp.ClientSession() as session, orders_env(session, seed=False) as env:
        spread_orders(env, 10, SAMPLE_NOW - DAY, 60)
        q = {"time_range_field": "update_time", "time_from": SAMPLE_NOW - 2 * DAY,
             "time_to": SAMPLE_NOW, "page_size": 5}
        first = await env.connector._get(env.store, ORDER_LIST, q)
        env.clock.advance(10)
        env.emulator.update_order(SHOP_ID, first["order_list"][0]["order_sn"],
                                  order_status="SHIPPED", push=False)
        second = await env.connector._get(env.store, ORDER_LIST,
                                          {**q, "cursor": first["next_cursor"]})
        read = {o["order_sn"] for o in first["order_list"] + second["order_list"]}
        assert len(read) == 9  # one order slid onto the page already read


async def test_budget_splits_a_big_window_across_calls() -> None:
    async with aiohttp.ClientSession() as session, orders_env(
            session, orders=OrderSettings(list_page_size=10, max_orders_per_call=20)) as env:
        sns = spread_orders(env, 75, SAMPLE_NOW - 3 * DAY, 1000)
        page = await env.connector.fetch_orders_since(env.store, None)
        assert page.more and len(page.orders) <= 30
        assert len(json.loads(page.cursor or "")["s"]) <= 5  # marks pruned as it goes
        got, _ = await drain(env, page.cursor)
        ids = [o.order_id for o in [*page.orders, *got]]
        assert sorted(ids) == sorted([*sns, A, B, C])


async def test_cancellation_and_return_deadlines_follow_changes() -> None:
    async with aiohttp.ClientSession() as session, orders_env(
            session, orders=OrderSettings(cancel_respond_window=timedelta(days=2))) as env:
        emu = env.emulator
        first, cursor = await drain(env, None)
        b = next(o for o in first if o.order_id == B)
        assert b.cancellation and b.cancellation.respond_by == ts(1699995000 + 2 * DAY)
        env.clock.advance(600)
        emu.update_return(SHOP_ID, RETURN_SN, status="PROCESSING",
                          return_seller_due_date=SAMPLE_NOW + 3 * DAY,
                          negotiation={"negotiation_status": "TERMINATED"})
        emu.update_order(SHOP_ID, B, order_status="READY_TO_SHIP", push=False)
        got, cursor = await drain(env, cursor)
        by_id = {o.order_id: o for o in got}
        assert set(by_id) == {B, C}  # C: only its return changed
        assert by_id[B].cancellation and by_id[B].cancellation.state == "rejected"
        (r,) = by_id[C].returns
        assert (r.state, r.respond_by, r.platform_status) == (
            "pending", ts(SAMPLE_NOW + 3 * DAY), "PROCESSING")
        env.clock.advance(600)
        emu.update_return(SHOP_ID, RETURN_SN, status="CLOSED")
        got, _ = await drain(env, cursor)
        assert [(o.order_id, o.returns[0].state) for o in got] == [(C, "closed")]


async def test_units_are_summed_into_quantities() -> None:
    async with aiohttp.ClientSession() as session, orders_env(session) as env:
        line = dict(SAMPLES["get_order_detail"]["response"]["response"]["order_list"][0]
                    ["item_list"][0])
        other = {**line, "model_id": 1, "model_name": "Trắng,M", "model_quantity_purchased": 1}
        items = [{**line, "model_quantity_purchased": 1}, other,
                 {**line, "model_quantity_purchased": 2}]
        env.emulator.new_order(SHOP_ID, "UNITS1", item_list=items)
        (o,) = await env.connector.get_orders(env.store, ["UNITS1"])
        assert [(i.name.split(" (")[1], i.quantity) for i in o.items] == [
            ("Đen,L)", 3), ("Trắng,M)", 1)]


@pytest.mark.parametrize("detail_follows", [False, True])
async def test_ship_by_push_moves_the_deadline(detail_follows: bool) -> None:
    async with aiohttp.ClientSession() as session, orders_env(
            session, emulator_options={"order_options": {
                "ship_by_move_updates_order": detail_follows}}) as env:
        emu, url = env.emulator, "https://storebridge.test/webhooks/shopee"
        emu.configure_push(url, deliver_to="http://127.0.0.1:9/unused")
        emu.push = None  # build the push, deliver it by hand
        emu.move_ship_by(SHOP_ID, A, 1700326799)
        payload = emu.order_book.sent_pushes[-1]
        body = json.dumps(payload).encode()
        sig = push_authorization(emu.partner_key, url, body)
        (ev,) = env.connector.verify_push({"Authorization": sig}, body, url).order_events
        assert ev.kind == "ship_by"
        (a,) = await env.connector.get_orders(env.store, [A])
        assert a.ship_by == ts(1700326799)
        emu.update_order(SHOP_ID, A, ship_by_date=1700400000, push=False)
        (a,) = await env.connector.get_orders(env.store, [A])
        assert a.ship_by == ts(1700400000)  # the detail moved on: it wins


async def test_tracking_number_from_push_4_is_used_without_a_call() -> None:
    async with aiohttp.ClientSession() as session, orders_env(session) as env:
        emu, url = env.emulator, "https://storebridge.test/webhooks/shopee"
        emu.update_order(SHOP_ID, A, order_status="PROCESSED", push=False)
        emu.set_tracking(SHOP_ID, A, "SPXVN099", push=False)
        body = json.dumps({"msg_id": "m1", "data": {
            "ordersn": A, "forder_id": "1", "package_number": "OFG169999000101",
            "tracking_no": "SPXVN099"}, "shop_id": SHOP_ID, "code": 4,
            "timestamp": SAMPLE_NOW}).encode()
        headers = {"Authorization": push_authorization(emu.partner_key, url, body)}
        (ev,) = env.connector.verify_push(headers, body, url).order_events
        assert ev.kind == "tracking"
        (a,) = await env.connector.get_orders(env.store, [A])
        assert a.tracking_no == "SPXVN099"
        assert not emu.called("logistics/get_tracking_number")


async def test_rate_limits_are_honoured_and_failures_keep_the_cursor() -> None:
    async with aiohttp.ClientSession() as session, orders_env(session) as env:
        emu = env.emulator
        _, cursor = await drain(env, None)
        emu.fail_next("order/get_order_list", "error_rate_limit", 2)
        env.clock.advance(60)
        emu.update_order(SHOP_ID, A, order_status="PROCESSED", push=False)
        page = await env.connector.fetch_orders_since(env.store, cursor)
        assert [o.order_id for o in page.orders] == [A] and len(env.sleeps) == 2
        env.clock.advance(60)
        emu.update_order(SHOP_ID, A, order_status="SHIPPED", push=False)
        emu.fail_next("order/get_order_detail", "error_rate_limit", 3)
        with pytest.raises(RateLimited):
            await env.connector.fetch_orders_since(env.store, page.cursor)
        emu.fail_next("returns/get_return_list", "error_server")
        with pytest.raises(TransientError):
            await env.connector.fetch_orders_since(env.store, page.cursor)
        emu.update_order(SHOP_ID, B, order_status="SHIPPED", push=False)
        emu.fail_next("logistics/get_tracking_number", "error_param", message="not ready")
        tracked = len(emu.called("logistics/get_tracking_number"))
        again = await env.connector.fetch_orders_since(env.store, page.cursor)
        assert sorted((o.order_id, o.platform_status, o.tracking_no) for o in again.orders) == [
            (B, "SHIPPED", None),  # tracking unavailable does not fail the pull
            (A, "SHIPPED", "SPXVN046512345678")]  # known number: not asked again
        assert len(emu.called("logistics/get_tracking_number")) == tracked + 1


@pytest.mark.parametrize("cursor", ["nope", "{}", '{"v":2}', "[1]"])
async def test_unreadable_cursor_starts_again_from_the_window(
        cursor: str, caplog: pytest.LogCaptureFixture) -> None:
    # What a full sync would do; orders are upserts, so nothing is applied twice.
    async with aiohttp.ClientSession() as session, orders_env(session) as env:
        fresh = await env.connector.fetch_orders_since(env.store, None)
        again = await env.connector.fetch_orders_since(env.store, cursor)
        assert fresh.orders and again.orders == fresh.orders
        assert "unreadable shopee order cursor" in caplog.text


