"""Transfers between members and groups, and the hand-over at shift end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.authz import GONE, NOT_AGENT, Access
from bot.slack_work import SlackWork
from bot.store import Conversation, Store
from bot.team.assignment import Assigner
from bot.team.roster import Roster
from bot.text_safety import escape_untrusted

OrdersText = Callable[[int], Awaitable[str | None]]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    assignee: str | None = None


class Handoffs:
    def __init__(self, store: Store, roster: Roster, assigner: Assigner, *,
                 wake_slack: Callable[[str], None],
                 open_orders: OrdersText | None = None) -> None:
        self.store = store
        self.roster = roster
        self.access = Access(roster.settings)
        self.assigner = assigner
        self.wake_slack = wake_slack
        self.open_orders = open_orders

    async def _target(self, conv: Conversation, actor: str, *, user: str | None,
                group: str | None) -> Outcome:
        if user:
            if not self.access.may_receive(user, conv.store_key):
                return Outcome(False, f"<@{user}> is not on this store's team, so they could "
                                      "not reply to this buyer. Pick a member of the team.")
            if not await self.roster.online(user):
                return Outcome(False, f"<@{user}> is idle: chats can only go to online "
                                      "members. Pick someone online, or a group.")
            return Outcome(True, "", user)
        if group:
            if self.roster.settings.group(group) is None:
                return Outcome(False, f"There is no group called {escape_untrusted(group)}.")
            if group not in self.access.groups_serving(conv.store_key):
                return Outcome(False, f"{escape_untrusted(group)} does not serve this store, so "
                                      "its members could not reply to this buyer.")
            picked = await self.assigner.pick(group, conv.buyer_id, conv.store_key, exclude=actor)
            if picked is None:
                return Outcome(False, f"Nobody else in {group} is online.")
            return Outcome(True, "", picked)
        return Outcome(False, "Choose a member or a group.")

    async def transfer(self, conversation_id: int, actor: str, *, user: str | None = None,
                 group: str | None = None, note: str = "", once: str | None = None) -> Outcome:
        """``once``: a key (the modal's view id) that makes a replayed submission a no-op."""
        conv = await self.store.conversations.get(conversation_id)
        if conv is None:
            return Outcome(False, GONE)
        if not self.access.may_act(actor, conv.store_key):
            return Outcome(False, NOT_AGENT)
        target = await self._target(conv, actor, user=user, group=group)
        if not target.ok or target.assignee is None:
            return target
        to = target.assignee
        if once and not await self.store.books.claim_event(once):
            return Outcome(True, "Already transferred.", to)
        await self.store.team.assign(conv.id, to, actor=actor, kind="transfer",
                               detail={"from": conv.assignee, "note": note, "group": group})
        said = f": “{escape_untrusted(note)}”" if note.strip() else ""
        via = f" (via {escape_untrusted(group)})" if group else ""
        await self._note(conv, f"🔁 <@{actor}> transferred this conversation to <@{to}>{via}{said}")
        await self.store.ops.enqueue(f"@{to}", SlackWork.DM, conversation_id=conv.id, payload={
            "user": to, "text": f"🔁 <@{actor}> handed you conversation `{conv.ref}` "
                                f"with {escape_untrusted(conv.buyer_name)}{said}"})
        self.wake_slack(f"@{to}")
        return Outcome(True, f"Transferred to <@{to}>.", to)

    async def handover(self, actor: str, *, user: str | None = None,
                       group: str | None = None) -> Outcome:
        """Move all of ``actor``'s open conversations, each with a hand-over note."""
        moved: list[str] = []
        received: dict[str, list[str]] = {}  # recipient -> one line per conversation
        try:
            for conv in await self.store.team.open_of(actor):
                target = await self._target(conv, actor, user=user, group=group)
                if not target.ok or target.assignee is None:
                    if moved:
                        return Outcome(False, f"Moved {len(moved)}, then stopped: "
                                              f"{target.message}")
                    return target
                to = target.assignee
                await self.store.team.assign(conv.id, to, actor=actor, kind="handover",
                                       detail={"from": actor})
                note, promises = await self._handover_text(conv, actor, to)
                await self._note(conv, note)
                received.setdefault(to, []).append(promises)
                moved.append(conv.ref)
        finally:  # what did move is theirs now, even when the hand-over stopped half-way
            for to, lines in received.items():
                await self._tell_recipient(actor, to, lines)
        if not moved:
            return Outcome(True, "You have no open conversations to hand over.")
        who = f"<@{user}>" if user else escape_untrusted(group or "")
        return Outcome(True, f"Handed {len(moved)} conversation(s) over to {who}: "
                             f"{', '.join(moved)}.")

    async def _handover_text(self, conv: Conversation, actor: str, to: str
                             ) -> tuple[str, str]:
        """The thread note, and the conversation's line in the recipient's DM: the
        open promises (the last reply given, orders with a deadline)."""
        asked, replied = await self.store.team.last_texts(conv.id)
        lines = [f"🔄 *Shift hand-over* from <@{actor}> to <@{to}>"]
        lines.append(f"• Buyer's last question: “{escape_untrusted(_cut(asked))}”"
                     if asked else "• The buyer has not asked anything in text.")
        lines.append(f"• Last reply (what was promised): “{escape_untrusted(_cut(replied))}”"
                     if replied else "• No reply has been delivered yet.")
        orders = await self.open_orders(conv.id) if self.open_orders is not None else None
        if orders:
            lines.append(f"• Open orders: {orders}")
        dm = (f"• `{conv.ref}` — {escape_untrusted(conv.buyer_name)}: "
              + (f"last reply “{escape_untrusted(_cut(replied, 150))}”" if replied
                 else "no reply delivered yet")
              + (f"; open orders {orders}" if orders else ""))
        return "\n".join(lines), dm

    async def _tell_recipient(self, actor: str, to: str, lines: list[str]) -> None:
        """One DM per recipient listing everything handed to them."""
        shown = lines[:20]  # a DM stays readable (and under Slack's 40,000 characters)
        more = f"\n…and {len(lines) - len(shown)} more: see your Home tab." if lines[20:] else ""
        text = (f"🔄 <@{actor}> handed {len(lines)} conversation(s) over to you. "
                "Open promises:\n" + "\n".join(shown) + more)
        await self.store.ops.enqueue(f"@{to}", SlackWork.DM, payload={"user": to, "text": text})
        self.wake_slack(f"@{to}")

    async def _note(self, conv: Conversation, text: str) -> None:
        await self.store.ops.enqueue(conv.channel_ref, SlackWork.POST_THREAD_NOTE,
                                     conversation_id=conv.id, payload={"text": text})
        self.wake_slack(conv.channel_ref)


def _cut(text: str | None, limit: int = 300) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "…"
