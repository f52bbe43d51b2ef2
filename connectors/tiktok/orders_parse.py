"""TikTok Shop 202309 order, cancellation and return objects -> :mod:`connectors.orders`.

Pure functions, no I/O. Parsing is tolerant: an unknown enum becomes
``OrderStatus.UNKNOWN`` (the platform's word stays in ``platform_status``) and is
logged once per value; a field of the wrong type is read as absent, never raised.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.models import ShopId
from connectors.orders import (
    CancelRequest,
    Order,
    OrderId,
    OrderItem,
    OrderStatus,
    ReturnRequest,
)
from connectors.wire import obj

log = logging.getLogger(__name__)
EPOCH = datetime.fromtimestamp(0, UTC)

STATUSES: dict[str, OrderStatus] = {
    "UNPAID": OrderStatus.UNPAID,
    # Paid, inside the buyer's remorse window: not to be fulfilled yet, but paid.
    "ON_HOLD": OrderStatus.TO_SHIP,
    "AWAITING_SHIPMENT": OrderStatus.TO_SHIP,
    "PARTIALLY_SHIPPING": OrderStatus.TO_SHIP,
    # Shipment arranged, the carrier has not collected: still the seller's move.
    "AWAITING_COLLECTION": OrderStatus.TO_SHIP,
    "IN_TRANSIT": OrderStatus.SHIPPED,
    "DELIVERED": OrderStatus.DELIVERED,
    "COMPLETED": OrderStatus.COMPLETED,
    "CANCELLED": OrderStatus.CANCELLED,
    "CANCEL": OrderStatus.CANCELLED,  # webhook 1's spelling of CANCELLED
}
# Which SLA is the ship-by deadline in which status (platform-orders.md T.9).
RTS_STATUSES = frozenset({"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"})
TTS_STATUSES = frozenset({"AWAITING_COLLECTION"})

CANCEL_STATES: dict[str, str] = {
    "CANCELLATION_REQUEST_PENDING": "pending",
    "CANCELLATION_REQUEST_SUCCESS": "accepted",
    "CANCELLATION_REQUEST_COMPLETE": "accepted",
    # The request itself was called off (responses spell it ..._CANCELLED, the search
    # filter ..._CANCEL). TikTok has no separate "rejected" status.
    "CANCELLATION_REQUEST_CANCELLED": "withdrawn",
    "CANCELLATION_REQUEST_CANCEL": "withdrawn",
}
# cancel_type CANCEL = started by the seller or the system: nobody waits for the seller.
SELLER_OR_SYSTEM_CANCEL = "CANCEL"

RETURN_PENDING = frozenset({"RETURN_OR_REFUND_REQUEST_PENDING", "BUYER_SHIPPED_ITEM",
                            "REPLACEMENT_REQUEST_PENDING"})
RETURN_IN_PROGRESS = frozenset({"AWAITING_BUYER_SHIP", "AWAITING_BUYER_RESPONSE",
                                "REJECT_RECEIVE_PACKAGE", "RECEIVE_REJECTED"})
RETURN_CLOSED = frozenset({
    "REFUND_OR_RETURN_REQUEST_REJECT", "RETURN_OR_REFUND_REQUEST_SUCCESS",
    "RETURN_OR_REFUND_REQUEST_CANCEL", "RETURN_OR_REFUND_REQUEST_COMPLETE",
    "REPLACEMENT_REQUEST_REJECT", "REPLACEMENT_REQUEST_REFUND_SUCCESS",
    "REPLACEMENT_REQUEST_CANCEL", "REPLACEMENT_REQUEST_COMPLETE",
    # The RR overview's older names.
    "REQUEST_SUCCESS", "REQUEST_REJECTED",
})

_warned: set[tuple[str, str]] = set()


def warn_unknown(kind: str, value: str) -> None:
    if (kind, value) not in _warned and len(_warned) < 1000:
        _warned.add((kind, value))
        log.warning("TikTok %s %r is not one we know; kept as the platform's word", kind, value)


def text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def to_time(value: Any) -> datetime | None:
    """Seconds (TikTok's unit), milliseconds, numeric strings and ISO-8601 strings
    ("2023-11-15T02:26:40+07:00", "2023-11-15 02:26:40 +0700"); 0 or blank: None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        raw = value.strip()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            return _iso_time(raw)
    if not isinstance(value, int | float):
        return None
    seconds = float(value)
    if seconds <= 0:
        return None
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _iso_time(raw: str) -> datetime | None:
    candidate = raw.replace("Z", "+00:00")
    if len(candidate) > 6 and candidate[-6] == " " and candidate[-5] in "+-":
        candidate = candidate[:-6] + candidate[-5:]  # "... +0700" -> "...+0700"
    for attempt in (candidate, candidate.replace(" ", "T", 1)):
        try:
            moment = datetime.fromisoformat(attempt)
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    log.info("unreadable TikTok time %r", raw[:40])
    return None


def epoch_seconds(value: Any) -> int | None:
    moment = to_time(value)
    return int(moment.timestamp()) if moment is not None else None


def money(value: Any) -> str:
    """A decimal string ("274500", "12.50"); TikTok sends strings, numbers are tolerated."""
    if value is None or isinstance(value, bool) or value == "":
        return ""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        log.info("unreadable TikTok amount %r", str(value)[:40])
        return ""
    if not amount.is_finite():
        return ""
    return str(value).strip() if isinstance(value, str) else format(amount, "f")


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def next_deadline(wire: Mapping[str, Any]) -> datetime | None:
    """The earliest ``seller_next_action_response[].deadline``: the respond-by time."""
    times = [to_time(a.get("deadline")) for a in _dicts(wire.get("seller_next_action_response"))]
    known = [t for t in times if t is not None]
    return min(known) if known else None


def to_status(value: Any) -> OrderStatus:
    word = text(value).upper()
    status = STATUSES.get(word)
    if status is None:
        warn_unknown("order status", word)
        return OrderStatus.UNKNOWN
    return status


def to_items(line_items: Any) -> tuple[OrderItem, ...]:
    """One line item per unit: units of the same SKU (and gift flag) become a quantity."""
    counts: dict[tuple[str, bool], int] = {}
    first: dict[tuple[str, bool], dict[str, Any]] = {}
    for line in _dicts(line_items):
        sku = text(line.get("sku_id")) or text(line.get("seller_sku")) or \
            f"{text(line.get('product_id'))}/{text(line.get('sku_name'))}"
        key = (sku, line.get("is_gift") is True)
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, line)
    items = []
    for key, line in first.items():
        name = text(line.get("product_name"))
        variant = text(line.get("sku_name"))
        items.append(OrderItem(
            name=f"{name} ({variant})" if name and variant else name or variant,
            quantity=counts[key], sku=text(line.get("seller_sku")) or key[0],
            price=money(line.get("sale_price")), image_url=text(line.get("sku_image")) or None))
    return tuple(items)


def to_cancel_request(wire: Mapping[str, Any]) -> CancelRequest:
    status = text(wire.get("cancel_status")).upper()
    state = CANCEL_STATES.get(status)
    if state is None:
        warn_unknown("cancel_status", status)
        state = "pending" if next_deadline(wire) else "unknown"
    elif state == "pending" and text(wire.get("cancel_type")).upper() == SELLER_OR_SYSTEM_CANCEL:
        state = "accepted"  # a seller or system cancellation under way
    return CancelRequest(
        state=state, reason=text(wire.get("cancel_reason_text")) or text(wire.get("cancel_reason")),
        requested_at=to_time(wire.get("create_time")),
        respond_by=next_deadline(wire) if state == "pending" else None)


def to_return_request(wire: Mapping[str, Any]) -> ReturnRequest:
    status = text(wire.get("return_status")).upper()
    deadline = next_deadline(wire)
    if status in RETURN_PENDING:
        state = "pending"
    elif status in RETURN_CLOSED:
        state = "closed"
    elif status in RETURN_IN_PROGRESS:
        state = "in_progress"
    else:
        warn_unknown("return_status", status)
        state = "pending" if deadline else "in_progress"
    refund = obj(wire.get("refund_amount"))
    return ReturnRequest(
        return_id=text(wire.get("return_id")), state=state,
        kind="refund" if text(wire.get("return_type")).upper() == "REFUND" else "return",
        reason=text(wire.get("return_reason_text")) or text(wire.get("return_reason")),
        amount=money(refund.get("refund_total")), requested_at=to_time(wire.get("create_time")),
        respond_by=deadline if state == "pending" else None, platform_status=status)


def pick_cancellation(order: Mapping[str, Any],
                      cancellations: Iterable[Mapping[str, Any]]) -> CancelRequest | None:
    """The request that matters: a pending one first, else the latest. Without any
    search result, the order's own flag still says a buyer request is pending."""
    parsed = [(epoch_seconds(c.get("update_time")) or epoch_seconds(c.get("create_time")) or 0,
               to_cancel_request(c)) for c in cancellations]
    pending = [p for p in parsed if p[1].state == "pending"]
    chosen = max(pending or parsed, key=lambda p: p[0], default=None)
    if chosen is not None:
        return chosen[1]
    if order.get("is_buyer_request_cancel") is True:
        return CancelRequest(state="pending", reason=text(order.get("cancel_reason")),
                             requested_at=to_time(order.get("request_cancel_time")))
    return None


def to_order(wire: Mapping[str, Any], *, shop_id: str,
             cancellations: Iterable[Mapping[str, Any]] = (),
             returns: Iterable[Mapping[str, Any]] = ()) -> Order:
    """Map one order object (search and detail share the shape). Raises ValueError
    only for an order without an id."""
    order_id = text(wire.get("id"))
    if not order_id:
        raise ValueError("TikTok order without id")
    word = text(wire.get("status")).upper()
    payment = obj(wire.get("payment"))
    lines = _dicts(wire.get("line_items"))
    currency = text(payment.get("currency")) or next(
        (text(li.get("currency")) for li in lines if text(li.get("currency"))), "")
    ship_by = None
    if word in RTS_STATUSES:
        ship_by = to_time(wire.get("rts_sla_time"))
    elif word in TTS_STATUSES:
        ship_by = to_time(wire.get("tts_sla_time"))
    tracking = text(wire.get("tracking_number")) or next(
        (text(li.get("tracking_number")) for li in lines if text(li.get("tracking_number"))), "")
    updated = to_time(wire.get("update_time"))
    created = to_time(wire.get("create_time")) or updated or EPOCH
    return Order(
        shop_id=ShopId(shop_id), order_id=OrderId(order_id), buyer_id=text(wire.get("user_id")),
        status=to_status(word), platform_status=word, amount=money(payment.get("total_amount")),
        currency=currency, created_at=created, updated_at=updated or created,
        items=to_items(lines), ship_by=ship_by, tracking_no=tracking or None,
        cancellation=pick_cancellation(wire, cancellations),
        returns=tuple(to_return_request(r) for r in returns if text(r.get("return_id"))),
        raw=dict(wire))
