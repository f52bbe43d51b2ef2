"""Slack → marketplace: what a human's message in a conversation thread means.

Bolt-free on purpose: the Slack layer translates payloads and calls in here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.actions.images import file_refs, not_an_image
from bot.authz import Access
from bot.config import Settings
from bot.slack_work import SlackWork
from bot.store import Conversation, Message, Store

log = logging.getLogger(__name__)

NOTE_PREFIX = re.compile(r"^\s*(note:|//)", re.IGNORECASE)
HUMAN_SUBTYPES = {None, "thread_broadcast", "file_share"}


class ApprovalHook(Protocol):
    """Holds risky replies for a manager (the actions feature's gate)."""

    def reason(self, store_key: str, user: str, text: str) -> str | None: ...

    async def held(self, conv: Conversation, message_id: int, user: str, text: str,
                   reason: str) -> None: ...


class ReplyGuardHook(Protocol):
    """Asks a reply's author before a likely slip goes out (the actions feature's)."""

    async def reason(self, conv: Conversation, user: str, text: str) -> str | None: ...

    async def ask(self, conv: Conversation, message_id: int, user: str, text: str,
                  reason: str) -> None: ...

    async def edited(self, msg: Message, conv: Conversation, user: str, text: str) -> str: ...


def is_note(text: str) -> bool:
    return bool(NOTE_PREFIX.match(text))


@dataclass(frozen=True)
class Queued:
    message_id: int
    reason: str | None  # what made it wait for an approver (bot/actions/approval.py)

    @property
    def held(self) -> bool:
        return self.reason is not None


#: Writes the reply row (``held``: in state held rather than queued); its id, or None
#: when nothing was written (a duplicate, or a state that no longer allows it).
Record = Callable[[bool], Awaitable["int | None"]]


async def id_if(done: Awaitable[bool], message_id: int) -> int | None:
    """A ``Record`` from a transition that says only whether it happened."""
    return message_id if await done else None


class Relay:
    def __init__(self, store: Store, settings: Settings, *,
                 wake_slack: Callable[[str], None], wake_sender: Callable[[str], None]) -> None:
        self.store = store
        self.settings = settings
        self.access = Access(settings)
        self.wake_slack = wake_slack
        self.wake_sender = wake_sender
        #: The approval gate and the reply guard, when a feature offers them
        #: (bot/actions/approval.py, bot/actions/reply_guard.py).
        self.approval: ApprovalHook | None = None
        self.guard: ReplyGuardHook | None = None

    def may_reply(self, user: str, store_key: str) -> bool:
        """The one rule (bot/authz.py): members and managers of the store's group,
        and admins; a store without a group accepts anyone in its channel."""
        return self.access.may_act(user, store_key)

    async def on_message(self, event: dict[str, Any], event_id: str | None) -> str:
        """Handle one message event; returns what was done (for logs and tests)."""
        subtype = event.get("subtype")
        if subtype == "message_changed":
            return await self._on_edit(event)
        if subtype == "message_deleted":
            return await self._on_delete(event)
        if event.get("bot_id") or subtype not in HUMAN_SUBTYPES or not event.get("user"):
            return "ignored: not a human message"
        channel, ts, thread_ts = event.get("channel"), event.get("ts"), event.get("thread_ts")
        if not (channel and ts and thread_ts) or thread_ts == ts:
            return "ignored: not a thread reply"
        conv = await self.store.conversations.by_thread(channel, thread_ts)
        if conv is None:
            return "ignored: not a conversation thread"
        # The event id is claimed in the same transaction as the reply it carries: a
        # crash in between must leave both undone, so Slack's retry is not dropped.
        # (Workers woken inside it start after the commit: see Database.defer.)
        async with self.store.database.tx():
            return await self._record(event, event_id, conv)

    async def _record(self, event: dict[str, Any], event_id: str | None,
                      conv: Conversation) -> str:
        channel, ts, subtype = event["channel"], event["ts"], event.get("subtype")
        if event_id and not await self.store.books.claim_event(event_id):
            return "duplicate event"
        user, text = event["user"], event.get("text") or ""
        if is_note(text):
            if await self.store.replies.record(conv, channel, ts, user, text, note=True) is None:
                return "duplicate message"
            self.wake_slack(conv.channel_ref)
            return "note"
        if not self.may_reply(user, conv.store_key):
            await self.tell(conv, user,
                            "You are not an agent of this store's team, so your message "
                            "was not sent to the buyer. Start it with `note:` to keep it "
                            "internal.")
            return "refused: not an agent of this store"
        images = await self._images(conv, user, event)
        if not text.strip() and not images:
            return "refused: no image" if subtype == "file_share" else "ignored: no text"
        # The file references are on the row before anything is sent: a crash or a
        # restart finds them there (the sender downloads each image when it sends it).
        # The guard asks the author first; the approval gate looks once they answer.
        guard = self.guard
        if guard is not None and text.strip():
            slip = await guard.reason(conv, user, text)
            if slip is not None:
                return await self._ask_author(guard, conv, event, images, slip)
        queued = await self.queue_reply(conv, user, text, lambda held: self.store.replies.record(
            conv, channel, ts, user, text, note=False, files=images,
            hold="held" if held else None))
        if queued is None:
            return "duplicate message"
        await self.store.books.set_current(user, conv.id)
        return "held for approval" if queued.held else "queued"

    async def _images(self, conv: Conversation, user: str, event: dict[str, Any]
                      ) -> list[dict[str, Any]]:
        """The images a shared-file message carries; the author is told of any other file."""
        images = []
        refs = file_refs(event.get("files")) if event.get("subtype") == "file_share" else []
        for ref in refs:
            refused = not_an_image(ref)
            if refused:
                await self.tell(conv, user, refused)
            else:
                images.append(ref)
        return images

    async def _ask_author(self, guard: ReplyGuardHook, conv: Conversation,
                          event: dict[str, Any], images: list[dict[str, Any]], slip: str
                          ) -> str:
        """Recorded ``unconfirmed``: the reply guard asks its author first."""
        user, text = event["user"], event.get("text") or ""
        mid = await self.store.replies.record(conv, event["channel"], event["ts"], user, text,
                                              note=False, files=images, hold="unconfirmed")
        if mid is None:
            return "duplicate message"
        await self.store.books.set_current(user, conv.id)
        self.wake_slack(conv.channel_ref)
        await guard.ask(conv, mid, user, text, slip)
        return "held for the author's confirmation"

    async def queue_reply(self, conv: Conversation, user: str, text: str,
                          record: Record) -> Queued | None:
        """The one way an agent's words go to a buyer. Every path records its reply
        through here — a thread reply, an edit before sending or after a refusal, Edit
        & resend, a template (the modal, the shortcut, ``/reply``), a card with a
        message, a reply its author sends anyway past the reply guard — so the
        approval gate holds them all alike: ``user`` is who wrote
        ``text``, and if it must wait the row is written ``held`` and the approvers
        are asked; otherwise the sender is woken. None when ``record`` wrote nothing."""
        approval = self.approval
        reason = approval.reason(conv.store_key, user, text) if approval is not None else None
        mid = await record(reason is not None)
        if mid is None:
            return None
        self.wake_slack(conv.channel_ref)
        if approval is not None and reason is not None:
            await approval.held(conv, mid, user, text, reason)
        else:
            self.wake_sender(conv.store_key)
        return Queued(mid, reason)

    async def _on_edit(self, event: dict[str, Any]) -> str:
        new, old = event.get("message") or {}, event.get("previous_message") or {}
        text = new.get("text") or ""
        if new.get("bot_id") or text == (old.get("text") or ""):
            return "ignored: not a text edit"
        msg = await self.store.conversations.message_by_ts(event.get("channel", ""), new.get("ts",
                                                                                             ""))
        if msg is None or msg.direction not in ("out", "note"):
            return "ignored: not a reply"
        conv = await self.store.conversations.get(msg.conversation_id)
        assert conv is not None
        if msg.direction == "note":
            return "ignored: note edited"
        editor = new.get("user") or msg.author or ""
        if msg.state == "unconfirmed" and self.guard is not None:
            return await self.guard.edited(msg, conv, editor, text)
        return await self._requeue_edited(conv, msg, msg.author or new.get("user") or "", text,
                                          editor)

    async def _requeue_edited(self, conv: Conversation, msg: Message, author: str, text: str,
                              editor: str) -> str:
        """An edit goes to the buyer only if the reply has not left (or was refused)."""
        queued = await self.queue_reply(conv, author, text, lambda held: id_if(
            self.store.replies.edit_before_sending(msg.id, text, held=held), msg.id))
        if queued is not None:
            return "edited before sending: held for approval" if queued.held else (
                "edited before sending")
        queued = await self.queue_reply(conv, author, text, lambda held: id_if(
            self.store.replies.requeue_refused(msg.id, text, held=held), msg.id))
        if queued is not None:
            return "edited after a refusal: " + (
                "held for approval" if queued.held else "sending the new text")
        await self.tell(conv, editor, _AFTER_SEND.get(msg.state, _AFTER_SEND["delivered"]))
        return "told: edit not relayed"

    async def _on_delete(self, event: dict[str, Any]) -> str:
        old = event.get("previous_message") or {}
        msg = await self.store.conversations.message_by_ts(event.get("channel", ""),
                                                     event.get("deleted_ts", ""))
        if msg is None or msg.direction != "out":
            return "ignored: not a reply"
        conv = await self.store.conversations.get(msg.conversation_id)
        assert conv is not None
        user = old.get("user") or msg.author or ""
        if await self.store.replies.cancel(msg.id):
            self.wake_slack(conv.channel_ref)
            await self.tell(conv, user, "You deleted your reply before it was sent; the buyer will "
                      "not receive it.")
            return "cancelled"
        await self.tell(conv, user,
                        "You deleted your reply in Slack, but the buyer already has it: "
                  "their copy is unchanged.")
        return "told: deletion not relayed"

    async def tell(self, conv: Conversation, user: str, text: str) -> None:
        """A private word to one person, in the conversation's thread."""
        await self.store.ops.enqueue(conv.channel_ref, SlackWork.EPHEMERAL, conversation_id=conv.id,
                               payload={"user": user, "text": text,
                                        "thread_ts": conv.thread_ts})
        self.wake_slack(conv.channel_ref)

    # -- delivery buttons ------------------------------------------------------
    async def retry(self, message_id: int, user: str, text: str | None = None) -> str:
        msg = await self.store.replies.get(message_id)
        if msg is None:
            return "That reply no longer exists."
        conv = await self.store.conversations.get(msg.conversation_id)
        if conv is None or not self.may_reply(user, conv.store_key):
            return "Only agents of this store's team can resend replies."
        if text is not None:  # new words: through the gate like any reply
            async def requeue(held: bool) -> int | None:
                again = await self.store.replies.requeue(message_id, text=text, held=held)
                return again.id if again else None
            if await self.queue_reply(conv, user, text, requeue) is None:
                return f"Nothing to retry: the reply is {msg.state}."
            return "ok"
        if await self.store.replies.requeue(message_id) is None:
            return f"Nothing to retry: the reply is {msg.state}."
        self.wake_slack(conv.channel_ref)
        self.wake_sender(conv.store_key)
        return "ok"


_AFTER_SEND = {
    "delivered": "You edited a reply the buyer already received; edits are not relayed, so "
                 "the buyer's copy is unchanged. Send a new message to correct it.",
    "sending": "Your reply was already on its way, so the edit was not relayed. Send a new "
               "message to correct it.",
    "unknown": "Your reply may already have reached the buyer, so the edit was not relayed.",
    "failed": "This reply was not delivered. Use “Edit & resend” under it to send the "
              "corrected text.",
    "held": "This reply is awaiting a manager's approval, so the edit was not applied: "
            "the managers approve what they saw. Delete it and post the new text instead.",
    "rejected": "A manager rejected this reply, so it was not sent; post a new message.",
}
