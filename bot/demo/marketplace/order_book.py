"""The sandbox marketplace's orders: what it remembers, and the answers a seller gives.

Its own wire form (unix seconds, the platform's status words), served by
:mod:`bot.demo.marketplace.order_routes` and read by :mod:`connectors.sandbox.orders`.
Pure state: the server decides what to push when an order changes.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

#: The platform's status words (what ``Order.platform_status`` keeps).
STATUSES = ("UNPAID", "READY_TO_SHIP", "SHIPPED", "DELIVERED", "COMPLETED", "CANCELLED")
DECISIONS = ("accept", "refuse", "partial_refund")
CANCEL_REASONS = (("out_of_stock", "Out of stock"),
                  ("already_packed", "The parcel is already packed"))
RETURN_REASONS = (("not_as_described", "The item matches its description"),
                  ("used_item", "The item was used or damaged by the buyer"))


class Refusal(Exception):
    """The marketplace says no: (HTTP status, error code, its own words)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class OrderBook:
    #: shop id -> order id -> the order in wire form
    orders: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def add(self, shop_id: str, order: dict[str, Any]) -> dict[str, Any]:
        if order.get("status") not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        now = int(time.time())
        wire = {"items": [], "ship_by": None, "tracking_no": None, "cancellation": None,
                "returns": [], "created_at": now, "updated_at": now, **copy.deepcopy(order)}
        self.orders.setdefault(shop_id, {})[wire["order_id"]] = wire
        return copy.deepcopy(wire)

    def get(self, shop_id: str, order_id: str) -> dict[str, Any] | None:
        found = self.orders.get(shop_id, {}).get(order_id)
        return copy.deepcopy(found) if found else None

    def some(self, shop_id: str, order_ids: list[str]) -> list[dict[str, Any]]:
        """The known ones of ``order_ids``, in that order; unknown ids are left out."""
        return [o for o in (self.get(shop_id, i) for i in order_ids) if o is not None]

    def of_buyer(self, shop_id: str, buyer_id: str) -> list[dict[str, Any]]:
        mine = [o for o in self.orders.get(shop_id, {}).values() if o["buyer_id"] == buyer_id]
        return copy.deepcopy(sorted(mine, key=lambda o: -o["created_at"]))

    def updated_after(self, shop_id: str, after: tuple[int, str] | None,
                      limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Orders whose (updated_at, order_id) is past ``after``, oldest change first."""
        rows = sorted(self.orders.get(shop_id, {}).values(),
                      key=lambda o: (o["updated_at"], o["order_id"]))
        newer = [o for o in rows if after is None or (o["updated_at"], o["order_id"]) > after]
        return copy.deepcopy(newer[:limit]), len(newer) > limit

    # -- the seller's answers ------------------------------------------------------------

    def answer_cancellation(self, shop_id: str, order_id: str, accept: bool,
                            reason: str | None) -> dict[str, Any]:
        order = self._order(shop_id, order_id)
        request = order.get("cancellation") or {}
        now = int(time.time())
        if request.get("state") != "pending":
            raise Refusal(409, "request_not_pending",
                          "There is no cancellation request awaiting an answer on this order.")
        if request.get("respond_by") and request["respond_by"] <= now:
            raise Refusal(409, "deadline_passed",
                          "The time to answer this cancellation request has passed.")
        if not accept and reason not in dict(CANCEL_REASONS):
            raise Refusal(400, "invalid_reason", "Rejecting a cancellation needs a reason "
                                                 "from the reasons list.")
        request.update(state="accepted" if accept else "rejected", answered_at=now)
        if accept:
            order["status"] = "CANCELLED"
        order["updated_at"] = now
        return copy.deepcopy(order)

    def answer_return(self, shop_id: str, order_id: str, return_id: str, decision: str,
                      reason: str | None, amount: str | None) -> dict[str, Any]:
        order = self._order(shop_id, order_id)
        request = next((r for r in order["returns"] if r["return_id"] == return_id), None)
        now = int(time.time())
        if request is None or request.get("state") != "pending":
            raise Refusal(409, "request_not_pending",
                          "There is no return or refund request awaiting an answer here.")
        if request.get("respond_by") and request["respond_by"] <= now:
            raise Refusal(409, "deadline_passed",
                          "The time to answer this return request has passed.")
        if decision not in DECISIONS:
            raise Refusal(400, "invalid_request", f"decision must be one of {DECISIONS}")
        if decision == "refuse" and reason not in dict(RETURN_REASONS):
            raise Refusal(400, "invalid_reason", "Refusing a return needs a reason from the "
                                                 "reasons list.")
        if decision == "partial_refund" and not amount:
            raise Refusal(400, "invalid_request", "A partial refund needs an amount.")
        request.update(state="closed" if decision == "refuse" else "in_progress",
                       status={"accept": "ACCEPTED", "refuse": "REFUSED",
                               "partial_refund": "PARTIAL_REFUND_OFFERED"}[decision],
                       answered_at=now, **({"amount": amount} if amount else {}))
        order["updated_at"] = now
        return copy.deepcopy(order)

    def request_cancellation(self, shop_id: str, order_id: str, reason: str,
                             respond_within: float) -> dict[str, Any]:
        """The buyer asks to cancel (for tests and the demo): pending, with a deadline."""
        order = self._order(shop_id, order_id)
        now = int(time.time())
        order["cancellation"] = {"state": "pending", "reason": reason, "requested_at": now,
                                 "respond_by": int(now + respond_within)}
        order["updated_at"] = now
        return copy.deepcopy(order)

    def _order(self, shop_id: str, order_id: str) -> dict[str, Any]:
        order = self.orders.get(shop_id, {}).get(order_id)
        if order is None:
            raise Refusal(404, "order_not_found", f"Order {order_id} does not exist")
        return order


DAY = 86400


def _item(name: str, price: str, quantity: int = 1) -> dict[str, Any]:
    return {"name": name, "quantity": quantity, "sku": name.upper().replace(" ", "-")[:20],
            "price": price}


def demo_orders(now: float) -> list[tuple[str, dict[str, Any]]]:
    """(shop id, order): two orders per demo buyer, in each platform's id shape. Nurul
    Aisyah asked to cancel one (answer within a day); Daniel Goh asks for a refund of a
    broken mug. The rest happened over a day ago, so a new thread is not told about
    "new" orders that are not new."""
    t = int(now)
    out: list[tuple[str, dict[str, Any]]] = []

    def order(shop: str, oid: str, buyer: str, status: str, amount: str, currency: str,
              items: list[dict[str, Any]], age_days: float, **extra: Any) -> None:
        requests = [r["requested_at"] for r in (extra.get("cancellation"), *extra.get(
            "returns", ())) if r]
        out.append((shop, {"order_id": oid, "buyer_id": buyer, "status": status,
                           "amount": amount, "currency": currency, "items": items,
                           "created_at": t - int(age_days * DAY),
                           # A buyer's request is the order's latest change.
                           "updated_at": max(requests, default=t - int(
                               max(age_days - 1, 1.2) * DAY)), **extra}))

    sg, my, vn = "sg-880001", "my-770002", "vn-660003"
    order(sg, "2406117K3QW9NA", "b-1001", "SHIPPED", "34.50", "SGD",
          [_item("Ceramic Pour-Over Set", "34.50")], 3, tracking_no="SPX123")
    order(sg, "2405287M2XQ4RB", "b-1001", "COMPLETED", "19.90", "SGD",
          [_item("Linen Tea Towel", "9.95", 2)], 16)
    order(sg, "2406097P8HD2LC", "b-1002", "COMPLETED", "59.00", "SGD",
          [_item("Wireless Earbuds Pro", "59.00")], 5)
    order(sg, "2406127T4WV6MD", "b-1002", "READY_TO_SHIP", "29.90", "SGD",
          [_item("Linen Button-Down Shirt", "29.90")], 1.5, ship_by=t + 2 * DAY)
    order(sg, "2406087R5JK3NE", "b-1003", "DELIVERED", "24.00", "SGD",
          [_item("Stoneware Mug", "12.00", 2)], 4,
          returns=[{"return_id": "RR-30017", "kind": "refund", "state": "pending",
                    "reason": "Arrived broken", "amount": "12.00", "status": "REQUESTED",
                    "requested_at": t - 900, "respond_by": t + 2 * DAY - 900}])
    order(sg, "2405307B9CF1PF", "b-1003", "COMPLETED", "12.50", "SGD",
          [_item("Bamboo Coaster Set", "12.50")], 12)
    order(my, "210044718263051", "b-2001", "READY_TO_SHIP", "129.00", "MYR",
          [_item("Batik Sarong (Indigo)", "129.00")], 1.5, ship_by=t + DAY,
          cancellation={"state": "pending", "reason": "Changed my mind",
                        "requested_at": t - 1200, "respond_by": t + DAY - 1200})
    order(my, "210044195527340", "b-2001", "COMPLETED", "45.00", "MYR",
          [_item("Batik Scarf", "45.00")], 20)
    order(my, "210044833310972", "b-2002", "SHIPPED", "89.00", "MYR",
          [_item("Batik Shirt (L)", "89.00")], 2.5, tracking_no="LZMY0042137")
    order(my, "210044502281164", "b-2002", "COMPLETED", "38.00", "MYR",
          [_item("Songket Pouch", "38.00")], 30)
    for buyer, first, second in (("b-3001", "577801234567890123", "577809876543210987"),
                                 ("b-3002", "577804455667788990", "577803322114455660"),
                                 ("b-3003", "577807788990011223", "577806655443322110")):
        order(vn, first, buyer, "SHIPPED", "450000", "VND", [_item("Áo dài lụa", "450000")],
              2, tracking_no=f"VN{first[-8:]}")
        order(vn, second, buyer, "COMPLETED", "180000", "VND", [_item("Khăn lụa", "180000")],
              25)
    return out
