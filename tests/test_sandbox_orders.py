"""The sandbox marketplace's orders, through the connector order interface the real
platforms implement (OrderSource, OrderActor, order pushes), over real HTTP; then
end to end: the card's order line and a request said in the buyer's thread."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.demo.marketplace.order_book import demo_orders
from bot.demo.marketplace.pushes import encode_push
from connectors.errors import PushRejected
from connectors.order_actions import ActionRefused, OrderAction, ReturnDecision
from connectors.orders import OrderActor, OrderSource, OrderStatus
from connectors.sandbox.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, push_signature
from tests.emulators.sandbox import PUSH_URL, SHOP_ID, SandboxHarness, harness
from tests.harness import BUYER, SHOP, running_bridge

NOW = int(time.time())


def add(h: SandboxHarness, oid: str, buyer: str = "b-0001", **extra: Any) -> None:
    h.market.order_book.add(SHOP_ID, {"order_id": oid, "buyer_id": buyer,
                                      "status": "READY_TO_SHIP", "amount": "29.90",
                                      "currency": "SGD", "created_at": NOW - 3600,
                                      "updated_at": NOW - 3600, **extra})


def cancel_request(respond_by: int) -> dict[str, Any]:
    return {"state": "pending", "reason": "Changed my mind", "requested_at": NOW - 60,
            "respond_by": respond_by}


async def test_the_sandbox_connector_serves_orders_like_the_platforms() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        c = h.connector
        assert isinstance(c, OrderSource) and isinstance(c, OrderActor)
        add(h, "SO-1", items=[{"name": "Linen shirt", "quantity": 2, "price": "14.95"}],
            ship_by=NOW + 7200, cancellation=cancel_request(NOW + 3600))
        add(h, "SO-2", status="SHIPPED", tracking_no="SPX9", created_at=NOW - 90)
        add(h, "SO-3", buyer="b-other", status="COMPLETED")
        mine = await c.orders_of_buyer(h.store, "b-0001")
        assert [o.order_id for o in mine or []] == ["SO-2", "SO-1"]  # newest first
        so1 = mine[1]
        assert so1.status is OrderStatus.TO_SHIP and so1.platform_status == "READY_TO_SHIP"
        assert so1.items[0].quantity == 2 and so1.ship_by is not None
        assert so1.cancellation and so1.cancellation.state == "pending"
        assert int(so1.cancellation.respond_by.timestamp()) == NOW + 3600
        assert mine[0].tracking_no == "SPX9" and mine[0].status is OrderStatus.SHIPPED
        got = await c.get_orders(h.store, ["SO-3", "nope", "SO-1"])
        assert [o.order_id for o in got] == ["SO-3", "SO-1"]  # unknown ids left out
        assert c.allowed_actions(so1) == {OrderAction.CANCEL_ACCEPT, OrderAction.CANCEL_REJECT}
        assert c.allowed_actions(mine[0]) == frozenset()


async def test_the_safety_pull_pages_from_a_cursor_and_sees_later_changes() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        for i in range(60):
            add(h, f"P-{i:03d}", updated_at=NOW - 600 + i)
        first = await h.connector.fetch_orders_since(h.store, None)
        assert len(first.orders) == 50 and first.more
        second = await h.connector.fetch_orders_since(h.store, first.cursor)
        assert [o.order_id for o in second.orders] == [f"P-{i:03d}" for i in range(50, 60)]
        assert not second.more
        empty = await h.connector.fetch_orders_since(h.store, second.cursor)
        assert empty.orders == () and empty.cursor == second.cursor
        h.market.buyer_requests_cancellation(SHOP_ID, "P-007", "Too slow")
        changed = await h.connector.fetch_orders_since(h.store, second.cursor)
        assert [o.order_id for o in changed.orders] == ["P-007"]
        assert changed.orders[0].cancellation.reason == "Too slow"


async def test_answers_reach_the_marketplace_and_a_refusal_is_in_its_words() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        c = h.connector
        add(h, "SO-1", cancellation=cancel_request(NOW + 3600))
        add(h, "SO-2", cancellation=cancel_request(NOW - 5))  # its deadline has passed
        add(h, "SO-3", status="DELIVERED", returns=[{
            "return_id": "R-1", "kind": "refund", "state": "pending", "reason": "Broken",
            "amount": "12.00", "requested_at": NOW - 60, "respond_by": NOW + 3600}])
        reasons = await c.refusal_reasons(h.store, "SO-1", "cancel")
        assert [r.code for r in reasons] == ["out_of_stock", "already_packed"]
        with pytest.raises(ActionRefused) as refused:
            await c.answer_cancellation(h.store, "SO-1", False, "not-a-reason")
        assert "needs a reason from the reasons list" in refused.value.user_message
        done = await c.answer_cancellation(h.store, "SO-1", True)
        assert done.action is OrderAction.CANCEL_ACCEPT and done.platform_status == "CANCELLED"
        assert h.market.order_book.get(SHOP_ID, "SO-1")["status"] == "CANCELLED"
        with pytest.raises(ActionRefused) as refused:  # answered already: nothing changes
            await c.answer_cancellation(h.store, "SO-1", False, "out_of_stock")
        assert refused.value.user_message.startswith("The sandbox marketplace refused:")
        assert h.market.order_book.get(SHOP_ID, "SO-1")["cancellation"]["state"] == "accepted"
        (so2,) = await c.get_orders(h.store, ["SO-2"])
        assert c.allowed_actions(so2) == frozenset()
        with pytest.raises(ActionRefused, match="has passed"):
            await c.answer_cancellation(h.store, "SO-2", True)

        (so3,) = await c.get_orders(h.store, ["SO-3"])
        assert OrderAction.RETURN_PARTIAL_REFUND in c.allowed_actions(so3, "R-1")
        offer = await c.answer_return(h.store, "SO-3", "R-1", ReturnDecision.PARTIAL_REFUND,
                                      amount="6.00")
        assert offer.action is OrderAction.RETURN_PARTIAL_REFUND and offer.request_id == "R-1"
        (so3,) = await c.get_orders(h.store, ["SO-3"])
        assert so3.returns[0].state == "in_progress" and so3.returns[0].amount == "6.00"


def signed(h: SandboxHarness, payload: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    body = encode_push(payload)
    stamp = str(int(time.time()))
    return ({TIMESTAMP_HEADER: stamp,
             SIGNATURE_HEADER: push_signature(h.market.app_secret, stamp, body)}, body)


async def test_an_order_push_names_the_order_and_a_bad_one_is_refused() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        headers, body = signed(h, {"event": "order_update", "shop_id": SHOP_ID,
                                   "order_id": "SO-1", "kind": "cancellation",
                                   "status": "READY_TO_SHIP", "updated_at": NOW})
        batch = h.connector.verify_push(headers, body, PUSH_URL)
        (event,) = batch.order_events
        assert (event.order_id, event.kind, event.platform_status) == (
            "SO-1", "cancellation", "READY_TO_SHIP")
        assert batch.messages == () and batch.ignored == ()
        headers, body = signed(h, {"event": "order_update", "shop_id": SHOP_ID})
        with pytest.raises(PushRejected) as bad:
            h.connector.verify_push(headers, body, PUSH_URL)
        assert bad.value.status == 400 and "order_id" in str(bad.value)


def test_two_orders_for_every_demo_buyer_and_one_of_each_request() -> None:
    from bot.demo.marketplace.buyers import DEMO_BUYERS
    orders = demo_orders(NOW)
    per_buyer = {b.buyer_id: [o for _, o in orders if o["buyer_id"] == b.buyer_id]
                 for b in DEMO_BUYERS}
    assert all(len(mine) == 2 for mine in per_buyer.values()), per_buyer
    pending = [o for _, o in orders if (o.get("cancellation") or {}).get("state") == "pending"]
    refunds = [o for _, o in orders for r in o.get("returns", []) if r["state"] == "pending"]
    assert len(pending) == 1 and pending[0]["cancellation"]["respond_by"] > NOW
    assert len(refunds) == 1 and refunds[0]["returns"][0]["respond_by"] > NOW


async def test_the_card_lists_orders_and_a_later_request_is_said_in_the_thread(
        tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        b.market.order_book.add(SHOP, {"order_id": "2406117K3QW9NA", "buyer_id": BUYER,
                                       "status": "READY_TO_SHIP", "amount": "34.50",
                                       "currency": "SGD", "created_at": NOW - 3 * 86400,
                                       "updated_at": NOW - 2 * 86400})
        await b.buyer_says("Hi, where is my order?")
        conv = await b.thread()

        def card() -> str:
            return json.dumps(b.slack.message(conv.channel_id, conv.thread_ts)["blocks"],
                              ensure_ascii=False)
        await b.wait(lambda: "2406117K3QW9NA" in card() and "To ship" in card())
        assert not [m for m in b.replies(conv) if "asked to cancel" in m.get("text", "")]

        # The buyer asks to cancel on the marketplace: pushed, fetched, said once.
        b.market.buyer_requests_cancellation(SHOP, "2406117K3QW9NA", "Changed my mind",
                                             respond_within=3600)
        note = await b.wait(lambda: next((m for m in b.replies(conv)
                                          if "asked to cancel" in m.get("text", "")), None))
        assert "order_act:cancel_accept" in json.dumps(note["blocks"])
        await b.wait(lambda: "cancellation requested" in card())
        await b.settle()
        assert len([m for m in b.replies(conv) if "asked to cancel" in m.get("text", "")]) == 1
