"""Lazada reverse orders (cancellations, returns, refunds) -> CancelRequest / ReturnRequest.

A buyer's cancellation request shows on the order *item* (``need_cancel_confirm``
with ``cancel_trigger_time`` in ms, the auto-cancel deadline) and as a reverse
order of ``request_type`` CANCEL. Returns and refunds are reverse orders of type
RETURN / ONLY_REFUND; a line in ``REQUEST_INITIATE`` awaits the seller until its
``sla`` (epoch ms). The full status list is undocumented: unknown values are
logged and reported as "in progress", never fatal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.lazada.client import truthy
from connectors.lazada.orders_wire import decimal, earliest, id_str, reverse_money, unknown
from connectors.orders import CancelRequest, ReturnRequest

#: Reverse-line status -> CancelRequest.state.
CANCEL_STATE = {"REQUEST_INITIATE": "pending", "CANCEL_INIT": "pending",
                "REQUEST_REJECT": "rejected", "REQUEST_CANCEL": "withdrawn",
                "CANCEL_SUCCESS": "accepted", "CANCEL_REFUND_ISSUED": "accepted"}
#: Return lines awaiting the seller's decision.
RETURN_PENDING = {"REQUEST_INITIATE", "RTM_INIT", "RTW_INIT", "REFUND_INIT"}
#: Return lines that are over, whichever way.
RETURN_CLOSED = {"REQUEST_REJECT", "REQUEST_CANCEL", "CANCEL_SUCCESS", "RTM_CANCELED",
                 "RTW_CANCELED", "RTW_REJECT", "REFUND_SUCCESS", "REFUND_REJECTED"}
#: Documented (detail doc, push keys) states between the two.
RETURN_MOVING = {"RTM_SHIPPING_BACK", "RTM_RECEIVE_ITEM", "RTW_SHIPPING_BACK",
                 "RTW_REFUND_PENDING", "REFUND_PENDING"}


def normalise(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A reverse order from the list (``reverse_order_lines``) or the detail
    (``reverseOrderLineDTOList``) as one shape."""
    lines = raw.get("reverse_order_lines") or raw.get("reverseOrderLineDTOList") or []
    return {
        "reverse_order_id": id_str(raw.get("reverse_order_id")),
        "trade_order_id": id_str(raw.get("trade_order_id")),
        "request_type": str(raw.get("request_type") or "").upper(),
        "lines": [line for line in lines if isinstance(line, Mapping)],
        "raw": dict(raw),
    }


def _states(lines: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(line.get("reverse_status") or "").upper() for line in lines]


def cancellation_of(items: Sequence[Mapping[str, Any]],
                    reverses: Sequence[dict[str, Any]]) -> CancelRequest | None:
    lines = [line for r in reverses if r["request_type"] == "CANCEL" for line in r["lines"]]
    requested = earliest(line.get("return_order_line_gmt_create") for line in lines)
    asked = [i for i in items if truthy(i.get("need_cancel_confirm"))]
    if asked:  # the item flags are the documented signal; the reverse line adds detail
        return CancelRequest(
            state="pending", reason=str(asked[0].get("reason") or ""), requested_at=requested,
            respond_by=earliest(i.get("cancel_trigger_time") for i in asked)
            or earliest(line.get("sla") for line in lines))
    if any(truthy(i.get("is_cancel_pending")) for i in items):
        # "seller agrees the cancellation request, waiting for logistic system"
        return CancelRequest(state="accepted", reason=str(items[0].get("reason") or ""),
                             requested_at=requested)
    return _cancel_from_lines(lines, requested)


def _cancel_from_lines(lines: Sequence[Mapping[str, Any]],
                       requested: datetime | None) -> CancelRequest | None:
    """The cancellation as the reverse lines tell it (no item flag said more)."""
    if not lines:
        return None
    states = _states(lines)
    state = next((CANCEL_STATE[s] for s in states if s in CANCEL_STATE), None)
    if state is None:
        unknown("cancel status", ",".join(states))
        state = "pending"
    pending = [line for line, s in zip(lines, states, strict=True)
               if CANCEL_STATE.get(s) == "pending"]
    return CancelRequest(state=state, reason=str(lines[0].get("reason_text") or ""),
                         requested_at=requested,
                         respond_by=earliest(line.get("sla") for line in pending))


def returns_of(reverses: Sequence[dict[str, Any]], *, site: str,
               currency: str) -> tuple[ReturnRequest, ...]:
    found: list[ReturnRequest] = []
    for reverse in reverses:
        lines = reverse["lines"]
        if reverse["request_type"] == "CANCEL" or not lines:
            continue
        states = _states(lines)
        for s in states:
            if s not in RETURN_PENDING | RETURN_CLOSED | RETURN_MOVING:
                unknown("reverse status", s)
        pending = [line for line, s in zip(lines, states, strict=True) if s in RETURN_PENDING]
        if pending:
            state = "pending"
        elif all(s in RETURN_CLOSED for s in states):
            state = "closed"
        else:
            state = "in_progress"
        amounts = [a for a in (decimal(line.get("refund_amount")) for line in lines)
                   if a is not None]
        found.append(ReturnRequest(
            return_id=reverse["reverse_order_id"], state=state,
            kind="refund" if reverse["request_type"] == "ONLY_REFUND" else "return",
            reason=str(lines[0].get("reason_text") or ""),
            amount=reverse_money(sum(amounts, Decimal(0)), site=site, currency=currency)
            if amounts else "",
            requested_at=earliest(line.get("return_order_line_gmt_create") for line in lines),
            respond_by=earliest(line.get("sla") for line in pending),
            platform_status=",".join(dict.fromkeys(states)),
        ))
    return tuple(found)
