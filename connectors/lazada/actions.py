"""Lazada answers to buyer cancellations and returns (reverse-order APIs).

A buyer cancellation is a reverse order of type CANCEL, named by the order item's
``reverse_order_id``; ``/order/reverse/cancel/seller/decide`` answers it. Returns are
answered line by line with ``/order/reverse/return/update`` (refusals one line per
call: "E0111 do not support massive reverse order line operation"). Lazada has no
partial-refund offer, so it is never an allowed action here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from connectors.errors import RuleViolation
from connectors.lazada.client import truthy
from connectors.lazada.media import LazCall
from connectors.models import StoreAccount
from connectors.order_actions import (
    RETURN_ACTION,
    ActionRefused,
    ActionResult,
    OrderAction,
    Reason,
    ReturnDecision,
)
from connectors.platform_actions import PlatformActions

ITEMS = "/orders/items/get"
DETAIL = "/order/reverse/return/detail/list"
CANCEL_DECIDE = "/order/reverse/cancel/seller/decide"
RETURN_UPDATE = "/order/reverse/return/update"
REFUND_DECIDE = "/order/reverse/onlyrefund/seller/decide"
REASONS = "/order/reverse/reason/list"
_DETAIL = re.compile(r"^lazada \S+: (.*)$", re.S)


class LazadaActions(PlatformActions):
    def __init__(self, call: LazCall, clock: Callable[[], datetime]) -> None:
        super().__init__(clock, platform="Lazada", detail=_DETAIL, partial_refund=False)
        self._call = call

    async def refusal_reasons(self, store: StoreAccount, request_id: str, kind: str
                              ) -> list[Reason]:
        reverse_id = (await self._cancel_reverse(store, request_id) if kind == "cancel"
                      else request_id)
        lines = (await self._detail(store, reverse_id))[1]
        data = (await self._act(store, REASONS, {
            "reverse_order_line_id": lines[0]})).get("data") or []
        return [Reason(str(r.get("reason_id")), str(r.get("text") or ""))
                for r in data if isinstance(r, dict) and r.get("reason_id") is not None]

    async def answer_cancellation(self, store: StoreAccount, order_id: str, accept: bool,
                                  reason: str | None = None) -> ActionResult:
        reverse_id = await self._cancel_reverse(store, order_id)
        params: dict[str, object] = {"reverse_order_id": reverse_id,
                                     "agree_cancel": "true" if accept else "false"}
        if not accept:
            if not reason or not reason.isdigit():
                raise RuleViolation("reject needs a reason id", user_message=(
                    "Pick one of Lazada's reasons to reject the cancellation."))
            params["reason_code"] = reason
        await self._act(store, CANCEL_DECIDE, params, write=True)
        action = OrderAction.CANCEL_ACCEPT if accept else OrderAction.CANCEL_REJECT
        return ActionResult(action, order_id, reverse_id, self._now())

    async def answer_return(self, store: StoreAccount, order_id: str, return_id: str,
                            decision: ReturnDecision, *, reason: str | None = None,
                            amount: str | None = None, comment: str = "") -> ActionResult:
        if decision is ReturnDecision.PARTIAL_REFUND:
            raise RuleViolation("lazada has no partial refund", user_message=(
                "Lazada has no partial-refund offer; accept or refuse the return."))
        request_type, lines = await self._detail(store, return_id)
        if decision is ReturnDecision.ACCEPT:
            refund_only = request_type == "ONLY_REFUND"
            await self._act(store, REFUND_DECIDE if refund_only else RETURN_UPDATE, {
                "action": "agreeRefund" if refund_only else "agreeReturn",
                "reverse_order_id": return_id, "reverse_order_item_ids": _ids(lines)},
                write=True)
        else:
            if not reason or not reason.isdigit():
                raise RuleViolation("refuse needs a reason id", user_message=(
                    "Pick one of Lazada's reasons to refuse the return."))
            if not comment.strip():  # E0109: required to refuse
                raise RuleViolation("refuse needs a comment", user_message=(
                    "Lazada needs a comment to refuse a return."))
            for line in lines:
                await self._act(store, RETURN_UPDATE, {
                    "action": "refuseReturn", "reverse_order_id": return_id,
                    "reverse_order_item_ids": _ids([line]), "reason_id": reason,
                    "comment": comment}, write=True)
        return ActionResult(RETURN_ACTION[decision], order_id, return_id, self._now())

    async def _cancel_reverse(self, store: StoreAccount, order_id: str) -> str:
        data = (await self._act(store, ITEMS, {"order_ids": f"[{order_id}]"})).get("data")
        for entry in data or []:
            for item in entry.get("order_items") or []:
                if truthy(item.get("need_cancel_confirm")) and item.get("reverse_order_id"):
                    return str(item["reverse_order_id"])
        raise ActionRefused("Lazada", "This order has no pending cancellation request.",
                            code="no_pending_cancellation")

    async def _detail(self, store: StoreAccount, reverse_id: str) -> tuple[str, list[str]]:
        data = (await self._act(store, DETAIL, {"reverse_order_id": reverse_id})
                ).get("data") or {}
        lines = [str(line["reverse_order_line_id"])
                 for line in data.get("reverseOrderLineDTOList") or []
                 if isinstance(line, dict) and line.get("reverse_order_line_id")]
        if not lines:
            raise ActionRefused("Lazada", "The reverse order has no lines to answer.",
                                code="no_lines")
        return str(data.get("request_type") or ""), lines

    async def _act(self, store: StoreAccount, path: str, params: dict[str, object], *,
                   write: bool = False) -> dict[str, Any]:
        # Every reverse API is documented as GET, writes included; a write whose
        # answer is lost becomes OutcomeUnknown, never a blind retry.
        return await self._refusing(self._call(store, path, params, method="GET",
                                               idempotent=not write))


def _ids(lines: list[str]) -> str:
    return "[" + ",".join(lines) + "]"
