"""Shopee order and return payloads -> :mod:`connectors.orders` models. No I/O.

Tolerant by design: an unknown enum value becomes ``OrderStatus.UNKNOWN`` (the
platform's word is kept in ``platform_status``) and is logged once; missing or
oddly typed fields fall back to empty values instead of raising. Only an order
without ``order_sn`` is rejected (``ValueError``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connectors.models import ShopId
from connectors.orders import CancelRequest, Order, OrderId, OrderItem, OrderStatus, ReturnRequest
from connectors.wire import items, obj

log = logging.getLogger(__name__)

EPOCH = datetime.fromtimestamp(0, UTC)

#: Shopee order_status -> our status. PENDING (migration flag, "cannot proceed to
#: shipment arrangement yet") counts as not confirmed; IN_CANCEL keeps the order
#: waiting for shipment until the seller answers (``Order.cancellation`` says so);
#: INVOICE_PENDING (BR filter) is paid and waits on the seller; TO_RETURN follows
#: delivery. INFERRED where the doc gives no meaning (see README).
STATUS: dict[str, OrderStatus] = {
    "UNPAID": OrderStatus.UNPAID,
    "PENDING": OrderStatus.UNPAID,
    "READY_TO_SHIP": OrderStatus.TO_SHIP,
    "PROCESSED": OrderStatus.TO_SHIP,
    "RETRY_SHIP": OrderStatus.TO_SHIP,
    "IN_CANCEL": OrderStatus.TO_SHIP,
    "INVOICE_PENDING": OrderStatus.TO_SHIP,
    "SHIPPED": OrderStatus.SHIPPED,
    "TO_CONFIRM_RECEIVE": OrderStatus.DELIVERED,
    "TO_RETURN": OrderStatus.DELIVERED,
    "COMPLETED": OrderStatus.COMPLETED,
    "CANCELLED": OrderStatus.CANCELLED,
}

RETURN_CLOSED = frozenset({"CANCELLED", "CLOSED", "ACCEPTED"})
RETURN_OPEN = frozenset({"REQUESTED", "PROCESSING", "JUDGING", "SELLER_DISPUTE"})
#: ISO 4217 zero-decimal currencies Shopee sells in (amounts are whole numbers).
ZERO_DECIMAL = frozenset({"VND", "IDR", "CLP", "COP", "KRW", "JPY"})

_warned: set[tuple[str, str]] = set()


def warn_unknown(kind: str, value: str) -> None:
    if (kind, value) not in _warned and len(_warned) < 1000:
        _warned.add((kind, value))
        log.warning("shopee: unknown %s %r (kept as the platform's word)", kind, value)


def to_time(value: Any) -> datetime | None:
    """Seconds (Shopee's unit) and, tolerantly, ms/us/ns, digit strings, ISO-8601 and
    ``YYYY-MM-DD HH:MM:SS +0700``. 0, empty and unreadable values give None."""
    if value is None or isinstance(value, bool):
        return None
    n: float
    if isinstance(value, int | float):
        n = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            n = float(text)
        except ValueError:
            return _text_time(text)
    else:
        return None
    if not math.isfinite(n) or n <= 0:
        return None
    for scale in (1, 1_000, 1_000_000, 1_000_000_000):
        if n < 100_000_000_000 * scale:
            try:
                return datetime.fromtimestamp(n / scale, UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None


def _text_time(text: str) -> datetime | None:
    for parse in (datetime.fromisoformat,
                  lambda t: datetime.strptime(t, "%Y-%m-%d %H:%M:%S %z")):
        try:
            dt = parse(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    log.warning("shopee: unreadable time %r", text)
    return None


def seconds(value: Any) -> int:
    """A whole-seconds timestamp for comparisons (0 when absent)."""
    dt = to_time(value)
    return int(dt.timestamp()) if dt else 0


def money(value: Any, currency: str) -> str:
    """A JSON number (float) as a decimal string: whole units for VND and other
    zero-decimal currencies, two places otherwise; "" when absent."""
    if value is None or isinstance(value, bool) or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    if not amount.is_finite():
        return ""
    step = Decimal(1) if currency.upper() in ZERO_DECIMAL else Decimal("0.01")
    return f"{amount.quantize(step, rounding=ROUND_HALF_UP):f}"


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return default


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _nonzero_id(value: Any) -> str:
    text = _str(value).strip()
    return "" if text in ("", "0") else text


def normalise_status(platform_status: str) -> OrderStatus:
    status = STATUS.get(platform_status.strip().upper())
    if status is None:
        warn_unknown("order_status", platform_status)
        return OrderStatus.UNKNOWN
    return status


def parse_items(raw_items: Any, currency: str) -> tuple[OrderItem, ...]:
    """``item_list`` lines; lines of the same item and model are merged, their
    ``model_quantity_purchased`` summed."""
    merged: dict[tuple[str, str], OrderItem] = {}
    for line in raw_items if isinstance(raw_items, list) else []:
        if not isinstance(line, Mapping):
            continue
        qty = _int(line.get("model_quantity_purchased"), 1)
        key = (_str(line.get("item_id")), _str(line.get("model_id")))
        if key in merged and any(key):
            old = merged[key]
            merged[key] = OrderItem(name=old.name, quantity=old.quantity + qty, sku=old.sku,
                                    price=old.price, image_url=old.image_url)
            continue
        name = _str(line.get("item_name"))
        model = _str(line.get("model_name"))
        if model:
            name = f"{name} ({model})" if name else model
        # model_discounted_price is 0 for bundle-deal items. Unit price or line total is
        # UNCERTAIN in the docs: shown as the platform gives it.
        price = line.get("model_discounted_price") or line.get("model_original_price")
        image = line.get("image_info")
        image_url = image.get("image_url") if isinstance(image, Mapping) else None
        merged[key if any(key) else (str(len(merged)), "")] = OrderItem(
            name=name, quantity=qty, sku=_str(line.get("model_sku") or line.get("item_sku")),
            price=money(price, currency), image_url=image_url or None)
    return tuple(merged.values())


def parse_cancellation(raw: Mapping[str, Any], platform_status: str,
                       respond_window: timedelta | None) -> CancelRequest | None:
    """IN_CANCEL = a buyer request awaiting the seller. Shopee gives no deadline and
    no request time: ``requested_at`` is the order's update_time (the change to
    IN_CANCEL, unless something else changed since) and ``respond_by`` is that plus
    ``respond_window`` when one is configured (about 2 days, UNCERTAIN)."""
    reason = _str(raw.get("buyer_cancel_reason"))
    status = platform_status.upper()
    if status == "IN_CANCEL":
        at = to_time(raw.get("update_time"))
        due = at + respond_window if at and respond_window else None
        return CancelRequest(state="pending", reason=reason, requested_at=at, respond_by=due)
    if not reason:
        return None
    # A buyer reason on an order no longer IN_CANCEL: answered (INFERRED).
    return CancelRequest(state="accepted" if status == "CANCELLED" else "rejected",
                         reason=reason)


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "")), None)


def return_flags(ret: Mapping[str, Any]) -> tuple[str, str]:
    """(negotiation_status, seller_proof_status) from a list item (flat) or a detail
    (nested ``negotiation`` / ``seller_proof``)."""
    neg = obj(ret.get("negotiation"))
    proof = obj(ret.get("seller_proof"))
    return (_str(_first(neg.get("negotiation_status"), ret.get("negotiation_status"))).upper(),
            _str(_first(proof.get("seller_proof_status"), ret.get("seller_proof_status"))).upper())


def needs_detail(ret: Mapping[str, Any]) -> bool:
    """A list item lacks the offer and evidence deadlines of pending negotiations."""
    neg, proof = return_flags(ret)
    if "negotiation" in ret or "seller_proof" in ret:
        return False
    return neg == "PENDING_RESPOND" or proof == "PENDING"


def parse_return(ret: Mapping[str, Any], currency: str = "") -> ReturnRequest:
    """Awaiting the seller (state "pending") = status REQUESTED (``due_date``),
    negotiation PENDING_RESPOND (``offer_due_date``), seller proof PENDING
    (``seller_evidence_deadline``) or PROCESSING with ``return_seller_due_date`` set;
    ``respond_by`` is the earliest of those deadlines. INFERRED from the field docs."""
    status = _str(ret.get("status")).upper()
    neg_status, proof_status = return_flags(ret)
    neg = obj(ret.get("negotiation"))
    proof = obj(ret.get("seller_proof"))
    deadlines: list[Any] = []
    waiting = False
    if status not in RETURN_CLOSED:
        if status == "REQUESTED":
            waiting = True
            deadlines.append(ret.get("due_date"))
        if neg_status == "PENDING_RESPOND":
            waiting = True
            deadlines.append(_first(neg.get("offer_due_date"), ret.get("due_date")))
        if proof_status == "PENDING":
            waiting = True
            deadlines.append(proof.get("seller_evidence_deadline"))
        if status == "PROCESSING" and _int(ret.get("return_seller_due_date")) > 0:
            waiting = True
            deadlines.append(ret.get("return_seller_due_date"))
    if status and status not in RETURN_CLOSED | RETURN_OPEN:
        warn_unknown("return status", status)
    times = [t for t in (to_time(d) for d in deadlines) if t is not None]
    state = "pending" if waiting else "closed" if status in RETURN_CLOSED else "in_progress"
    solution = _str(ret.get("return_solution")).upper()
    refund_only = solution in ("1", "REFUND") or ret.get("needs_logistics") is False
    return ReturnRequest(
        return_id=_str(ret.get("return_sn")), state=state,
        kind="refund" if refund_only else "return",
        reason=_str(ret.get("text_reason") or ret.get("reason")),
        amount=money(ret.get("refund_amount"), _str(ret.get("currency")) or currency),
        requested_at=to_time(ret.get("create_time")),
        respond_by=min(times) if times else None, platform_status=status)


def parse_order(raw: Mapping[str, Any], *, shop_id: str,
                returns: Iterable[Mapping[str, Any]] = (), tracking_no: str | None = None,
                ship_by: datetime | None = None,
                cancel_respond_window: timedelta | None = None) -> Order:
    """One ``get_order_detail`` entry (with the optional fields we request).
    ``ship_by`` overrides ``ship_by_date`` (a package deadline moved by push 47)."""
    order_sn = _str(raw.get("order_sn")).strip()
    if not order_sn:
        raise ValueError("shopee order without order_sn")
    platform_status = _str(raw.get("order_status"))
    currency = _str(raw.get("currency"))
    created = to_time(raw.get("create_time"))
    updated = to_time(raw.get("update_time")) or created or EPOCH
    parsed_returns = sorted((parse_return(r, currency) for r in returns),
                            key=lambda r: (r.requested_at or EPOCH, r.return_id))
    return Order(
        shop_id=ShopId(shop_id), order_id=OrderId(order_sn),
        buyer_id=_nonzero_id(raw.get("buyer_user_id")),
        status=normalise_status(platform_status), platform_status=platform_status,
        amount=money(raw.get("total_amount"), currency), currency=currency,
        created_at=created or updated, updated_at=updated,
        items=parse_items(raw.get("item_list"), currency),
        ship_by=ship_by or to_time(raw.get("ship_by_date")),
        tracking_no=tracking_no or None,
        cancellation=parse_cancellation(raw, platform_status, cancel_respond_window),
        returns=tuple(parsed_returns), raw=dict(raw))


def has_return_signs(raw: Mapping[str, Any]) -> bool:
    """Whether a detail shows a return or refund (TO_RETURN, or the 2026 per-item
    counters); such orders get their returns looked up even if none changed."""
    if _str(raw.get("order_status")).upper() == "TO_RETURN":
        return True
    return any(isinstance(i, Mapping) and (_int(i.get("return_requested_qty")) > 0
                                           or _int(i.get("returned_qty")) > 0)
               for i in items(raw.get("item_list")))
