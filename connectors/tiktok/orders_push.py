"""Order-side webhooks (types 1, 11, 12, 3, 4) -> :class:`OrderEvent`.

They arrive on the chat webhook with the same signature; :mod:`connectors.tiktok.push`
verifies them and hands the parsed envelope here. Events are thin (ids, status,
time): the bot fetches details. Type 3 comes without ``tts_notification_id`` in the
doc's sample, so nothing here requires it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.models import ShopId
from connectors.orders import OrderEvent, OrderId
from connectors.tiktok.orders_parse import (
    CANCEL_STATES,
    RETURN_CLOSED,
    RETURN_IN_PROGRESS,
    RETURN_PENDING,
    STATUSES,
    text,
    to_time,
    warn_unknown,
)
from connectors.wire import items

ORDER_STATUS_CHANGE = 1
RECIPIENT_ADDRESS_UPDATE = 3
PACKAGE_UPDATE = 4
CANCELLATION_STATUS_CHANGE = 11
RETURN_STATUS_CHANGE = 12
ORDER_PUSH_NAMES = {
    ORDER_STATUS_CHANGE: "ORDER_STATUS_CHANGE",
    RECIPIENT_ADDRESS_UPDATE: "RECIPIENT_ADDRESS_UPDATE",
    PACKAGE_UPDATE: "PACKAGE_UPDATE",
    CANCELLATION_STATUS_CHANGE: "CANCELLATION_STATUS_CHANGE",
    RETURN_STATUS_CHANGE: "RETURN_STATUS_CHANGE",
}
_KNOWN_RETURN = RETURN_PENDING | RETURN_IN_PROGRESS | RETURN_CLOSED


def _event(shop_id: str, order_id: Any, kind: str, status: str, at: Any,
           envelope: Mapping[str, Any]) -> OrderEvent:
    oid = text(order_id)
    if not oid:
        raise ValueError(f"{kind} webhook without order_id")
    return OrderEvent(shop_id=ShopId(shop_id), order_id=OrderId(oid), kind=kind,
                      platform_status=status, at=to_time(at), raw=dict(envelope))


def order_events(push_type: int, envelope: Mapping[str, Any]) -> tuple[OrderEvent, ...]:
    """Raises ValueError for an order webhook without shop, data or order id."""
    data = envelope.get("data")
    shop_id = text(envelope.get("shop_id"))
    if not isinstance(data, dict) or not shop_id:
        raise ValueError("order webhook without data or shop_id")
    at = data.get("update_time") or data.get("create_time") or envelope.get("timestamp")
    if push_type == ORDER_STATUS_CHANGE:
        status = text(data.get("order_status")).upper()
        if status not in STATUSES:
            warn_unknown("webhook order_status", status)
        return (_event(shop_id, data.get("order_id"), "status", status, at, envelope),)
    if push_type == CANCELLATION_STATUS_CHANGE:
        status = text(data.get("cancel_status")).upper()
        if status not in CANCEL_STATES:
            warn_unknown("webhook cancel_status", status)
        return (_event(shop_id, data.get("order_id"), "cancellation", status, at, envelope),)
    if push_type == RETURN_STATUS_CHANGE:
        status = text(data.get("return_status")).upper()
        if status not in _KNOWN_RETURN:
            warn_unknown("webhook return_status", status)
        return (_event(shop_id, data.get("order_id"), "return", status, at, envelope),)
    if push_type == RECIPIENT_ADDRESS_UPDATE:
        # Not a status change, but the order changed: the bot refetches it.
        return (_event(shop_id, data.get("order_id"), "status", "RECIPIENT_ADDRESS_UPDATE",
                       at, envelope),)
    if push_type == PACKAGE_UPDATE:
        # A package combined or split: tracking may have moved; one event per order.
        sc_type = text(data.get("sc_type")).upper()
        seen: dict[str, OrderEvent] = {}
        packages = items(data.get("package_list"))
        for package in packages:
            ids = package.get("order_id_list") if isinstance(package, dict) else None
            for oid in ids if isinstance(ids, list) else []:
                if text(oid) and text(oid) not in seen:
                    seen[text(oid)] = _event(shop_id, oid, "tracking", sc_type, at, envelope)
        if not seen:
            raise ValueError("package webhook without any order id")
        return tuple(seen.values())
    raise ValueError(f"type {push_type} is not an order webhook")
