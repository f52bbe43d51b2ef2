"""The approval gate: a reply that promises money or policy, from an agent who may not
approve (bot/authz.py: the store group's managers and admins may), waits (⏳, state
``held``) until one who may approves or rejects it from the thread. Approvers' own
replies pass; ``approval: {enabled: false}`` turns the gate off (top level or per
store). Every path by which an agent's words reach a buyer asks :meth:`reason` through
``Relay.queue_reply`` (bot/relay.py), the one place that records them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.actions.approval_rules import risky
from bot.authz import NOT_APPROVER
from bot.slack_work import SlackWork
from bot.store import Conversation
from bot.text_safety import escape_untrusted

if TYPE_CHECKING:
    from bot.feature_api import Services

APPROVE, REJECT, REJECT_VIEW = "approval_approve", "approval_reject", "approval_reject_note"


class ApprovalGate:
    def __init__(self, service: Services) -> None:
        self.service = service
        self.store = service.store

    def reason(self, store_key: str, user: str, text: str) -> str | None:
        """Why this reply must wait, or None (gate off, an approver writing, nothing
        risky, or nobody who could approve it)."""
        access = self.service.relay.access
        if (not text.strip() or access.may_approve(user, store_key)
                or not access.approvers(store_key)):
            return None
        return risky(text, self.service.settings.approval_for(store_key))

    async def held(self, conv: Conversation, message_id: int, user: str, text: str,
                   reason: str) -> None:
        """Ask the group's managers in the thread (they are mentioned: they must act)."""
        ping = " ".join(f"<@{m}>" for m in self.service.relay.access.approvers(conv.store_key))
        quoted = escape_untrusted(text[:1500]).replace("\n", "\n>")
        head = (f"⏳ Awaiting approval: <@{user}>'s reply mentions {escape_untrusted(reason)}, "
                f"so a manager must approve it before the buyer gets it. {ping}")
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"{head}\n>{quoted}"}},
                  {"type": "actions", "block_id": "approval", "elements": [
                      {"type": "button", "action_id": APPROVE, "style": "primary",
                       "text": {"type": "plain_text", "text": "Approve & send"},
                       "value": str(message_id)},
                      {"type": "button", "action_id": REJECT, "style": "danger",
                       "text": {"type": "plain_text", "text": "Reject…"},
                       "value": str(message_id)}]}]
        await self.store.ops.enqueue(conv.channel_ref, SlackWork.POST_THREAD_NOTE,
                                     conversation_id=conv.id,
                                     payload={"text": head, "blocks": blocks})

    async def decide(self, user: str, message_id: int, approve: bool, note: str,
                     where: dict[str, str]) -> str | None:
        """Approve or reject; a plain refusal for the clicker, or None when done."""
        msg = await self.store.replies.get(message_id)
        if msg is None:
            return "That reply no longer exists."
        if not self.service.relay.access.may_approve(user, msg.store_key):
            return NOT_APPROVER
        if not await self.store.actions.decide_held(message_id, approve, user, note):
            return "This reply was already approved, rejected or deleted."
        conv = await self.store.conversations.get(msg.conversation_id)
        assert conv is not None
        if approve:
            outcome = f"✅ Approved by <@{user}>: <@{msg.author}>'s reply is on its way."
            self.service.sender.kick(msg.store_key)
        else:
            why = f" Note: {escape_untrusted(note)}" if note else ""
            outcome = f"🚫 Rejected by <@{user}>: <@{msg.author}>'s reply was not sent.{why}"
        await self.store.ops.enqueue(conv.channel_ref, SlackWork.POST_THREAD_NOTE,
                                     conversation_id=conv.id, payload={"text": outcome})
        self.service.outbox.kick(conv.channel_ref)
        if where.get("ch") and where.get("ts"):  # the request loses its buttons
            await self.service.slack.chat_update(
                channel=where["ch"], ts=where["ts"], text=outcome, blocks=[
                    {"type": "section", "text": {"type": "mrkdwn", "text": where.get("n", "")}},
                    {"type": "context", "elements": [{"type": "mrkdwn", "text": outcome}]}])
        return None

    def reject_view(self, message_id: int, where: dict[str, str]) -> dict[str, Any]:
        return {"type": "modal", "callback_id": REJECT_VIEW,
                "private_metadata": json.dumps({"m": message_id, **where}),
                "title": {"type": "plain_text", "text": "Reject reply"},
                "submit": {"type": "plain_text", "text": "Reject"},
                "blocks": [{"type": "input", "block_id": "note", "label": {
                    "type": "plain_text", "text": "Note to the agent"},
                    "element": {"type": "plain_text_input", "action_id": "v",
                                "multiline": True}}]}
