"""Shopee orders: the samples parse, tolerant parsing, and order pushes (verify + map)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from connectors.errors import PushRejected
from connectors.orders import OrderSource, OrderStatus
from connectors.shopee import ShopeeConnector
from connectors.shopee.orders_parse import money, parse_order, parse_return, to_time
from connectors.shopee.push import verify_push
from tests.emulators.shopee import PARTNER_KEY, SHOP_ID
from tests.emulators.shopee_orders_env import orders_env, push_receiver
from tests.emulators.shopee_push import compact, push_authorization
from tests.emulators.tokens import MemoryTokenStore

SAMPLES = json.loads((Path(__file__).resolve().parent / "fixtures"
                      / "platform-orders-samples.json").read_text("utf-8"))["shopee"]
CTX = SAMPLES["_context"]
DETAILS = {o["order_sn"]: o for o in
           SAMPLES["get_order_detail"]["response"]["response"]["order_list"]}
A, B, C = "231115A7K2QW9N", "231114B3M8XR2P", "231101C5T4HV7D"


def ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def test_sample_details_parse() -> None:
    a = parse_order(DETAILS[A], shop_id=str(SHOP_ID))
    assert (a.status, a.platform_status) == (OrderStatus.TO_SHIP, "READY_TO_SHIP")
    assert (a.amount, a.currency) == ("259000", "VND")
    assert a.buyer_id == str(SAMPLES["chat_link"]["conversation"]["to_id"]) == "165105353"
    assert a.ship_by == ts(1700240399) and a.created_at == ts(1699990000)
    (item,) = a.items
    assert (item.name, item.quantity, item.sku, item.price) == (
        "Áo thun cotton nam cổ tròn (Đen,L)", 2, "TS-BLK-L", "120000")
    assert item.image_url and a.cancellation is None and a.returns == ()

    b = parse_order(DETAILS[B], shop_id=str(SHOP_ID))
    assert b.status is OrderStatus.TO_SHIP and b.platform_status == "IN_CANCEL"
    assert b.cancellation is not None and b.cancellation.state == "pending"
    assert b.cancellation.reason == "Need to change delivery address"
    assert b.cancellation.respond_by is None  # Shopee gives no deadline
    b2 = parse_order(DETAILS[B], shop_id="1", cancel_respond_window=timedelta(days=2))
    assert b2.cancellation and b2.cancellation.respond_by == ts(1699995000 + 2 * 86400)

    ret = SAMPLES["get_return_detail"]["response"]["response"]
    c = parse_order(DETAILS[C], shop_id=str(SHOP_ID), returns=[ret])
    assert c.status is OrderStatus.COMPLETED
    (r,) = c.returns
    assert (r.return_id, r.state, r.kind, r.amount, r.platform_status) == (
        "2311150RQ7XK0D1", "pending", "return", "150000", "REQUESTED")
    assert r.respond_by == ts(1700168200) and r.requested_at == ts(1699995400)
    listed = SAMPLES["get_return_list"]["response"]["response"]["return"][0]
    assert parse_return(listed).respond_by == ts(1700168200)


def test_return_states_and_deadlines() -> None:
    base = dict(SAMPLES["get_return_detail"]["response"]["response"])
    proc = {**base, "status": "PROCESSING", "return_seller_due_date": 1700300000,
            "negotiation": {"negotiation_status": "TERMINATED"}}
    assert (parse_return(proc).state, parse_return(proc).respond_by) == (
        "pending", ts(1700300000))
    proof = {**proc, "return_seller_due_date": 0,
             "seller_proof": {"seller_proof_status": "PENDING",
                              "seller_evidence_deadline": 1700200000}}
    assert parse_return(proof).respond_by == ts(1700200000)
    moving = {**proc, "return_seller_due_date": 0}
    assert (parse_return(moving).state, parse_return(moving).respond_by) == (
        "in_progress", None)
    for closed in ("CLOSED", "CANCELLED", "ACCEPTED"):
        assert parse_return({**base, "status": closed}).state == "closed"
    assert parse_return({**base, "return_solution": 1}).kind == "refund"
    odd = parse_return({"return_sn": 7, "status": "SOMETHING_NEW"})
    assert (odd.state, odd.platform_status, odd.return_id) == ("in_progress", "SOMETHING_NEW",
                                                               "7")


def test_tolerant_parsing() -> None:
    raw = {"order_sn": "X1", "order_status": "BRAND_NEW_STATUS", "currency": "SGD",
           "total_amount": 12.3, "create_time": "2023-11-15T02:26:40+07:00",
           "update_time": 1699990000123, "ship_by_date": "2023-11-17 23:59:59 +0700",
           "buyer_user_id": 0, "item_list": [
               {"item_id": 1, "model_id": 2, "item_name": "Cap", "model_quantity_purchased": 1,
                "model_discounted_price": 0, "model_original_price": 9.9},
               {"item_id": 1, "model_id": 2, "item_name": "Cap", "model_quantity_purchased": 2},
               {"item_id": 3, "model_id": 0, "item_name": "Bag", "model_quantity_purchased": "4"},
               "garbage", None]}
    o = parse_order(raw, shop_id="1")
    assert (o.status, o.platform_status) == (OrderStatus.UNKNOWN, "BRAND_NEW_STATUS")
    assert o.amount == "12.30" and o.buyer_id == ""
    assert o.created_at == ts(1699990000) and o.updated_at.timestamp() == 1699990000.123
    assert o.ship_by == datetime(2023, 11, 17, 16, 59, 59, tzinfo=UTC)
    assert [(i.name, i.quantity, i.price) for i in o.items] == [("Cap", 3, "9.90"),
                                                                  ("Bag", 4, "")]
    unpaid = parse_order({"order_sn": "X2", "order_status": "UNPAID", "currency": "VND"},
                         shop_id="1")
    assert unpaid.status is OrderStatus.UNPAID and unpaid.amount == "" and unpaid.items == ()
    with pytest.raises(ValueError):
        parse_order({"order_status": "UNPAID"}, shop_id="1")
    assert money(259000.0, "VND") == "259000" and money("1.005", "MYR") == "1.01"
    assert money(None, "VND") == "" and money("abc", "VND") == "" and money(True, "VND") == ""
    for bad in (None, 0, "", "soon", float("inf"), True, [], 10**30):
        assert to_time(bad) is None


PUSHES = {  # sample name -> (kind, order id, platform_status, at)
    "code_3_new_order_unpaid": ("status", A, "UNPAID", 1699990000),
    "code_3_paid_ready_to_ship": ("status", A, "READY_TO_SHIP", 1699990095),
    "code_3_buyer_requested_cancel": ("cancellation", B, "IN_CANCEL", 1699995000),
    "code_3_live_style_null_scenario": ("status", B, "CANCELLED", 1699997200),
    "code_4_tracking_number": ("tracking", A, "", 1699999000),
    "code_30_package_fulfillment_status": ("tracking", A, "LOGISTICS_REQUEST_CREATED",
                                           1699998900),
    "code_47_package_info_ship_by_changed": ("ship_by", A, "", 1699998000),
    "code_29_return_updates": ("return", C, "PROCESSING", 1700020000),
}


def test_every_sample_push_verifies_and_maps() -> None:
    assert set(PUSHES) == set(SAMPLES["pushes"])
    for name, (kind, order_id, status, at) in PUSHES.items():
        p = SAMPLES["pushes"][name]
        batch = verify_push(CTX["partner_key"], p["headers"], p["raw_body"].encode(),
                            CTX["push_callback_url"])
        assert batch.messages == () and batch.ignored == (), name
        (ev,) = batch.order_events
        assert (ev.kind, ev.order_id, ev.platform_status, ev.at) == (
            kind, order_id, status, ts(at)), name
        assert ev.shop_id == str(CTX["shop_id"]) and ev.raw["msg_id"] == p["body"]["msg_id"]


def test_forged_or_unsigned_order_push_is_401() -> None:
    p = SAMPLES["pushes"]["code_3_paid_ready_to_ship"]
    raw = p["raw_body"].encode()
    tampered = raw.replace(b"READY_TO_SHIP", b"CANCELLED")
    cases = [({}, raw, CTX["push_callback_url"]),
             (p["headers"], tampered, CTX["push_callback_url"]),
             (p["headers"], raw, CTX["push_callback_url"] + "/"),
             ({"Authorization": push_authorization("shpk-wrong", CTX["push_callback_url"],
                                                   raw)}, raw, CTX["push_callback_url"])]
    for headers, body, url in cases:
        with pytest.raises(PushRejected) as err:
            verify_push(CTX["partner_key"], headers, body, url)
        assert err.value.status == 401


def test_order_pushes_without_an_order_are_acknowledged_and_dropped() -> None:
    url = CTX["push_callback_url"]
    for payload in ({"code": 3, "shop_id": 1, "data": {"ordersn": "X"}, "timestamp": 1},
                    {"code": 4, "shop_id": 1, "data": {"tracking_no": "T"}, "timestamp": 1},
                    {"code": 29, "shop_id": 1, "data": "not json", "timestamp": 1},
                    {"code": 47, "data": {"order_sn": "X"}, "timestamp": 1}):
        body = compact(payload)
        batch = verify_push(PARTNER_KEY, {"Authorization": push_authorization(
            PARTNER_KEY, url, body)}, body, url)
        assert batch.order_events == () and len(batch.ignored) == 1


async def test_connector_is_an_order_source_without_buyer_search() -> None:
    async with aiohttp.ClientSession() as session:
        c = ShopeeConnector(session, partner_id=CTX["partner_id"], partner_key=PARTNER_KEY,
                            tokens=MemoryTokenStore(), push_callback_url=CTX["push_callback_url"])
        assert isinstance(c, OrderSource)
        p = SAMPLES["pushes"]["code_47_package_info_ship_by_changed"]
        (ev,) = c.verify_push(p["headers"], p["raw_body"].encode(), "http://ignored/").order_events
        assert ev.kind == "ship_by"
        async with orders_env(session) as env:
            assert await env.connector.orders_of_buyer(env.store, "165105353") is None


async def test_emulator_sends_signed_order_pushes_and_replays_samples() -> None:
    async with aiohttp.ClientSession() as session, orders_env(session) as env:
        emu, url = env.emulator, CTX["push_callback_url"]
        async with push_receiver(env.connector, url) as (deliver_to, batches):
            emu.configure_push(url, deliver_to=deliver_to)
            emu.request_cancel(SHOP_ID, A)
            emu.set_tracking(SHOP_ID, A, "SPXVN000000000001")
            emu.move_ship_by(SHOP_ID, A, 1700326799)
            emu.update_return(SHOP_ID, "2311150RQ7XK0D1", status="PROCESSING")
            await emu.settle()
            for name in SAMPLES["pushes"]:  # the recorded bytes, signed by the emulator
                headers, body = emu.sample_push(name)
                assert emu.push is not None and emu.push.signed(body)["Authorization"] == (
                    headers["Authorization"])
                assert await emu.deliver_raw(SHOP_ID, json.loads(body)["code"], body)
        kinds = [ev.kind for b in batches for ev in b.order_events]
        assert kinds[:4] == ["cancellation", "tracking", "ship_by", "return"]
        assert len(kinds) == 4 + len(SAMPLES["pushes"]) and not emu.lost
        assert all(len(b.order_events) == 1 for b in batches)


async def test_customer_service_app_gets_no_code_3_and_lost_pushes_are_kept() -> None:
    async with aiohttp.ClientSession() as session, orders_env(
            session, emulator_options={"order_options": {"disabled_pushes": {3}}}) as env:
        emu = env.emulator
        async with push_receiver(env.connector, "https://other.example/") as (deliver_to, got):
            emu.configure_push(CTX["push_callback_url"], deliver_to=deliver_to,
                               retry_delays=(0.01,))
            emu.request_cancel(SHOP_ID, A)  # code 3: not for this app type
            emu.set_tracking(SHOP_ID, A, "SPX1")  # signed for another URL: rejected 401
            await emu.settle()
        assert got == [] and [p["code"] for p in emu.order_book.sent_pushes] == [4]
        assert [p["code"] for p in emu.lost] == [4]
