"""Order pushes (codes 3, 4, 29, 30, 47) -> thin :class:`OrderEvent`s. No I/O.

The signature was checked by :mod:`connectors.shopee.push` already. Events carry ids,
status and time only; the bot fetches details. ``OrderEvent.raw`` is the whole push
(``msg_id`` included, for de-duplication: Shopee may deliver the same push twice).
A push that names no order cannot be acted on: it is acknowledged, logged and
reported in ``PushBatch.ignored`` (a redelivery would not fix it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from connectors.models import PushBatch, ShopId
from connectors.orders import OrderEvent, OrderId
from connectors.shopee.orders_parse import to_time
from connectors.wire import items, obj

log = logging.getLogger(__name__)

ORDER_PUSH_NAMES: dict[int, str] = {
    3: "order_status_push",
    4: "order_trackingno_push",
    29: "return_updates_push",
    30: "package_fulfillment_status_push",
    47: "package_info_push",
}


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def order_batch(payload: dict[str, Any]) -> PushBatch:
    code = payload["code"]
    name = ORDER_PUSH_NAMES[code]
    data = payload.get("data")
    if isinstance(data, str):  # the lost-push API nests pushes as JSON strings
        try:
            data = json.loads(data)
        except ValueError:
            data = None
    if not isinstance(data, dict):
        log.warning("shopee %s without a data object: dropped", name)
        return PushBatch(ignored=(name,))
    shop = _s(payload.get("shop_id") or data.get("shop_id"))
    order_sn = _s(data.get("ordersn") or data.get("order_sn")).strip()
    event = _event(code, payload, data) if shop and order_sn else None
    if event is None:
        log.warning("shopee %s lacks shop_id, order id or status: dropped (msg_id %s)",
                    name, payload.get("msg_id"))
        return PushBatch(ignored=(name,))
    return PushBatch(order_events=(OrderEvent(shop_id=ShopId(shop), order_id=OrderId(order_sn),
                                              raw=payload, **event),))


Event = dict[str, Any]


def _status(data: dict[str, Any], sent: datetime | None) -> Event | None:
    status = _s(data.get("status"))
    if not status:  # the status is the content of this push
        return None
    kind = "cancellation" if status.upper() == "IN_CANCEL" else "status"
    return {"kind": kind, "platform_status": status, "at": to_time(data.get("update_time")) or sent}


def _tracking_number(data: dict[str, Any], sent: datetime | None) -> Event:
    return {"kind": "tracking", "at": sent}  # no time inside data


def _return(data: dict[str, Any], sent: datetime | None) -> Event:
    changes = [u for u in items(data.get("updated_values")) if isinstance(u, dict)]
    status = next((_s(u.get("new_value")) for u in changes
                   if u.get("update_field") in ("return_status", "status")), "")
    times = [t for t in (to_time(u.get("update_time")) for u in changes) if t]
    return {"kind": "return", "platform_status": status, "at": max(times, default=sent)}


def _package(data: dict[str, Any], sent: datetime | None) -> Event:
    # A package logistics step: reported as a tracking change.
    return {"kind": "tracking", "platform_status": _s(data.get("fulfillment_status")),
            "at": to_time(data.get("update_time")) or sent}


def _fulfillment(data: dict[str, Any], sent: datetime | None) -> Event:
    fields = data.get("changed_fields")
    moved = ("ship_by_date" in fields if isinstance(fields, list)
             else "ship_by_date" in obj(data.get("new")))
    return {"kind": "ship_by" if moved else "tracking",
            "at": to_time(data.get("update_time")) or sent}


_EVENTS: dict[int, Callable[[dict[str, Any], datetime | None], Event | None]] = {
    3: _status, 4: _tracking_number, 29: _return, 30: _package,
}


def _event(code: int, payload: dict[str, Any], data: dict[str, Any]) -> Event | None:
    return _EVENTS.get(code, _fulfillment)(data, to_time(payload.get("timestamp")))


def ship_by_move(event: OrderEvent) -> tuple[int, int] | None:
    """(old, new) ``ship_by_date`` seconds carried by a push-47 ``ship_by`` event."""
    if event.kind != "ship_by":
        return None
    data = event.raw.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if not isinstance(data, dict):
        return None
    old = obj(data.get("old"))
    new = obj(data.get("new"))
    new_at, old_at = to_time(new.get("ship_by_date")), to_time(old.get("ship_by_date"))
    if new_at is None:
        return None
    return (int(old_at.timestamp()) if old_at else 0, int(new_at.timestamp()))
