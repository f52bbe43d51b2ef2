"""Lazada orders over real HTTP against the emulator: the samples and their shapes,
batched details, cancellation/return deadlines, the platform's limits and failures."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.errors import PermanentError, TransientError
from connectors.orders import OrderSource, OrderStatus
from tests.emulators.lazada_orders_api import ITEMS, ORDER, ORDERS, REVERSE, REVERSES
from tests.emulators.lazada_orders_scene import SELLER, Scene, order_scene, ordered_orders

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "platform-orders-samples.json"
LZ: dict[str, Any] = json.loads(SAMPLES.read_text(encoding="utf-8"))["lazada"]
TWO_UNITS, CANCEL_ASKED, RETURNED = "832145679012345", "832031234567890", "829876543210987"


@pytest.fixture
async def scene() -> AsyncIterator[Scene]:
    async with order_scene() as scene:
        yield scene


def utc_s(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# -- the samples ------------------------------------------------------------------------------


async def test_samples_over_http(scene: Scene) -> None:
    shift_s = scene.emu.orders.seed_samples(SELLER) // 1000
    (page,), _ = await scene.drain()
    got = {o.order_id: o for o in page}
    assert list(got) == [RETURNED, TWO_UNITS, CANCEL_ASKED]  # oldest change first
    two = got[TWO_UNITS]
    assert (two.status, two.amount, two.currency, two.buyer_id) == (
        OrderStatus.TO_SHIP, "618.00", "THB", "1011822749")
    assert [(i.sku, i.quantity) for i in two.items] == [("TS-BLK-L", 2)]
    assert two.ship_by == utc_s(1700240399 + shift_s)
    cancel = got[CANCEL_ASKED].cancellation
    assert cancel is not None and cancel.state == "pending"
    assert cancel.respond_by == utc_s(1700166800 + shift_s)
    (ret,) = got[RETURNED].returns
    assert (ret.state, ret.amount, ret.respond_by) == ("pending", "199.00",
                                                        utc_s(1700165800 + shift_s))
    assert got[RETURNED].tracking_no == "TH2311000A1B2C3"
    # One bounded scan: no polling loop, nothing fetched twice.
    assert [len(scene.emu.calls_to(api)) for api in (ORDERS, ITEMS, REVERSES, REVERSE, ORDER)
            ] == [1, 1, 1, 0, 0]
    (listing,) = scene.list_calls()
    assert (listing["sort_by"], listing["sort_direction"], listing["limit"]) == (
        "updated_at", "ASC", "100")
    after = datetime.fromisoformat(listing["update_after"])
    now = datetime.fromtimestamp(scene.emu.state.now_ms() / 1000, UTC)
    assert 14.9 < (now - after).total_seconds() / 86400 <= 15  # the 15-day window


async def test_emulator_answers_in_the_samples_shapes(scene: Scene) -> None:
    scene.emu.orders.seed_samples(SELLER)
    listing = await scene.raw(ORDERS, update_after="2020-01-01T00:00:00+07:00")
    sample = LZ["get_orders"]["response"]
    assert listing.keys() == sample.keys() and listing["data"].keys() == sample["data"].keys()
    assert listing["data"]["orders"][0].keys() == sample["data"]["orders"][0].keys()
    items = await scene.raw(ITEMS, order_ids=f"[{TWO_UNITS}, {RETURNED}]")
    sample_items = LZ["get_multiple_order_items"]["response"]["data"]
    assert items["data"][0].keys() == sample_items[0].keys()
    assert items["data"][1]["order_items"][0].keys() == sample_items[2]["order_items"][0].keys()
    reverses = await scene.raw(REVERSES, page_no=1, page_size=10,
                               reverse_status_list='["REQUEST_INITIATE"]')
    sample_rev = LZ["get_reverse_orders_for_seller"]["response"]
    assert reverses.keys() == sample_rev.keys() and "data" not in reverses
    assert reverses["result"].keys() == sample_rev["result"].keys()
    assert reverses["result"]["total"] == 2
    detail = await scene.raw(REVERSE, reverse_order_id="705112233445566")
    sample_detail = LZ["get_reverse_order_detail"]["response"]["data"]
    assert detail["data"].keys() == sample_detail.keys()
    assert (detail["data"]["reverseOrderLineDTOList"][0].keys()
            == sample_detail["reverseOrderLineDTOList"][0].keys())
    one = await scene.raw(ORDER, order_id=TWO_UNITS)
    assert one["data"].keys() == LZ["get_order"]["response"]["data"].keys()


async def test_quoted_ids_map_the_same(scene: Scene) -> None:
    scene.emu.orders.seed_samples(SELLER)
    scene.emu.order_ids_as_strings = True
    (page,), _ = await scene.drain()
    assert sorted(o.order_id for o in page) == sorted([TWO_UNITS, CANCEL_ASKED, RETURNED])


async def test_is_an_order_source_without_a_buyer_filter(scene: Scene) -> None:
    assert isinstance(scene.connector, OrderSource)
    assert await scene.connector.orders_of_buyer(scene.store, "1011822749") is None


# -- details ---------------------------------------------------------------------------------


async def test_details_are_batched_at_fifty(scene: Scene) -> None:
    now = scene.emu.state.now_ms()
    ids = ordered_orders(scene.emu, 120, first_ms=now - 200_000, step_ms=1000)
    wanted = list(reversed(ids)) + ["123456789"]  # the unknown one is left out
    orders = await scene.connector.get_orders(scene.store, wanted)
    assert [o.order_id for o in orders] == wanted[:-1]
    batches = [c.params["order_ids"] for c in scene.emu.calls_to(ITEMS)]
    assert [len(b.strip("[]").split(",")) for b in batches] == [50, 50, 20]
    assert batches[0].startswith(f"[{wanted[0]}, {wanted[1]}")  # "[a, b]"
    assert len(scene.emu.calls_to(ORDER)) == 121  # GetOrder has no batch form


async def test_panel_details_read_the_return_and_the_cancellation(scene: Scene) -> None:
    shift_s = scene.emu.orders.seed_samples(SELLER) // 1000
    returned, asked = await scene.connector.get_orders(scene.store, [RETURNED, CANCEL_ASKED])
    assert returned.returns[0].respond_by == utc_s(1700165800 + shift_s)
    assert asked.cancellation is not None and asked.cancellation.state == "pending"
    # the return needed its detail; the cancellation is told by the item itself
    assert [c.params["reverse_order_id"] for c in scene.emu.calls_to(REVERSE)] == [
        "705112233445566"]


# -- limits and failures ------------------------------------------------------------------------


@pytest.mark.parametrize("api,params,code", [
    (ORDERS, {"update_after": "2023-11-01T00:00:00+07:00", "limit": 101}, "19"),
    (ORDERS, {"update_after": "2023-11-01T00:00:00+07:00", "offset": 4501}, "14"),
    (ORDERS, {"update_after": "2023-11-01"}, "17"),
    (ORDERS, {"update_after": "2023-11-01 00:00:00 +0700"}, "17"),
    (ORDERS, {"limit": 10}, "MissingParameter"),
    (ITEMS, {"order_ids": "[" + ", ".join(str(10**14 + i) for i in range(51)) + "]"}, "38"),
    (ITEMS, {"order_ids": "1, 2"}, "56"),
    (ITEMS, {"order_ids": "[1, 2]"}, "37"),
    (ORDER, {"order_id": "1"}, "16"),
])
async def test_the_platforms_limits_answer_its_errors(
    scene: Scene, api: str, params: dict[str, object], code: str,
) -> None:
    with pytest.raises(PermanentError) as caught:
        await scene.raw(api, **params)
    assert caught.value.code == code


async def test_a_throttled_pull_backs_off_and_completes(scene: Scene) -> None:
    scene.emu.orders.seed_samples(SELLER)
    scene.emu.fail_next(ORDERS, "ApiCallLimit")
    scene.emu.fail_next(ITEMS, "ApiCallLimit")
    (page,), _ = await scene.drain()
    assert len(page) == 3 and len(scene.emu.calls_to(ORDERS)) == 2


async def test_a_failed_pull_can_be_repeated_with_the_same_cursor(scene: Scene) -> None:
    scene.emu.orders.seed_samples(SELLER)
    scene.emu.fail_next(ITEMS, "ServiceUnavailable")
    with pytest.raises(TransientError):
        await scene.connector.fetch_orders_since(scene.store, None)
    scene.emu.fail_next(REVERSES, "ApiCallLimit", 3)  # more than the backoff retries
    with pytest.raises(TransientError):
        await scene.connector.fetch_orders_since(scene.store, None)
    (page,), _ = await scene.drain()
    assert len(page) == 3
