"""TikTok Shop answers to cancellations and returns (Return & Refund 202309 APIs)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from connectors.errors import RuleViolation
from connectors.models import StoreAccount
from connectors.order_actions import (
    RETURN_ACTION,
    ActionRefused,
    ActionResult,
    OrderAction,
    Reason,
    ReturnDecision,
)
from connectors.platform_actions import PlatformActions, positive_amount
from connectors.tiktok.media import CsCall

RR = "/return_refund/202309"
PENDING_CANCEL = "CANCELLATION_REQUEST_PENDING"
_DETAIL = re.compile(r"^TikTok code=\S+ http=\d+: (.*)$", re.S)


class TikTokActions(PlatformActions):
    """Approve/reject a cancellation by its ``cancel_id`` (looked up by order), and a
    return by ``return_id``. Refund-only requests take APPROVE_REFUND/REJECT_REFUND,
    returns APPROVE_RETURN/REJECT_RETURN; a partial refund is OFFER_PARTIAL_REFUND."""

    def __init__(self, call: CsCall, clock: Callable[[], float]) -> None:
        super().__init__(lambda: datetime.fromtimestamp(clock(), UTC), platform="TikTok Shop",
                         detail=_DETAIL, partial_refund=True)
        self._call = call

    async def refusal_reasons(self, store: StoreAccount, request_id: str, kind: str
                              ) -> list[Reason]:
        if kind == "cancel":
            request_id = (await self._pending_cancel(store, request_id))["cancel_id"]
        data = await self._act(store, "GET", f"{RR}/reject_reasons",
                               params={"return_or_cancel_id": request_id})
        return [Reason(str(r.get("name")), str(r.get("text") or ""))
                for r in data.get("reasons") or [] if isinstance(r, dict) and r.get("name")]

    async def answer_cancellation(self, store: StoreAccount, order_id: str, accept: bool,
                                  reason: str | None = None) -> ActionResult:
        cancel = await self._pending_cancel(store, order_id)
        cid = str(cancel["cancel_id"])
        if accept:
            await self._act(store, "POST", f"{RR}/cancellations/{cid}/approve", body={})
        else:
            if not reason:
                raise RuleViolation("reject needs a reason", user_message=(
                    "Pick one of TikTok Shop's reasons to reject the cancellation."))
            await self._act(store, "POST", f"{RR}/cancellations/{cid}/reject",
                            body={"reject_reason": reason})
        action = OrderAction.CANCEL_ACCEPT if accept else OrderAction.CANCEL_REJECT
        return ActionResult(action, order_id, cid, self._now())

    async def answer_return(self, store: StoreAccount, order_id: str, return_id: str,
                            decision: ReturnDecision, *, reason: str | None = None,
                            amount: str | None = None, comment: str = "") -> ActionResult:
        ret = await self._return(store, order_id, return_id)
        refund_only = ret.get("return_type") == "REFUND"
        path = f"{RR}/returns/{return_id}"
        if decision is ReturnDecision.ACCEPT:
            body: dict[str, Any] = {"decision": "APPROVE_REFUND" if refund_only
                                    else "APPROVE_RETURN"}
            await self._act(store, "POST", path + "/approve", body=body)
        elif decision is ReturnDecision.PARTIAL_REFUND:
            currency = str((ret.get("refund_amount") or {}).get("currency") or "")
            await self._act(store, "POST", path + "/approve", body={
                "decision": "OFFER_PARTIAL_REFUND",
                "partial_refund": {"currency": currency, "amount": _amount(amount)}})
        else:
            if not reason:
                raise RuleViolation("reject needs a reason", user_message=(
                    "Pick one of TikTok Shop's reasons to refuse the return."))
            body = {"decision": "REJECT_REFUND" if refund_only else "REJECT_RETURN",
                    "reject_reason": reason}
            if comment:
                body["comment"] = comment
            await self._act(store, "POST", path + "/reject", body=body)
        return ActionResult(RETURN_ACTION[decision], order_id, return_id, self._now())

    async def _pending_cancel(self, store: StoreAccount, order_id: str) -> dict[str, Any]:
        data = await self._act(store, "POST", f"{RR}/cancellations/search",
                               params={"page_size": 10}, body={"order_ids": [order_id]})
        for c in data.get("cancellations") or []:
            if isinstance(c, dict) and c.get("cancel_status") == PENDING_CANCEL:
                return c
        raise ActionRefused("TikTok Shop", "This order has no pending cancellation request.",
                            code="no_pending_cancellation")

    async def _return(self, store: StoreAccount, order_id: str, return_id: str
                      ) -> dict[str, Any]:
        data = await self._act(store, "POST", f"{RR}/returns/search",
                               params={"page_size": 10}, body={"return_ids": [return_id]})
        for r in data.get("return_orders") or []:
            if isinstance(r, dict) and r.get("return_id") == return_id:
                return r
        raise ActionRefused("TikTok Shop", "Return request not found.", code="no_return")

    async def _act(self, store: StoreAccount, method: str, path: str, **kw: Any
                   ) -> dict[str, Any]:
        return await self._refusing(self._call(
            store, method, path, cs_quota=False,
            idempotent=method == "GET" or path.endswith("/search"), **kw))


def _amount(value: str | None) -> str:
    return str(positive_amount(value))  # TikTok types money as decimal strings
