"""Shopee answers to buyer cancellations (order API) and returns (returns API)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from connectors.errors import RuleViolation
from connectors.models import StoreAccount
from connectors.order_actions import (
    RETURN_ACTION,
    ActionResult,
    OrderAction,
    Reason,
    ReturnDecision,
)
from connectors.platform_actions import PlatformActions, positive_amount
from connectors.shopee.media import ShopCall

CANCEL = "/api/v2/order/handle_buyer_cancellation"
CONFIRM = "/api/v2/returns/confirm"
OFFER = "/api/v2/returns/offer"
DISPUTE = "/api/v2/returns/dispute"
DISPUTE_REASONS = "/api/v2/returns/get_return_dispute_reason"
_DETAIL = re.compile(r"^shopee [^:]+: (.*?)(?: \(request_id [^)]*\))?$", re.S)
NO_EMAIL = ("Shopee needs the store's contact e-mail to dispute (refuse) a return, and "
            "none is configured for this store: an admin adds `dispute_email` to the store "
            "in storebridge.yml. Accept the return or offer a partial refund instead, or "
            "refuse it in the Shopee seller centre.")


class ShopeeActions(PlatformActions):
    """Dispute (refuse) needs the seller's e-mail: ``StoreAccount.dispute_email``
    (``dispute_email`` on the store in storebridge.yml; Shopee requires one)."""

    def __init__(self, call: ShopCall, clock: Callable[[], float]) -> None:
        super().__init__(lambda: datetime.fromtimestamp(clock(), UTC), platform="Shopee",
                         detail=_DETAIL, partial_refund=True)
        self._call = call
        self._clock = clock

    def missing_for(self, store: StoreAccount, action: OrderAction) -> str | None:
        if action is OrderAction.RETURN_REFUSE and not store.dispute_email:
            return NO_EMAIL
        return None

    async def refusal_reasons(self, store: StoreAccount, request_id: str, kind: str
                              ) -> list[Reason]:
        if kind == "cancel":
            return []  # handle_buyer_cancellation REJECT takes no reason
        resp = await self._act(store, "GET", DISPUTE_REASONS, params={"return_sn": request_id})
        return [Reason(str(r.get("reason_id")), str(r.get("reason_text") or ""))
                for r in resp.get("dispute_reason_list") or [] if isinstance(r, dict)]

    async def answer_cancellation(self, store: StoreAccount, order_id: str, accept: bool,
                                  reason: str | None = None) -> ActionResult:
        op = "ACCEPT" if accept else "REJECT"
        resp = await self._act(store, "POST", CANCEL,
                               body={"order_sn": order_id, "operation": op})
        action = OrderAction.CANCEL_ACCEPT if accept else OrderAction.CANCEL_REJECT
        return ActionResult(action, order_id, order_id, self._at(resp.get("update_time")),
                            "CANCELLED" if accept else "READY_TO_SHIP")

    async def answer_return(self, store: StoreAccount, order_id: str, return_id: str,
                            decision: ReturnDecision, *, reason: str | None = None,
                            amount: str | None = None, comment: str = "") -> ActionResult:
        if decision is ReturnDecision.ACCEPT:
            await self._act(store, "POST", CONFIRM, body={"return_sn": return_id})
        elif decision is ReturnDecision.PARTIAL_REFUND:
            await self._act(store, "POST", OFFER, body={
                "return_sn": return_id, "proposed_solution": "REFUND",
                "proposed_adjusted_refund_amount": _amount(amount)})
        else:
            email = store.dispute_email
            if not reason or not reason.isdigit():
                raise RuleViolation("dispute needs a reason id",
                                    user_message="Pick one of Shopee's dispute reasons.")
            if not email:
                raise RuleViolation("no dispute_email for this store", code="no_dispute_email",
                                    user_message=NO_EMAIL)
            await self._act(store, "POST", DISPUTE, body={
                "return_sn": return_id, "email": email, "dispute_reason_id": int(reason),
                "dispute_text_reason": comment})
        return ActionResult(RETURN_ACTION[decision], order_id, return_id, self._at(None))

    async def _act(self, store: StoreAccount, method: str, path: str, **kw: Any
                   ) -> dict[str, Any]:
        return await self._refusing(self._call(store, method, path, unsafe=method == "POST",
                                               **kw))

    def _at(self, ts: Any) -> datetime:
        return datetime.fromtimestamp(int(ts) if ts else self._clock(), UTC)


def _amount(value: str | None) -> float:
    return float(positive_amount(value))  # the offer API types the amount as a float
