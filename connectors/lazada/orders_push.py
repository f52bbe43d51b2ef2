"""Order pushes (message_type 0, 10, 14) -> :class:`OrderEvent` (pure: no I/O).

They arrive on the chat webhook, signed the same way, and are thin: ids, a status
and a time. Lazada sends one type-0 push per order *line*, so one order change
can come as several events; the bot fetches details either way.

- 0 trade order: ``{order_status, trade_order_id, trade_order_line_id,
  status_update_time (s)}``, envelope ``timestamp`` in ms. Its reverse variant
  adds ``reverse_order_id`` / ``reverse_order_line_id`` (status "returned" or
  "canceled").
- 10 reverse order: ``{reverse_order_id, reverse_status, trade_order_id, ...}``
  with JSON-number ids, ``timestamp`` in s.
- 14 fulfillment order: ``{trade_order_id, fulfillment_package_id, status, ...}``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from connectors.lazada.orders_wire import id_str, parse_time
from connectors.models import ShopId
from connectors.orders import OrderEvent, OrderId

log = logging.getLogger("connectors.lazada.orders")

TRADE_ORDER, REVERSE_ORDER, FULFILLMENT_ORDER = 0, 10, 14
ORDER_TYPES = {TRADE_ORDER: "trade_order", REVERSE_ORDER: "reverse_order",
               FULFILLMENT_ORDER: "fulfillment_order"}
#: Package statuses of push 14 that change the order's state rather than its
#: tracking (the rest, READY_TO_SHIP, TRANSIT_*, INFO_ST_*..., are logistics news).
FULFILLMENT_STATUS_CHANGES = {"DELIVERED", "CANCELLED", "CANCELED", "ON_THE_WAY_BACK_TO_SHIPPER"}


def order_events(kind: int, payload: Mapping[str, Any]) -> tuple[OrderEvent, ...]:
    """The events of one order push; () when it names no order (then the caller
    acknowledges and drops it: a 400 would only make Lazada retry it 12 times)."""
    data = payload.get("data")
    if not isinstance(data, Mapping):
        return ()
    order_id = id_str(data.get("trade_order_id"))
    if not order_id:
        log.warning("lazada order push type %s without trade_order_id", kind)
        return ()
    shop_id = id_str(payload.get("seller_id")) or id_str(data.get("seller_id"))
    at = parse_time(data.get("status_update_time")) or parse_time(payload.get("timestamp"))
    if kind == TRADE_ORDER:
        status = str(data.get("order_status") or "")
        if id_str(data.get("reverse_order_id")) or id_str(data.get("reverse_order_line_id")):
            # The older form of reverse events: "canceled" is a cancellation, the
            # rest ("returned") a return.
            event = "cancellation" if status.lower() in ("canceled", "cancelled") else "return"
        else:
            event = "status"
    elif kind == REVERSE_ORDER:
        status = str(data.get("reverse_status") or "")
        event = "cancellation" if status.upper().startswith("CANCEL") else "return"
    else:
        status = str(data.get("status") or "")
        event = "status" if status.upper() in FULFILLMENT_STATUS_CHANGES else "tracking"
    return (OrderEvent(shop_id=ShopId(shop_id), order_id=OrderId(order_id), kind=event,
                       platform_status=status, at=at, raw=dict(payload)),)
