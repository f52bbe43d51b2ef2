"""Slack blocks for answering buyer requests: the buttons on the thread note, the
confirmation modal, and the note once answered. No I/O here."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.orders.render import countdown
from bot.render.labels import slack_date
from bot.text_safety import escape_untrusted
from connectors.order_actions import OrderAction, Reason
from connectors.orders import Order

ACTION_PREFIX = "order_act:"
CONFIRM = "order_act_confirm"
LABELS = {OrderAction.CANCEL_ACCEPT: "Accept cancellation",
          OrderAction.CANCEL_REJECT: "Reject cancellation…",
          OrderAction.RETURN_ACCEPT: "Accept return",
          OrderAction.RETURN_REFUSE: "Refuse return…",
          OrderAction.RETURN_PARTIAL_REFUND: "Offer partial refund…"}
#: What the thread says once done: "<who> <words> order X".
DONE_WORDS = {OrderAction.CANCEL_ACCEPT: "accepted the buyer's cancellation of",
              OrderAction.CANCEL_REJECT: "rejected the buyer's cancellation of",
              OrderAction.RETURN_ACCEPT: "accepted the return/refund request on",
              OrderAction.RETURN_REFUSE: "refused the return/refund request on",
              OrderAction.RETURN_PARTIAL_REFUND: "offered a partial refund on"}


def request_buttons(store_key: str, order_id: str, return_id: str,
                    allowed: frozenset[Any], text: str) -> list[dict[str, Any]] | None:
    wanted = [a for a in LABELS if a in allowed and (a.startswith("return") == bool(return_id))]
    if not wanted:
        return None
    buttons = []
    for a in wanted:
        b: dict[str, Any] = {"type": "button", "action_id": ACTION_PREFIX + a.value,
                             "text": {"type": "plain_text", "text": LABELS[a]},
                             "value": json.dumps({"s": store_key, "o": order_id,
                                                  "r": return_id, "a": a.value})}
        if a in (OrderAction.CANCEL_ACCEPT, OrderAction.RETURN_ACCEPT):
            b["style"] = "primary"
        buttons.append(b)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "actions", "block_id": "order_request", "elements": buttons}]


def _deadline(order: Order, return_id: str) -> datetime | None:
    if not return_id:
        return order.cancellation.respond_by if order.cancellation else None
    r = next((r for r in order.returns if r.return_id == return_id), None)
    return r.respond_by if r else None


def _amount(order: Order, return_id: str) -> str:
    r = next((r for r in order.returns if r.return_id == return_id), None)
    amount = r.amount if r and r.amount else order.amount
    return f"{amount} {order.currency}".strip()


def confirm_modal(order: Order, return_id: str, action: OrderAction, reasons: list[Reason],
                  now: float, meta: dict[str, Any]) -> dict[str, Any]:
    due = _deadline(order, return_id)
    due_text = (f"{slack_date(due.timestamp())} ({countdown(due.timestamp(), now)})"
                if due else "no deadline given by the platform")
    facts = (f"*{LABELS[action].rstrip('…')}*\nOrder `{escape_untrusted(order.order_id)}`"
             + (f" · return `{escape_untrusted(return_id)}`" if return_id else "")
             + f"\nAmount: {escape_untrusted(_amount(order, return_id))}"
             + f"\nRespond by: {due_text}")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn",
                                                                  "text": facts}}]
    if reasons:
        blocks.append({"type": "input", "block_id": "reason", "label": {
            "type": "plain_text", "text": "Reason the marketplace accepts"},
            "element": {"type": "static_select", "action_id": "reason", "options": [
                {"text": {"type": "plain_text", "text": r.text[:75] or r.code},
                 "value": r.code[:150]} for r in reasons[:100]]}})
    if action == OrderAction.RETURN_PARTIAL_REFUND:
        blocks.append({"type": "input", "block_id": "amount", "label": {
            "type": "plain_text", "text": f"Refund amount ({order.currency})"},
            "element": {"type": "plain_text_input", "action_id": "amount"}})
    if action == OrderAction.RETURN_REFUSE:
        blocks.append({"type": "input", "block_id": "comment", "optional": True, "label": {
            "type": "plain_text", "text": "Comment to the marketplace"},
            # One action id per field: Slack wants them unique within a view.
            "element": {"type": "plain_text_input", "action_id": "comment",
                        "multiline": True}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                   "This answers the buyer on the marketplace and cannot be undone here."}]})
    return {"type": "modal", "callback_id": CONFIRM, "private_metadata": json.dumps(meta),
            "title": {"type": "plain_text", "text": "Confirm"},
            "submit": {"type": "plain_text", "text": "Confirm"},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks}


def answered_blocks(text: str, outcome: str) -> list[dict[str, Any]]:
    """The request note once answered: its text, the buttons replaced by the outcome."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": outcome}]}]
