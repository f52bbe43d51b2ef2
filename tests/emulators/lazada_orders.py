"""Orders in the Lazada emulator: the book, seeded from the shared samples.

Rows keep the samples' wire shapes (``shared/platform-orders-samples.json``):
order rows as GetOrders returns them, one item row per unit, reverse orders as
the reverse list returns them. Times are shifted so the samples' chat moment
(1700000000, the shared chat vectors) is "now", and written the way Lazada
writes each field (``"YYYY-MM-DD HH:MM:SS +0700"``, ISO-8601, epoch ms).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from tests.emulators.lazada_state import LazadaState

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "platform-orders-samples.json"
CHAT_MOMENT_S = 1_700_000_000  # the shared chat vectors' time: "now" in the scenario
LOCAL_FMT = "%Y-%m-%d %H:%M:%S %z"
SITE_HOURS = {"sg": 8, "my": 8, "ph": 8, "th": 7, "vn": 7, "id": 7}
LOCAL_TIMES = {"created_at", "updated_at"}
ISO_TIMES = {"sla_time_stamp"}
MS_TIMES = {"payment_time", "cancel_trigger_time", "trade_order_gmt_create",
            "return_order_line_gmt_create", "return_order_line_gmt_modified", "sla"}


@cache
def samples() -> dict[str, Any]:
    return json.loads(SAMPLES.read_text(encoding="utf-8"))["lazada"]


def fresh_samples() -> dict[str, Any]:
    return copy.deepcopy(samples())


def site_tz(country: str) -> timezone:
    return timezone(timedelta(hours=SITE_HOURS.get(country.lower(), 0)))


def local_time(ms: int, tz: timezone) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).astimezone(tz).strftime(LOCAL_FMT)


def read_time(text: str) -> int:
    """ms of a ``YYYY-MM-DD HH:MM:SS +0700`` or ISO-8601 string (0 if empty)."""
    if not text:
        return 0
    try:
        moment = datetime.strptime(text, LOCAL_FMT)
    except ValueError:
        moment = datetime.fromisoformat(text)
    return int(moment.timestamp() * 1000)


def shift_times(node: Any, shift_ms: int) -> Any:
    """A copy of ``node`` with every known time field moved by ``shift_ms``."""
    if isinstance(node, list):
        return [shift_times(n, shift_ms) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in MS_TIMES and str(value).isdigit():
            moved = int(value) + shift_ms
            out[key] = str(moved) if isinstance(value, str) else moved
        elif key in LOCAL_TIMES | ISO_TIMES and isinstance(value, str) and value:
            original = datetime.strptime(value, LOCAL_FMT) if key in LOCAL_TIMES else (
                datetime.fromisoformat(value))
            moved_dt = original + timedelta(milliseconds=shift_ms)
            out[key] = moved_dt.strftime(LOCAL_FMT) if key in LOCAL_TIMES else (
                moved_dt.isoformat())
        else:
            out[key] = shift_times(value, shift_ms)
    return out


@dataclass
class EmuOrder:
    seller_id: str
    row: dict[str, Any]  # GetOrders / GetOrder shape
    items: list[dict[str, Any]]  # one per unit, GetMultipleOrderItems shape

    @property
    def order_id(self) -> str:
        return str(self.row["order_id"])

    @property
    def updated_ms(self) -> int:
        return read_time(self.row["updated_at"])

    @property
    def created_ms(self) -> int:
        return read_time(self.row["created_at"])

    def statuses(self) -> list[str]:
        return list(dict.fromkeys(str(i["status"]) for i in self.items))


@dataclass
class EmuReverse:
    seller_id: str
    body: dict[str, Any]  # reverse list shape, lines under "reverse_order_lines"

    @property
    def reverse_order_id(self) -> str:
        return str(self.body["reverse_order_id"])


class OrderBook:
    def __init__(self, state: LazadaState) -> None:
        self.state = state
        self.orders: dict[tuple[str, str], EmuOrder] = {}
        self.reverses: dict[tuple[str, str], EmuReverse] = {}
        self.shift_ms = 0
        self._next_id = 900_000_000_000_000

    def tz(self, seller_id: str) -> timezone:
        return site_tz(self.state.sellers[seller_id].country)

    def seed_samples(self, seller_id: str) -> int:
        """Load the samples' three orders and two reverse orders; returns the shift
        (ms) applied to their times."""
        self.shift_ms = self.state.now_ms() // 1000 * 1000 - CHAT_MOMENT_S * 1000
        data = shift_times(fresh_samples(), self.shift_ms)
        items = {str(e["order_id"]): e["order_items"]
                 for e in data["get_multiple_order_items"]["response"]["data"]}
        for row in data["get_orders"]["response"]["data"]["orders"]:
            self.orders[(seller_id, str(row["order_id"]))] = EmuOrder(
                seller_id, row, items[str(row["order_id"])])
        for body in data["get_reverse_orders_for_seller"]["response"]["result"]["items"]:
            reverse = EmuReverse(seller_id, body)
            self.reverses[(seller_id, reverse.reverse_order_id)] = reverse
        return self.shift_ms

    def order(self, seller_id: str, order_id: str) -> EmuOrder:
        return self.orders[(seller_id, str(order_id))]

    def of_seller(self, seller_id: str) -> list[EmuOrder]:
        return [o for (s, _), o in self.orders.items() if s == seller_id]

    def add_order(self, seller_id: str, *, units: int = 1, status: str = "pending",
                  at_ms: int | None = None, buyer_id: int = 1011822749, sku: str = "TS-BLK-L",
                  price: str = "290.00", order_id: int | None = None) -> EmuOrder:
        """A new order of ``units`` identical units (so ``units`` item rows),
        shaped like the samples' first order."""
        template = samples()
        row = copy.deepcopy(template["get_orders"]["response"]["data"]["orders"][1])
        item = template["get_multiple_order_items"]["response"]["data"][0]["order_items"][0]
        oid = order_id or self._new_id()
        at = at_ms if at_ms is not None else self.state.now_ms()
        stamp = local_time(at, self.tz(seller_id))
        row.update(order_id=oid, order_number=oid, created_at=stamp, updated_at=stamp,
                   statuses=[status], items_count=units,
                   price=f"{float(price) * units:.2f}")
        sla = datetime.fromtimestamp(at // 1000, UTC).astimezone(self.tz(seller_id))
        sla = (sla + timedelta(days=2)).replace(hour=23, minute=59, second=59)
        rows = []
        for _ in range(units):
            unit = copy.deepcopy(item)
            unit.update(order_id=oid, order_item_id=self._new_id(), buyer_id=buyer_id,
                        status=status, sku=sku, item_price=price, paid_price=price,
                        created_at=stamp, updated_at=stamp, sla_time_stamp=sla.isoformat(),
                        payment_time=str(at))
            rows.append(unit)
        order = EmuOrder(seller_id, row, rows)
        self.orders[(seller_id, str(oid))] = order
        return order

    def touch(self, seller_id: str, order_id: str, *, at_ms: int | None = None,
              status: str | None = None, **item_fields: Any) -> EmuOrder:
        """Change an order (every item row): its ``updated_at`` moves to ``at_ms``."""
        order = self.order(seller_id, order_id)
        stamp = local_time(at_ms if at_ms is not None else self.state.now_ms(),
                           self.tz(seller_id))
        for item in order.items:
            item.update(item_fields, updated_at=stamp)
            if status is not None:
                item["status"] = status
        order.row["updated_at"] = stamp
        order.row["statuses"] = order.statuses()
        return order

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id
