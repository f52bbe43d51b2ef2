"""Answers to a buyer's cancellation or return request: what crosses the boundary.

``allowed_actions`` is computed from the normalised :class:`~connectors.orders.Order`
(no I/O), so a button is only offered while the platform would accept it; the platform
still decides, and a refusal arrives as :class:`ActionRefused` with its own words.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from connectors.errors import PermanentError
from connectors.models import StoreAccount
from connectors.orders import Order


class OrderAction(enum.StrEnum):
    CANCEL_ACCEPT = "cancel_accept"
    CANCEL_REJECT = "cancel_reject"
    RETURN_ACCEPT = "return_accept"
    RETURN_REFUSE = "return_refuse"
    RETURN_PARTIAL_REFUND = "return_partial_refund"


CANCEL_ACTIONS = frozenset({OrderAction.CANCEL_ACCEPT, OrderAction.CANCEL_REJECT})


class ReturnDecision(enum.StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    PARTIAL_REFUND = "partial_refund"


RETURN_ACTION = {ReturnDecision.ACCEPT: OrderAction.RETURN_ACCEPT,
                 ReturnDecision.REFUSE: OrderAction.RETURN_REFUSE,
                 ReturnDecision.PARTIAL_REFUND: OrderAction.RETURN_PARTIAL_REFUND}


@dataclass(frozen=True)
class Reason:
    """A refusal reason the platform accepts: ``code`` goes on the wire."""

    code: str
    text: str


@dataclass(frozen=True)
class ActionResult:
    action: OrderAction
    order_id: str
    request_id: str  # the cancel / return / reverse id the action answered
    done_at: datetime
    platform_status: str = ""


class ActionRefused(PermanentError):
    """The platform said no (wrong state, deadline passed, invalid reason...).
    ``user_message`` carries the platform's own words, prefixed with who said it."""

    def __init__(self, platform: str, message: str, *, code: str | None = None) -> None:
        words = message.strip() or "no reason given"
        super().__init__(f"{platform}: {code}: {words}", code=code,
                         user_message=f"{platform} refused: {words}")
        self.platform_message = words


@runtime_checkable
class ActionNeeds(Protocol):
    def missing_for(self, store: StoreAccount, action: OrderAction) -> str | None:
        """What this store's configuration lacks for ``action``, in plain words for the
        person about to take it; None when nothing is missing. No I/O."""
        ...


def pending_actions(order: Order, return_id: str | None, now: datetime, *,
                    partial_refund: bool) -> frozenset[OrderAction]:
    """Actions open on ``order`` at ``now`` under the common rules: a pending request
    whose respond-by time has not passed. Platforms narrow this further."""
    allowed: set[OrderAction] = set()
    c = order.cancellation
    if c is not None and c.state == "pending" and (c.respond_by is None or c.respond_by > now):
        allowed |= CANCEL_ACTIONS
    for r in order.returns:
        if return_id not in (None, r.return_id) or r.state != "pending":
            continue
        if r.respond_by is not None and r.respond_by <= now:
            continue
        allowed |= {OrderAction.RETURN_ACCEPT, OrderAction.RETURN_REFUSE}
        if partial_refund:
            allowed.add(OrderAction.RETURN_PARTIAL_REFUND)
    return frozenset(allowed)
