"""Orders, cancellations and returns of the TikTok emulator, seeded from the shared
samples (``shared/platform-orders-samples.json``) and shifted to "now".

Plain data and search rules, no HTTP (:mod:`tests.emulators.tiktok_orders_http`
serves them). Searches page with an opaque token that is an offset into the
current result set, so a result set that changes between pages shifts under the
token, the way offset paging does.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tests.emulators.tiktok_state import Conversation, Person, TikTokState

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "platform-orders-samples.json"
# The samples' orders change until time_base + ~1.2 h and the chat runs to + 2.8 h:
# placing time_base 3 h back keeps every update in the past, every deadline ahead.
SAMPLE_AGO = 3 * 3600
HIDDEN_ADDRESS = frozenset({"UNPAID", "ON_HOLD"})  # recipient_address is absent then
# The search filter spells one status differently from responses and webhooks.
CANCEL_FILTER_ALIASES = {"CANCELLATION_REQUEST_CANCEL": "CANCELLATION_REQUEST_CANCELLED"}


@cache
def _samples_text() -> str:
    return SAMPLES.read_text(encoding="utf-8")


def samples() -> dict[str, Any]:
    """The TikTok section of the samples file (a fresh copy)."""
    return json.loads(_samples_text())["tiktok"]


def time_base() -> int:
    return int(json.loads(_samples_text())["_meta"]["time_base"])


def shifted(doc: Any, delta: int) -> Any:
    """A copy with every ``*_time`` / ``deadline`` moved by ``delta`` (0 stays 0)."""
    if isinstance(doc, dict):
        return {k: (v + delta if (k.endswith("_time") or k == "deadline")
                    and isinstance(v, int) and not isinstance(v, bool) and v > 0
                    else shifted(v, delta)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [shifted(v, delta) for v in doc]
    return doc


def encode_token(offset: int) -> str:
    return base64.b64encode(json.dumps({"o": offset}).encode()).decode()


def decode_token(token: str) -> int:
    """Raises ValueError for a token this emulator did not issue."""
    try:
        offset = json.loads(base64.b64decode(token.encode(), validate=True))["o"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("bad page_token") from exc
    if not isinstance(offset, int) or offset < 0:
        raise ValueError("bad page_token")
    return offset


def page(items: list[dict[str, Any]], size: int, token: str) -> tuple[list[Any], str]:
    offset = decode_token(token) if token else 0
    chunk = items[offset:offset + size]
    return chunk, encode_token(offset + size) if offset + size < len(items) else ""


def in_range(value: Any, ge: int | None, lt: int | None) -> bool:
    v = value if isinstance(value, int) else 0
    return (ge is None or v >= ge) and (lt is None or v < lt)


@dataclass
class ShopBook:
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    cancellations: dict[str, dict[str, Any]] = field(default_factory=dict)
    returns: dict[str, dict[str, Any]] = field(default_factory=dict)


class OrderBook:
    def __init__(self, state: TikTokState) -> None:
        self.state = state
        self.shops: dict[str, ShopBook] = {}
        #: Callables run before the next request of an endpoint (mutate mid-pull).
        self.before: dict[str, list[Callable[[], None]]] = {}

    def book(self, shop_id: str) -> ShopBook:
        return self.shops.setdefault(shop_id, ShopBook())

    def run_before(self, endpoint: str) -> None:
        hooks = self.before.get(endpoint)
        if hooks:
            hooks.pop(0)()

    # -- seeding -------------------------------------------------------------------------

    def seed_samples(self, shop_id: str, *, ago: int = SAMPLE_AGO) -> int:
        """The samples' three orders, their cancellation and return, and the buyer's
        conversation, shifted so ``time_base`` lies ``ago`` seconds back (every update
        in the past, every deadline ahead). Returns the shift."""
        tt = samples()
        delta = self.state.now() - ago - time_base()
        book = self.book(shop_id)
        for wire in tt["get_order_detail"]["response"]["data"]["orders"]:
            book.orders[wire["id"]] = shifted(wire, delta)
        for c in tt["search_cancellations"]["response"]["data"]["cancellations"]:
            book.cancellations[c["cancel_id"]] = shifted(c, delta)
        for r in tt["search_returns"]["response"]["data"]["return_orders"]:
            book.returns[r["return_id"]] = shifted(r, delta)
        shop = self.state.shops.get(shop_id)
        if shop is not None:
            conv = tt["chat_link"]["conversation"]
            buyer = next(p for p in conv["participants"] if p["role"] == "BUYER")
            person = Person(buyer["im_user_id"], "BUYER", buyer["nickname"], buyer["avatar"],
                            user_id=buyer["user_id"])
            shop.conversations[conv["id"]] = Conversation(conv["id"], shop_id, person,
                                                          conv["create_time"] + delta)
        return delta

    def add_order(self, shop_id: str, *, order_id: str | None = None, update_time: int,
                  status: str = "AWAITING_SHIPMENT", user_id: str | None = None,
                  units: int = 1) -> dict[str, Any]:
        """An order cloned from the first sample, with ``units`` identical line items."""
        template = samples()["get_order_detail"]["response"]["data"]["orders"][0]
        wire = copy.deepcopy(template)
        oid = order_id or self.state.new_id()
        line = wire["line_items"][0]
        wire.update(id=oid, status=status, create_time=update_time - 60,
                    update_time=update_time, paid_time=update_time - 30,
                    line_items=[{**line, "id": f"{oid}{n:02d}", "display_status": status}
                                for n in range(units)])
        if user_id:
            wire["user_id"] = user_id
        self.book(shop_id).orders[oid] = wire
        return wire

    def touch(self, shop_id: str, order_id: str, *, status: str | None = None,
              at: int | None = None) -> dict[str, Any]:
        wire = self.book(shop_id).orders[order_id]
        wire["update_time"] = self.state.now() if at is None else at
        if status:
            wire["status"] = status
        return wire

    # -- searches ------------------------------------------------------------------------

    @staticmethod
    def order_wire(wire: dict[str, Any]) -> dict[str, Any]:
        doc = copy.deepcopy(wire)
        if doc.get("status") in HIDDEN_ADDRESS:
            doc.pop("recipient_address", None)
        return doc

    def search_orders(self, shop_id: str, body: dict[str, Any], *, size: int, token: str,
                      sort_field: str, sort_order: str) -> dict[str, Any]:
        now = self.state.now()

        def wanted(o: dict[str, Any]) -> bool:
            ct, ut = body.get("create_time_ge"), body.get("create_time_lt")
            if ct is not None or ut is not None:
                if not in_range(o.get("create_time"), ct, now if ut is None else ut):
                    return False
            ug, ul = body.get("update_time_ge"), body.get("update_time_lt")
            if ug is not None or ul is not None:
                if not in_range(o.get("update_time"), ug, now if ul is None else ul):
                    return False
            for key, field_ in (("order_status", "status"), ("buyer_user_id", "user_id"),
                                ("is_buyer_request_cancel", "is_buyer_request_cancel"),
                                ("shipping_type", "shipping_type")):
                if key in body and o.get(field_) != body[key]:
                    return False
            return True

        found = sorted((o for o in self.book(shop_id).orders.values() if wanted(o)),
                       key=lambda o: (o.get(sort_field) or 0, o["id"]),
                       reverse=sort_order == "DESC")
        chunk, next_token = page(found, size, token)
        return {"total_count": len(found), "next_page_token": next_token,
                "orders": [self.order_wire(o) for o in chunk]}

    def details(self, shop_id: str, ids: list[str]) -> dict[str, Any]:
        orders = self.book(shop_id).orders
        return {"orders": [self.order_wire(orders[i]) for i in ids if i in orders]}

    def search_after_sales(self, shop_id: str, kind: str, body: dict[str, Any], *,
                           size: int, token: str, sort_field: str,
                           sort_order: str) -> dict[str, Any]:
        book = self.book(shop_id)
        rows = book.cancellations if kind == "cancellations" else book.returns
        status_key, type_key, id_key = (
            ("cancel_status", "cancel_type", "cancel_id") if kind == "cancellations"
            else ("return_status", "return_type", "return_id"))
        statuses = {CANCEL_FILTER_ALIASES.get(s, s)
                    for s in body.get("cancel_status" if kind == "cancellations"
                                      else "return_status") or []}
        types = set(body.get("cancel_types" if kind == "cancellations"
                             else "return_types") or [])
        buyers = set(body.get("buyer_user_ids") or [])

        def wanted(r: dict[str, Any]) -> bool:
            order = book.orders.get(r.get("order_id", ""), {})
            return (in_range(r.get("create_time"), body.get("create_time_ge"),
                             body.get("create_time_lt"))
                    and in_range(r.get("update_time"), body.get("update_time_ge"),
                                 body.get("update_time_lt"))
                    and (not body.get("order_ids") or r.get("order_id") in body["order_ids"])
                    and (not body.get(f"{id_key}s") or r.get(id_key) in body[f"{id_key}s"])
                    and (not statuses or r.get(status_key) in statuses)
                    and (not types or r.get(type_key) in types)
                    and (not buyers or order.get("user_id") in buyers))

        found = sorted((r for r in rows.values() if wanted(r)),
                       key=lambda r: (r.get(sort_field) or 0, r[id_key]),
                       reverse=sort_order == "DESC")
        chunk, next_token = page(found, size, token)
        key = "cancellations" if kind == "cancellations" else "return_orders"
        return {"total_count": len(found), "next_page_token": next_token,
                key: copy.deepcopy(chunk)}

    def approve_cancellation(self, shop_id: str, cancel_id: str) -> bool:
        book = self.book(shop_id)
        c = book.cancellations.get(cancel_id)
        if c is None or c.get("cancel_status") != "CANCELLATION_REQUEST_PENDING":
            return False
        now = self.state.now()
        c.update(cancel_status="CANCELLATION_REQUEST_SUCCESS", update_time=now,
                 seller_next_action_response=[])
        order = book.orders.get(c["order_id"])
        if order is not None:
            order.update(status="CANCELLED", update_time=now, is_buyer_request_cancel=False,
                         cancellation_initiator="BUYER", cancel_time=now)
        return True
