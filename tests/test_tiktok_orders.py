"""TikTok Shop orders: the samples parse, details and a buyer's orders over real HTTP,
and every signed order webhook sample verifies and maps."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from connectors.errors import PushRejected, TransientError
from connectors.orders import OrderSource, OrderStatus
from connectors.tiktok.orders_parse import to_order, to_return_request, to_time
from tests.emulators.tiktok import APP_KEY, APP_SECRET, WEBHOOK_URL, TikTokHarness, harness
from tests.emulators.tiktok_push import sign

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "platform-orders-samples.json"
TT = json.loads(SAMPLES.read_text(encoding="utf-8"))["tiktok"]
USER_ID = TT["_context"]["buyer"]["user_id"]
IM_USER_ID = TT["_context"]["buyer"]["im_user_id"]
A, B, C = "578123456789012345", "578012345678901234", "577998877665544332"


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@pytest.fixture
async def h() -> AsyncIterator[TikTokHarness]:
    async with aiohttp.ClientSession() as session, harness(session) as hh:
        yield hh


def seen(h: TikTokHarness, endpoint: str) -> list[Any]:
    return [s for s in h.emulator.seen if s.endpoint == endpoint]


# -- the samples, parsed without HTTP -----------------------------------------------------

def test_sample_orders_map() -> None:
    pages = [TT["search_orders"]["response"], TT["search_orders"]["page_2"]["response"]]
    wires = {o["id"]: o for p in pages for o in p["data"]["orders"]}
    assert set(wires) == {A, B, C}
    cancel = TT["search_cancellations"]["response"]["data"]["cancellations"]
    returns = TT["search_returns"]["response"]["data"]["return_orders"]
    a = to_order(wires[A], shop_id="s")
    assert (a.status, a.platform_status, a.amount, a.currency) == (
        OrderStatus.TO_SHIP, "AWAITING_SHIPMENT", "274500", "VND")
    assert a.buyer_id == USER_ID != IM_USER_ID
    (item,) = a.items  # two line items, one per unit, of one SKU
    assert (item.quantity, item.sku, item.price) == (2, "TEE-WHT-L", "129000")
    assert a.ship_by == at(wires[A]["rts_sla_time"]) and a.tracking_no is None
    assert a.cancellation is None and a.returns == ()
    assert a.created_at == at(1699990000) and a.updated_at == at(1699993660)
    b = to_order(wires[B], shop_id="s", cancellations=cancel)
    assert b.cancellation is not None and b.cancellation.state == "pending"
    assert b.cancellation.respond_by == at(1700166800)
    assert b.cancellation.reason == "Cần thay đổi địa chỉ giao hàng"
    c = to_order(wires[C], shop_id="s", returns=returns)
    assert (c.status, c.tracking_no, c.ship_by) == (OrderStatus.DELIVERED, "852312345678", None)
    (r,) = c.returns
    assert (r.return_id, r.state, r.kind, r.amount, r.respond_by) == (
        "4035318504086622222", "pending", "refund", "189000", at(1700164800))


def test_order_flag_alone_still_shows_a_pending_request() -> None:
    wire = TT["get_order_detail"]["response"]["data"]["orders"][1]
    cancel = to_order(wire, shop_id="s").cancellation
    assert cancel is not None and cancel.state == "pending" and cancel.respond_by is None
    assert cancel.requested_at == at(1699994000)


def test_tolerant_parsing(caplog: pytest.LogCaptureFixture) -> None:
    wire = dict(TT["get_order_detail"]["response"]["data"]["orders"][0])
    wire.update(status="AWAITING_TELEPORT", update_time="1699993660000",
                create_time="2023-11-15 02:26:40 +0700", payment={"total_amount": 12.5},
                line_items=[{"sku_id": 1, "currency": "USD"}, "junk", None])
    with caplog.at_level(logging.WARNING):
        o = to_order(wire, shop_id="s")
    assert (o.status, o.platform_status) == (OrderStatus.UNKNOWN, "AWAITING_TELEPORT")
    assert "AWAITING_TELEPORT" in caplog.text
    assert o.updated_at == at(1699993660) and o.created_at == at(1699990000)
    assert (o.amount, o.currency, o.items[0].quantity, o.ship_by) == ("12.5", "USD", 1, None)
    assert to_time("2023-11-14T19:26:40Z") == at(1699990000) and to_time(0) is None
    assert to_time("soon") is None and to_time(True) is None
    with pytest.raises(ValueError):
        to_order({"status": "UNPAID"}, shop_id="s")


@pytest.mark.parametrize(("status", "field", "normal"), [
    ("ON_HOLD", None, OrderStatus.TO_SHIP),
    ("PARTIALLY_SHIPPING", "rts_sla_time", OrderStatus.TO_SHIP),
    ("AWAITING_COLLECTION", "tts_sla_time", OrderStatus.TO_SHIP),
    ("IN_TRANSIT", None, OrderStatus.SHIPPED),
    ("COMPLETED", None, OrderStatus.COMPLETED),
    ("CANCELLED", None, OrderStatus.CANCELLED),
])
def test_ship_by_follows_the_status(status: str, field: str | None,
                                    normal: OrderStatus) -> None:
    wire = {**TT["get_order_detail"]["response"]["data"]["orders"][0], "status": status}
    o = to_order(wire, shop_id="s")
    assert o.status is normal
    assert o.ship_by == (at(wire[field]) if field else None)


def test_return_and_cancel_states() -> None:
    base = TT["search_returns"]["response"]["data"]["return_orders"][0]
    states = {s: to_return_request({**base, "return_status": s}).state for s in (
        "BUYER_SHIPPED_ITEM", "AWAITING_BUYER_SHIP", "REQUEST_SUCCESS",
        "RETURN_OR_REFUND_REQUEST_COMPLETE")}
    assert states == {"BUYER_SHIPPED_ITEM": "pending", "AWAITING_BUYER_SHIP": "in_progress",
                      "REQUEST_SUCCESS": "closed", "RETURN_OR_REFUND_REQUEST_COMPLETE": "closed"}
    closed = to_return_request({**base, "return_status": "RETURN_OR_REFUND_REQUEST_CANCEL"})
    assert closed.respond_by is None and closed.platform_status.endswith("CANCEL")
    cancel = TT["search_cancellations"]["response"]["data"]["cancellations"][0]
    order = TT["get_order_detail"]["response"]["data"]["orders"][1]
    by_seller = to_order(order, shop_id="s", cancellations=[{**cancel, "cancel_type": "CANCEL"}])
    assert by_seller.cancellation is not None and by_seller.cancellation.state == "accepted"
    odd_type = {**cancel, "cancel_type": "REQUEST_CANCEL_REFUND"}  # the doc sample's word
    odd = to_order(order, shop_id="s", cancellations=[odd_type])
    assert odd.cancellation is not None and odd.cancellation.state == "pending"


# -- over HTTP -----------------------------------------------------------------------------

async def test_connector_is_an_order_source(h: TikTokHarness) -> None:
    assert isinstance(h.connector, OrderSource)


async def test_get_orders_with_cancellation_and_return_state(h: TikTokHarness) -> None:
    delta = h.emulator.orders.seed_samples(h.shop.id)
    orders = await h.connector.get_orders(h.store, [C, "404", A, B])
    assert [o.order_id for o in orders] == [C, A, B]
    c, a, b = orders
    assert a.ship_by == at(1700240399 + delta) and a.items[0].quantity == 2
    assert b.cancellation is not None and b.cancellation.respond_by == at(1700166800 + delta)
    assert c.returns[0].state == "pending" and c.returns[0].respond_by == at(1700164800 + delta)
    assert all(o.buyer_id == USER_ID for o in orders)
    (detail,) = seen(h, "orders_detail")
    assert detail.method == "GET" and detail.query["ids"] == f"{C},404,{A},{B}"


async def test_details_are_batched_at_fifty(h: TikTokHarness) -> None:
    now = h.emulator.state.now()
    ids = [h.emulator.orders.add_order(h.shop.id, update_time=now - 100 - n)["id"]
           for n in range(120)]
    orders = await h.connector.get_orders(h.store, ids + ids[:5])
    assert [o.order_id for o in orders] == ids
    assert [len(s.query["ids"].split(",")) for s in seen(h, "orders_detail")] == [50, 50, 20]
    for endpoint in ("cancellations_search", "returns_search"):
        batches = [json.loads(s.body)["order_ids"] for s in seen(h, endpoint)]
        assert [len(b) for b in batches] == [50, 50, 20]
        assert all(int(s.query["page_size"]) <= 50 for s in seen(h, endpoint))


async def test_detail_failure_on_command(h: TikTokHarness) -> None:
    h.emulator.orders.seed_samples(h.shop.id)
    h.emulator.fail_next("orders_detail", 36009003)
    with pytest.raises(TransientError):
        await h.connector.get_orders(h.store, [A])
    assert [o.order_id for o in await h.connector.get_orders(h.store, [A])] == [A]


async def test_orders_of_buyer_by_user_id_not_im_id(h: TikTokHarness) -> None:
    h.emulator.orders.seed_samples(h.shop.id)
    h.emulator.orders.add_order(h.shop.id, update_time=h.emulator.state.now() - 10,
                                user_id="someone-else")
    mine = await h.connector.orders_of_buyer(h.store, USER_ID)
    assert mine is not None and {o.order_id for o in mine} == {A, B, C}
    assert await h.connector.orders_of_buyer(h.store, IM_USER_ID) == []
    body = json.loads(seen(h, "orders_search")[0].body)
    assert body["buyer_user_id"] == USER_ID
    assert body["create_time_ge"] == pytest.approx(h.emulator.state.now() - 90 * 86400, abs=5)


async def test_conversation_to_buyer_user_id(h: TikTokHarness) -> None:
    h.emulator.orders.seed_samples(h.shop.id)
    conv_id = TT["chat_link"]["conversation"]["id"]
    conv = h.emulator.state.shops[h.shop.id].conversations[conv_id]
    h.emulator.state.add_message(conv, role="BUYER", content={"content": "đơn của mình?"})
    for n in range(25):  # push the sample conversation past the first list page
        await h.buyer_says(f"k{n}", "hi")
    assert await h.connector.order_buyer_id(h.store, conv_id) == USER_ID
    calls = len(seen(h, "conversations"))
    assert calls == 2  # found on the second page of the list
    assert await h.connector.order_buyer_id(h.store, conv_id) == USER_ID
    assert len(seen(h, "conversations")) == calls  # cached
    assert await h.connector.order_buyer_id(h.store, "no-such-conversation") is None


async def test_pulled_chat_message_leads_to_the_buyers_orders(h: TikTokHarness) -> None:
    h.emulator.orders.seed_samples(h.shop.id)
    conv = h.emulator.state.shops[h.shop.id].conversations[TT["chat_link"]["conversation"]["id"]]
    h.emulator.state.add_message(conv, role="BUYER", content={"content": "đơn của mình?"})
    (m,) = (await h.connector.fetch_since(h.store, None)).messages
    assert m.buyer.id == IM_USER_ID and m.attributes["buyer_user_id"] == USER_ID
    orders = await h.connector.orders_of_buyer(h.store, m.attributes["buyer_user_id"])
    assert orders is not None and len(orders) == 3


# -- webhooks ------------------------------------------------------------------------------

EXPECTED = {
    "type_1_order_unpaid": [(A, "status", "UNPAID")],
    "type_1_order_awaiting_shipment": [(A, "status", "AWAITING_SHIPMENT")],
    "type_11_buyer_cancel_pending": [(B, "cancellation", "CANCELLATION_REQUEST_PENDING")],
    "type_12_refund_pending": [(C, "return", "RETURN_OR_REFUND_REQUEST_PENDING")],
    "type_3_recipient_address_update_doc_shape_no_notification_id": [
        (B, "status", "RECIPIENT_ADDRESS_UPDATE")],
    "type_4_package_update": [(A, "tracking", "COMBINE")],
}


def test_every_webhook_sample_is_covered() -> None:
    assert set(TT["webhooks"]) == set(EXPECTED)
    assert (TT["_context"]["app_key"], TT["_context"]["app_secret"]) == (APP_KEY, APP_SECRET)


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_signed_webhook_samples_verify_and_map(h: TikTokHarness, name: str) -> None:
    headers, raw = h.emulator.order_pushes.sample(name)
    batch = h.connector.verify_push(headers, raw, WEBHOOK_URL)
    assert batch.messages == () and batch.ignored == ()
    got = [(e.order_id, e.kind, e.platform_status) for e in batch.order_events]
    assert got == EXPECTED[name]
    body = TT["webhooks"][name]["body"]
    (event,) = batch.order_events
    assert event.shop_id == body["shop_id"] and event.raw == body
    assert event.at == at(body["data"].get("update_time") or body["data"]["create_time"])


async def test_forged_order_push_is_401(h: TikTokHarness) -> None:
    headers, raw = h.emulator.order_pushes.sample("type_11_buyer_cancel_pending")
    for bad_headers, bad_raw in [
            (headers, raw.replace(b"PENDING", b"SUCCESS")),
            ({"Authorization": sign(APP_KEY, "wrong-secret", raw)}, raw),
            ({}, raw)]:
        with pytest.raises(PushRejected) as err:
            h.connector.verify_push(bad_headers, bad_raw, WEBHOOK_URL)
        assert err.value.status == 401


async def test_signed_but_incomplete_order_push_is_400(h: TikTokHarness) -> None:
    for doc in ({"type": 1, "shop_id": "1", "data": {"order_status": "UNPAID"}},
                {"type": 4, "shop_id": "1", "data": {"package_list": [{"order_id_list": []}]}},
                {"type": 12, "data": {"order_id": "5"}}):
        raw = json.dumps(doc).encode()
        with pytest.raises(PushRejected) as err:
            h.connector.verify_push({"Authorization": sign(APP_KEY, APP_SECRET, raw)}, raw, "u")
        assert err.value.status == 400


async def test_webhook_spelling_cancel_maps(h: TikTokHarness) -> None:
    h.emulator.orders.seed_samples(h.shop.id)
    h.emulator.orders.touch(h.shop.id, A, status="CANCELLED")
    headers, raw = h.emulator.order_pushes.status(h.shop.id, A)
    (event,) = h.connector.verify_push(headers, raw, WEBHOOK_URL).order_events
    assert (event.kind, event.platform_status) == ("status", "CANCEL")


async def test_emulator_delivers_signed_order_pushes(h: TikTokHarness) -> None:
    events: list[Any] = []

    async def hook(request: web.Request) -> web.Response:
        try:
            batch = h.connector.verify_push(request.headers, await request.read(), "u")
        except PushRejected as exc:
            return web.Response(status=exc.status)
        events.extend(batch.order_events)
        return web.Response(status=h.connector.push_ack.status, body=h.connector.push_ack.body)

    app = web.Application()
    app.router.add_post("/webhooks/tiktok", hook)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    h.emulator.push.url = f"http://127.0.0.1:{port}/webhooks/tiktok"
    try:
        book, pushes = h.emulator.orders, h.emulator.order_pushes
        book.seed_samples(h.shop.id)
        for headers, raw in (pushes.status(h.shop.id, A),
                             pushes.cancellation(h.shop.id, "4035318504086611111"),
                             pushes.return_(h.shop.id, "4035318504086622222"),
                             pushes.address(h.shop.id, B),
                             pushes.package(h.shop.id, "1153132168123859002", [A, B]),
                             pushes.sample("type_1_order_unpaid")):
            await h.emulator.push.deliver(headers, raw)
        forged = await h.emulator.push.deliver({"Authorization": "0" * 64}, raw)
        assert all(d.acked for d in h.emulator.push.deliveries[:-1])
        assert forged.attempts[0].status == 401
        assert [(e.order_id, e.kind) for e in events] == [
            (A, "status"), (B, "cancellation"), (C, "return"), (B, "status"),
            (A, "tracking"), (B, "tracking"), (A, "status")]
    finally:
        await runner.cleanup()
