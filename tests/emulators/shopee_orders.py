"""Order-side state of the Shopee emulator: orders, tracking, returns, order pushes.

Seeded from ``shared/platform-orders-samples.json`` (the same shapes the real API
returns); test controls change the state the way Shopee would and emit the matching
signed pushes (codes 3, 4, 29, 47, with ``msg_id``) to the configured callback.
Mixed into :class:`tests.emulators.shopee_app.ShopeeEmulator`.
"""

from __future__ import annotations

import copy
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.emulators.shopee_push import compact

if TYPE_CHECKING:
    from tests.emulators.shopee_app import ShopeeEmulator

SAMPLES_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "platform-orders-samples.json"
DAY = 86400

#: Returned by get_order_detail whether asked for or not [doc].
DEFAULT_FIELDS = frozenset({"order_sn", "region", "currency", "cod", "order_status",
                            "message_to_seller", "create_time", "update_time", "days_to_ship",
                            "ship_by_date", "booking_sn"})
#: get_return_detail only; the list has the statuses flat.
RETURN_DETAIL_ONLY = ("activity", "seller_proof", "seller_compensation", "negotiation",
                      "logistics_status", "reverse_logistics_status", "return_pickup_address",
                      "return_address", "has_uploaded_shipping_proof",
                      "is_reverse_logistics_channel_integrated",
                      "reverse_logistics_channel_name")


def load_samples() -> dict[str, Any]:
    return json.loads(SAMPLES_PATH.read_text("utf-8"))["shopee"]


@dataclass
class OrderBook:
    """Limits and data. ``disabled_pushes``: codes this app type does not get (a
    Customer Service app may lack code 3/4). ``ship_by_move_updates_order``: whether
    a push-47 move also shows in the order's own ``ship_by_date`` (UNKNOWN: default
    no, so the push is the only notice, as the notes warn)."""

    max_window: int = 15 * DAY
    page_cap: int = 100
    detail_cap: int = 50
    return_page_cap: int = 100
    disabled_pushes: set[int] = field(default_factory=set)
    ship_by_move_updates_order: bool = False
    orders: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)
    tracking: dict[tuple[int, str, str], str] = field(default_factory=dict)
    returns: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)
    sent_pushes: list[dict[str, Any]] = field(default_factory=list)


class OrderEmulation:
    order_book: OrderBook

    # -- data ------------------------------------------------------------------

    def seed_order_samples(self: ShopeeEmulator, shop_id: int, shift: int = 0) -> list[str]:
        """The sample scenario (orders A, B, C, tracking for A, return for C); every
        timestamp moved by ``shift`` seconds. Returns the order_sns."""
        s = load_samples()
        sns = []
        for raw in s["get_order_detail"]["response"]["response"]["order_list"]:
            sns.append(self.add_order(shop_id, _shifted(raw, shift))["order_sn"])
        q = s["get_tracking_number"]["query"]
        self.order_book.tracking[(shop_id, q["order_sn"], q["package_number"])] = (
            s["get_tracking_number"]["response"]["response"]["tracking_number"])
        self.add_return(shop_id, _shifted(s["get_return_detail"]["response"]["response"], shift))
        return sns

    def order_template(self: ShopeeEmulator) -> dict[str, Any]:
        return copy.deepcopy(load_samples()["get_order_detail"]["response"]["response"]
                             ["order_list"][0])

    def add_order(self: ShopeeEmulator, shop_id: int, raw: dict[str, Any]) -> dict[str, Any]:
        order = copy.deepcopy(raw)
        self.order_book.orders.setdefault(shop_id, {})[order["order_sn"]] = order
        return order

    def new_order(self: ShopeeEmulator, shop_id: int, order_sn: str, *, push: bool = False,
                  **fields: Any) -> dict[str, Any]:
        """A copy of sample order A under a new order_sn, created now."""
        now = int(self.now())
        order = self.order_template()
        order.update({"order_sn": order_sn, "create_time": now, "update_time": now,
                      "pay_time": now, "ship_by_date": now + 2 * DAY, **fields})
        for i, package in enumerate(order.get("package_list") or []):
            package["package_number"] = f"OFG{order_sn}{i:02d}"
        self.add_order(shop_id, order)
        if push:
            self.order_push(shop_id, 3, _status_data(order))
        return order

    def order(self: ShopeeEmulator, shop_id: int, order_sn: str) -> dict[str, Any]:
        return self.order_book.orders[shop_id][order_sn]

    def update_order(self: ShopeeEmulator, shop_id: int, order_sn: str, *, push: bool = True,
                     **changes: Any) -> dict[str, Any]:
        """Change fields; update_time becomes now; a status change sends push 3."""
        order = self.order(shop_id, order_sn)
        old_status = order.get("order_status")
        order.update(changes)
        order["update_time"] = max(int(self.now()), int(order.get("update_time") or 0))
        if push and order.get("order_status") != old_status:
            self.order_push(shop_id, 3, _status_data(order))
        return order

    def request_cancel(self: ShopeeEmulator, shop_id: int, order_sn: str,
                       reason: str = "Need to change delivery address") -> dict[str, Any]:
        return self.update_order(shop_id, order_sn, order_status="IN_CANCEL",
                                 buyer_cancel_reason=reason)

    def set_tracking(self: ShopeeEmulator, shop_id: int, order_sn: str, number: str, *,
                     push: bool = True) -> None:
        order = self.order(shop_id, order_sn)
        package = (order.get("package_list") or [{}])[0].get("package_number", "")
        self.order_book.tracking[(shop_id, order_sn, package)] = number
        if push:
            self.order_push(shop_id, 4, {"ordersn": order_sn, "forder_id": "5867907859180059055",
                                         "package_number": package, "tracking_no": number})

    def move_ship_by(self: ShopeeEmulator, shop_id: int, order_sn: str, new: int, *,
                     push: bool = True) -> None:
        order = self.order(shop_id, order_sn)
        package = (order.get("package_list") or [{}])[0]
        old = int(package.get("ship_by_date") or order["ship_by_date"])
        package["ship_by_date"] = new
        if self.order_book.ship_by_move_updates_order:
            order["ship_by_date"] = new
        if push:
            self.order_push(shop_id, 47, {
                "order_sn": order_sn, "package_number": package.get("package_number", ""),
                "changed_fields": ["ship_by_date"], "old": {"ship_by_date": old},
                "new": {"ship_by_date": new}, "update_time": int(self.now())})

    def add_return(self: ShopeeEmulator, shop_id: int, detail: dict[str, Any]
                   ) -> dict[str, Any]:
        ret = copy.deepcopy(detail)
        self.order_book.returns.setdefault(shop_id, {})[ret["return_sn"]] = ret
        return ret

    def update_return(self: ShopeeEmulator, shop_id: int, return_sn: str, *, push: bool = True,
                      **changes: Any) -> dict[str, Any]:
        """Top-level fields, or ``negotiation``/``seller_proof`` dicts merged in."""
        ret = self.order_book.returns[shop_id][return_sn]
        now = int(self.now())
        updates = []
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(ret.get(key), dict):
                ret[key].update(value)
            else:
                if key in ("status", "logistics_status") and ret.get(key) != value:
                    updates.append({"update_field": "return_status" if key == "status" else key,
                                    "old_value": ret.get(key), "new_value": value,
                                    "update_time": now})
                ret[key] = value
        ret["update_time"] = now
        if push and updates:
            self.order_push(shop_id, 29, {"order_sn": ret["order_sn"], "return_sn": return_sn,
                                          "updated_values": updates})
        return ret

    @staticmethod
    def return_list_item(ret: dict[str, Any]) -> dict[str, Any]:
        item = {k: v for k, v in ret.items() if k not in RETURN_DETAIL_ONLY}
        item["negotiation_status"] = (ret.get("negotiation") or {}).get("negotiation_status", "")
        item["seller_proof_status"] = (ret.get("seller_proof") or {}).get(
            "seller_proof_status", "")
        item["seller_compensation_status"] = (ret.get("seller_compensation") or {}).get(
            "seller_compensation_status", "")
        return item

    # -- pushes ----------------------------------------------------------------

    def order_push(self: ShopeeEmulator, shop_id: int, code: int, data: dict[str, Any]
                   ) -> bytes | None:
        """Build a push (production shape, with msg_id) and deliver it in the
        background if a callback is configured and this app type gets ``code``."""
        if code in self.order_book.disabled_pushes:
            return None
        payload = {"msg_id": secrets.token_hex(16), "data": data, "shop_id": shop_id,
                   "code": code, "timestamp": int(self.now())}
        self.order_book.sent_pushes.append(payload)
        body = compact(payload)
        if self.push is not None:
            self.spawn(self.deliver_raw(shop_id, code, body))
        return body

    def sample_push(self: ShopeeEmulator, name: str) -> tuple[dict[str, str], bytes]:
        """A sample push exactly as recorded (headers signed for the sample URL)."""
        p = load_samples()["pushes"][name]
        return dict(p["headers"]), p["raw_body"].encode("utf-8")

    async def deliver_raw(self: ShopeeEmulator, shop_id: int, code: int, body: bytes) -> bool:
        """Sign and post ``body`` as is; an undelivered push joins the lost list."""
        assert self.push is not None and self._session is not None
        delivery = await self.push.deliver(self._session, body)
        if not delivery.ok and delivery.attempts:
            self.add_lost(shop_id, code, body.decode())
        return delivery.ok


def _status_data(order: dict[str, Any]) -> dict[str, Any]:
    return {"completed_scenario": "", "items": [], "ordersn": order["order_sn"],
            "status": order["order_status"], "update_time": order["update_time"]}


_TIME_KEYS = {"create_time", "update_time", "pay_time", "ship_by_date", "pickup_done_time",
              "return_request_due_date", "due_date", "return_ship_due_date",
              "return_seller_due_date", "offer_due_date", "seller_evidence_deadline",
              "seller_compensation_due_date", "note_update_time"}


def _shifted(value: Any, shift: int, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _shifted(v, shift, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_shifted(v, shift) for v in value]
    if key in _TIME_KEYS and isinstance(value, int) and value > 0:
        return value + shift
    return value
