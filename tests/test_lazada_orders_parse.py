"""Lazada order mapping from the shared samples: statuses, units, money, times, deadlines."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from connectors.lazada.orders_parse import derive_status, to_order
from connectors.lazada.orders_reverse import normalise
from connectors.lazada.orders_wire import parse_time
from connectors.orders import OrderStatus

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "platform-orders-samples.json"
LZ: dict[str, Any] = json.loads(SAMPLES.read_text(encoding="utf-8"))["lazada"]
SELLER = LZ["_context"]["seller_id"]
TWO_UNITS, CANCEL_ASKED, RETURNED = "832145679012345", "832031234567890", "829876543210987"


def utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def sample_orders(site: str = "TH") -> dict[str, Any]:
    rows = {str(r["order_id"]): r for r in LZ["get_orders"]["response"]["data"]["orders"]}
    items = {str(e["order_id"]): e["order_items"]
             for e in LZ["get_multiple_order_items"]["response"]["data"]}
    reverses = [normalise(r)
                for r in LZ["get_reverse_orders_for_seller"]["response"]["result"]["items"]]
    return {oid: to_order(row, items[oid], [r for r in reverses if r["trade_order_id"] == oid],
                          shop_id=SELLER, site=site) for oid, row in rows.items()}


def test_two_units_are_one_line_with_quantity_two() -> None:
    order = sample_orders()[TWO_UNITS]
    (line,) = order.items
    assert (line.sku, line.quantity, line.price) == ("TS-BLK-L", 2, "290.00")
    assert line.image_url == "https://th-live.slatic.net/p/mock-tee-black-l.jpg"
    assert (order.status, order.platform_status) == (OrderStatus.TO_SHIP, "pending")
    # price 580.00 - voucher 0.00 + shipping 38.00; currency from the items
    assert (order.amount, order.currency) == ("618.00", "THB")
    assert order.ship_by == datetime(2023, 11, 17, 23, 59, 59,
                                     tzinfo=timezone(timedelta(hours=7)))
    assert order.created_at == utc(1699990000) and order.updated_at == utc(1699990040)
    assert order.tracking_no is None and order.cancellation is None and order.returns == ()


def test_buyer_id_is_the_chat_sessions_buyer_id() -> None:
    chat_buyer = str(LZ["chat_link"]["session"]["buyer_id"])
    assert {o.buyer_id for o in sample_orders().values()} == {chat_buyer}
    card = json.loads(LZ["chat_link"]["order_card_message_content"])
    assert card["orderId"] in sample_orders()


def test_pending_buyer_cancellation_with_its_deadline() -> None:
    order = sample_orders()[CANCEL_ASKED]
    cancel = order.cancellation
    assert cancel is not None and cancel.state == "pending"
    assert cancel.respond_by == utc(1700166800)  # item cancel_trigger_time (ms)
    assert cancel.requested_at == utc(1699994000)  # the CANCEL reverse line's creation
    assert cancel.reason == "Change of mind"
    assert order.returns == ()  # a CANCEL reverse order is not a return
    assert order.amount == "388.00"


def test_return_awaiting_the_seller_with_sla_and_cents() -> None:
    order = sample_orders()[RETURNED]
    assert (order.status, order.tracking_no) == (OrderStatus.DELIVERED, "TH2311000A1B2C3")
    (ret,) = order.returns
    assert (ret.return_id, ret.state, ret.kind) == ("705112233445566", "pending", "return")
    assert ret.amount == "199.00"  # 19900 cents
    assert ret.respond_by == utc(1700165800) and ret.requested_at == utc(1699993000)
    assert (ret.platform_status, ret.reason) == ("REQUEST_INITIATE", "Damaged item")


def test_detail_shape_maps_like_the_list_shape() -> None:
    detail = normalise(LZ["get_reverse_order_detail"]["response"]["data"])
    listed = next(normalise(r) for r in
                  LZ["get_reverse_orders_for_seller"]["response"]["result"]["items"]
                  if str(r["reverse_order_id"]) == detail["reverse_order_id"])
    items = LZ["get_multiple_order_items"]["response"]["data"][2]["order_items"]
    row = LZ["get_orders"]["response"]["data"]["orders"][2]
    a = to_order(row, items, [detail], shop_id=SELLER, site="TH")
    b = to_order(row, items, [listed], shop_id=SELLER, site="TH")
    assert a.returns == b.returns and a.returns[0].state == "pending"


def test_get_order_row_and_quoted_ids() -> None:
    row = {**LZ["get_order"]["response"]["data"], "order_id": TWO_UNITS, "order_number": TWO_UNITS}
    items = [{**i, "order_id": str(i["order_id"]), "buyer_id": str(i["buyer_id"]),
              "need_cancel_confirm": "false"}
             for i in LZ["get_multiple_order_items"]["response"]["data"][0]["order_items"]]
    order = to_order(row, items, shop_id=SELLER, site="TH")
    assert (order.order_id, order.buyer_id, order.items[0].quantity) == (TWO_UNITS,
                                                                          "1011822749", 2)
    assert order.cancellation is None


def test_vietnam_reverse_amounts_are_not_cents() -> None:
    reverse = normalise({"reverse_order_id": 1, "trade_order_id": 2, "request_type": "ONLY_REFUND",
                         "reverse_order_lines": [{"reverse_status": "REFUND_SUCCESS",
                                                  "refund_amount": 150000}]})
    vn = to_order({"order_id": 2, "price": "150000"}, [], [reverse], shop_id="s", site="VN")
    sg = to_order({"order_id": 2, "price": "1500.00"}, [], [reverse], shop_id="s", site="SG")
    assert (vn.returns[0].amount, vn.currency) == ("150000", "VND")
    assert (sg.returns[0].amount, sg.currency) == ("1500.00", "SGD")
    assert vn.returns[0].kind == "refund" and vn.returns[0].state == "closed"


@pytest.mark.parametrize("value,expected", [
    ("2023-11-15 02:26:40 +0700", 1699990000),
    ("2014-10-15 18:36:05 +0800", 1413369365),
    ("2018-02-09T22:44:30+08:00", 1518187470),
    ("2023-11-17T23:59:59+07:00", 1700240399),
    ("1700166800000", 1700166800), (1700166800000, 1700166800),
    (1699990000, 1699990000), ("1699990000", 1699990000),
    ("2023-11-15T02:26:40Z", 1700015200),
])
def test_every_time_format(value: object, expected: int) -> None:
    assert parse_time(value) == utc(expected)


@pytest.mark.parametrize("value", ["", None, "null", "soon", 0, "0", True])
def test_unreadable_times_are_none(value: object) -> None:
    assert parse_time(value) is None


def test_naive_times_are_read_in_the_site_zone() -> None:
    bangkok = timezone(timedelta(hours=7))
    assert parse_time("2023-11-15 02:26:40", bangkok) == utc(1699990000)


@pytest.mark.parametrize("words,status", [
    (["pending", "shipped"], OrderStatus.TO_SHIP),
    (["canceled", "delivered"], OrderStatus.DELIVERED),
    (["canceled", "canceled"], OrderStatus.CANCELLED),
    (["returned"], OrderStatus.COMPLETED),
    (["unpaid"], OrderStatus.UNPAID),
    (["ready_to_ship", "packed"], OrderStatus.TO_SHIP),
    (["lost_by_3pl"], OrderStatus.CANCELLED),
    (["teleported", "pending"], OrderStatus.TO_SHIP),
    (["teleported"], OrderStatus.UNKNOWN),
    ([], OrderStatus.UNKNOWN),
])
def test_order_status_from_item_statuses(words: list[str], status: OrderStatus) -> None:
    assert derive_status(words)[0] is status


def test_unknown_status_is_kept_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    items = [{**i, "status": "quantum_state"}
             for i in LZ["get_multiple_order_items"]["response"]["data"][0]["order_items"]]
    with caplog.at_level(logging.WARNING):
        order = to_order(LZ["get_order"]["response"]["data"], items, shop_id=SELLER, site="TH")
    assert (order.status, order.platform_status) == (OrderStatus.UNKNOWN, "quantum_state")
    assert "quantum_state" in caplog.text


@pytest.mark.parametrize("state,expected", [("REQUEST_REJECT", "rejected"),
                                            ("REQUEST_CANCEL", "withdrawn"),
                                            ("CANCEL_SUCCESS", "accepted")])
def test_answered_cancellations(state: str, expected: str) -> None:
    reverse = normalise({"reverse_order_id": 7, "trade_order_id": 8, "request_type": "CANCEL",
                         "reverse_order_lines": [{"reverse_status": state, "sla": 1700166800000}]})
    order = to_order({"order_id": 8}, [{"status": "pending"}], [reverse], shop_id="s", site="TH")
    assert order.cancellation is not None and order.cancellation.state == expected
    assert order.cancellation.respond_by is None


def test_seller_agreed_cancellation_waiting_for_logistics() -> None:
    order = to_order({"order_id": 8}, [{"status": "pending", "is_cancel_pending": True}],
                     shop_id="s", site="TH")
    assert order.cancellation is not None and order.cancellation.state == "accepted"


def test_garbage_never_crashes() -> None:
    rng = random.Random(3)
    junk: list[object] = [None, "", "x", -1, 1.5, [], {}, True, "1e400", "NaN", "null-null"]
    keys = ["order_id", "price", "voucher", "shipping_fee", "created_at", "updated_at",
            "statuses", "status", "sla_time_stamp", "buyer_id", "need_cancel_confirm",
            "cancel_trigger_time", "paid_price", "currency", "tracking_code", "sku"]
    for _ in range(300):
        row = {k: rng.choice(junk) for k in keys if rng.random() < 0.6}
        items = [{k: rng.choice(junk) for k in keys if rng.random() < 0.6}
                 for _ in range(rng.randrange(3))]
        line = {"reverse_status": rng.choice(junk), "sla": rng.choice(junk),
                "refund_amount": rng.choice(junk)}
        reverse = normalise({"request_type": rng.choice(["CANCEL", "RETURN", None]),
                             "reverse_order_lines": [line]})
        if isinstance(row.get("statuses"), str):
            row["statuses"] = [row["statuses"]]
        to_order(row, items, [reverse], shop_id="s", site=rng.choice(["TH", "VN", "??"]))
