"""The Lazada incremental safety pull over real HTTP: pages, watermark overlap,
orders changing mid-pull, runs in one second, the offset cap, reverse-only changes."""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.emulators.lazada_orders import EmuReverse
from tests.emulators.lazada_orders_api import ITEMS, ORDER, ORDERS
from tests.emulators.lazada_orders_scene import SELLER, Scene, order_scene, ordered_orders

TWO_UNITS = "832145679012345"  # the samples' two-unit order


@pytest.fixture
async def scene(request: pytest.FixtureRequest) -> AsyncIterator[Scene]:
    async with order_scene(**getattr(request, "param", {})) as scene:
        yield scene


def with_options(**options: Any) -> Any:
    return pytest.mark.parametrize("scene", [options], indirect=True)


def utc_s(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# -- the incremental pull ---------------------------------------------------------------------


@with_options(max_orders=120)
async def test_pages_resume_without_duplicates_or_gaps(scene: Scene) -> None:
    now = scene.emu.state.now_ms()
    ids = ordered_orders(scene.emu, 250, first_ms=now - 400_000, step_ms=1000)
    pages, _ = await scene.drain()
    assert len(pages) > 1 and all(len(p) <= 120 + 100 for p in pages)
    got = [o.order_id for page in pages for o in page]
    assert sorted(got) == sorted(ids) and len(got) == len(set(got))
    for params in scene.list_calls():
        assert int(params["limit"]) <= 100 and int(params["offset"]) <= 4500
    assert all(len(c.params["order_ids"].split(",")) <= 50 for c in scene.emu.calls_to(ITEMS))


@with_options(max_orders=1000)
async def test_orders_changing_mid_pull_are_neither_missed_nor_doubled(scene: Scene) -> None:
    emu = scene.emu
    now = emu.state.now_ms()
    ids = ordered_orders(emu, 250, first_ms=now - 400_000, step_ms=1000)
    moved: list[str] = []

    def change_during_the_pull(api: str, params: dict[str, str]) -> None:
        if api == ORDERS and not moved:  # after the first page: 15 read, one not yet read
            for oid in [*ids[0:30:2], ids[150]]:
                emu.orders.touch(SELLER, oid, status="packed", at_ms=emu.state.now_ms())
                moved.append(oid)

    emu.on_order_call = change_during_the_pull
    (page,), cursor = await scene.drain()
    got = {o.order_id: o for o in page}
    assert sorted(got) == sorted(ids) and len(page) == 250  # offset paging would skip one
    assert all(got[oid].platform_status == "packed" for oid in moved)
    emu.on_order_call = None
    (again,), _ = await scene.drain(cursor)
    assert again == []  # the overlap re-reads them, unchanged


@with_options(max_orders=1000)
async def test_a_run_of_orders_in_one_second_pages_by_offset_with_overlap(scene: Scene) -> None:
    at = scene.emu.state.now_ms() // 1000 * 1000 - 60_000
    ids = ordered_orders(scene.emu, 230, first_ms=at, step_ms=0)
    (page,), _ = await scene.drain()
    assert sorted(o.order_id for o in page) == sorted(ids)
    offsets = [int(p["offset"]) for p in scene.list_calls()]
    assert offsets == [0, 0, 90, 180]  # the filter moves once, then steps with overlap


@with_options(max_orders=1000, max_offset=150)
async def test_offset_cap_restarts_with_a_new_time_filter(
    scene: Scene, caplog: pytest.LogCaptureFixture,
) -> None:
    scene.emu.order_offset_max = 150
    at = scene.emu.state.now_ms() // 1000 * 1000 - 60_000
    ordered_orders(scene.emu, 300, first_ms=at, step_ms=0)  # 300 changes in one second
    later = ordered_orders(scene.emu, 20, first_ms=at + 5000, step_ms=1000)
    with caplog.at_level(logging.WARNING):
        (page,), _ = await scene.drain()
    assert "offset cap" in caplog.text
    assert all(int(p["offset"]) <= 150 for p in scene.list_calls())
    assert set(later) <= {o.order_id for o in page}


async def test_watermark_overlap_catches_late_and_new_changes_only(scene: Scene) -> None:
    emu = scene.emu
    emu.orders.seed_samples(SELLER)
    _, cursor = await scene.drain()
    (nothing,), cursor = await scene.drain(cursor)
    assert nothing == []
    newest = max(o.updated_ms for o in emu.orders.of_seller(SELLER))
    emu.set_order_status(SELLER, TWO_UNITS, "packed")
    new = str(emu.orders.add_order(SELLER, units=3).order_id)
    late = str(emu.orders.add_order(SELLER, at_ms=newest - 120_000).order_id)  # within overlap
    (page,), _ = await scene.drain(cursor)
    assert sorted(o.order_id for o in page) == sorted([TWO_UNITS, new, late])
    assert next(o for o in page if o.order_id == new).items[0].quantity == 3
    since = datetime.fromisoformat(scene.list_calls()[-1]["update_after"])
    assert since.timestamp() * 1000 == newest - 300_000  # newest change seen - 5 min


async def test_a_reverse_change_alone_brings_its_order_back(scene: Scene) -> None:
    emu = scene.emu
    emu.orders.seed_samples(SELLER)
    _, cursor = await scene.drain()
    now = emu.state.now_ms()
    body = copy.deepcopy(emu.orders.reverses[(SELLER, "705112233445566")].body)
    line = body["reverse_order_lines"][0]
    body.update(reverse_order_id=706000000000001, trade_order_id=int(TWO_UNITS))
    line.update(reverse_order_line_id=706000000000002, trade_order_line_id=832145679112345,
                return_order_line_gmt_create=now, return_order_line_gmt_modified=now,
                sla=now + 2 * 86_400_000, refund_amount=29000)
    emu.orders.reverses[(SELLER, "706000000000001")] = EmuReverse(SELLER, body)
    (page,), _ = await scene.drain(cursor)
    (order,) = page
    assert order.order_id == TWO_UNITS and order.returns[0].state == "pending"
    assert (order.returns[0].amount, order.returns[0].respond_by) == (
        "290.00", utc_s((now + 2 * 86_400_000) / 1000))
    assert [c.params["order_id"] for c in emu.calls_to(ORDER)] == [TWO_UNITS]
