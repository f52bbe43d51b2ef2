"""Outbound side: agents' replies and notes, and each reply's delivery state.

States of a reply: ``queued`` → ``sending`` (written before the API call) →
``delivered`` | ``failed`` | ``unknown`` (timed out: the marketplace is asked
before any resend). ``cancelled`` when the agent deleted it before it left. Before
``queued``, a reply may wait: ``held`` for a manager's approval (then ``queued`` or
``rejected``), ``unconfirmed`` for its author's answer to the reply guard (then
``queued``, ``held`` or ``cancelled``); the sender takes neither.
"""

from __future__ import annotations

import json
import uuid

from bot.slack_work import SlackWork
from bot.store.reply_delivery import ReplyDelivery
from bot.store.rows import Conversation, Message

PENDING_STATES = ("queued", "sending", "unknown")


class Replies(ReplyDelivery):
    """Recording agents' replies and notes, and what agents do to one before it
    leaves (edit, cancel, retry); the delivery side is :class:`ReplyDelivery`."""

    async def record(
        self, conv: Conversation, channel_id: str, ts: str, author: str, text: str, *, note: bool,
        files: list[dict[str, object]] | None = None, hold: str | None = None,
    ) -> int | None:
        """Persist a human's thread message once (per channel + ts). ``None`` if known.
        ``files``: Slack file references of the images it carries (sent after the text);
        ``hold``: ``held`` (a manager's approval, bot/actions/approval.py) or
        ``unconfirmed`` (its author's, bot/actions/reply_guard.py) before it may leave."""
        async with self.db.tx():
            mid = await self.db.insert(
                "INSERT OR IGNORE INTO messages (conversation_id, store_key, direction, "
                "channel_id, slack_ts, author, text, state, idempotency_key, created_at, "
                "attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                conv.id,
                conv.store_key,
                "note" if note else "out",
                channel_id,
                ts,
                author,
                text,
                "note" if note else hold or "queued",
                None if note else f"sb-{conv.store_key}-{channel_id}-{ts}",
                self.db.clock(),
                json.dumps({"files": files} if files else {}),
            )
            if mid is None:
                return None
            if not note:
                await self.db.run("UPDATE conversations SET unread = 0 WHERE id = ?", conv.id)
                await self.ops.refresh_card(conv.channel_ref, conv.id)
            await self.ops.sync_reaction(conv.channel_ref, mid)
            return mid

    async def record_from_bot(
        self,
        conv: Conversation,
        author: str,
        text: str,
        *,
        source: str,
        template_id: int | None = None,
        language: str | None = None,
        card: dict[str, str] | None = None,
        held: bool = False,
    ) -> int:
        """A reply composed in StoreBridge (a template, a modal) rather than typed in
        the thread: the bot posts a copy in the thread under the agent's name, and
        the copy carries the delivery reactions like a typed reply. ``card``: a product
        or order card sent after the text (``{"kind", "id", "label"}``); ``held``:
        waits for a manager's approval."""
        async with self.db.tx():
            mid = await self.db.insert(
                "INSERT INTO messages (conversation_id, store_key, direction, author, text, "
                "state, idempotency_key, source, template_id, attributes, created_at) "
                "VALUES (?, ?, 'out', ?, ?, ?, ?, ?, ?, ?, ?)",
                conv.id,
                conv.store_key,
                author,
                text,
                "held" if held else "queued",
                f"sb-{conv.store_key}-{source}-{uuid.uuid4().hex}",
                source,
                template_id,
                json.dumps({**({"language": language} if language else {}),
                            **({"card": card} if card else {})}),
                self.db.clock(),
            )
            assert mid is not None
            await self.db.run("UPDATE conversations SET unread = 0 WHERE id = ?", conv.id)
            await self.ops.enqueue(
                conv.channel_ref, SlackWork.POST_AGENT_COPY, conversation_id=conv.id, message_id=mid
            )
            await self.ops.sync_reaction(conv.channel_ref, mid)
            await self.ops.refresh_card(conv.channel_ref, conv.id)
            return mid

    async def requeue_refused(self, message_id: int, text: str, *, held: bool = False) -> bool:
        async with self.db.tx():
            if (
                await self.db.run(
                    "UPDATE messages SET state = ?, text = ?, parts = NULL, "
                    "parts_done = 0, attempts = 0, next_attempt_at = 0, error = NULL "
                    "WHERE id = ? AND state = 'refused'",
                    "held" if held else "queued",
                    text,
                    message_id,
                )
                != 1
            ):
                return False
            await self._transition(message_id, "error = NULL")
            return True

    async def requeue(self, message_id: int, *, text: str | None = None,
                      held: bool = False) -> Message | None:
        """Retry / Edit & resend of a failed reply (``held``: the new text waits for a
        manager's approval). ``None`` if it is not failed."""
        async with self.db.tx():
            msg = await self.get(message_id)
            if msg is None or msg.state != "failed":
                return None
            state = "held" if held else "queued"
            sets = f"state = '{state}', attempts = 0, next_attempt_at = 0"
            args: list[object] = []
            if text is not None:  # a new text starts over; a plain retry resumes its parts
                sets += ", text = ?, parts = NULL, parts_done = 0"
                args.append(text)
            msg = await self._transition(message_id, sets, *args)
            await self._notice(msg)
            return msg

    async def edit_before_sending(self, message_id: int, text: str, *,
                                  held: bool = False) -> bool:
        """The new words of a reply not sent yet (``held``: they now wait for approval)."""
        async with self.db.tx():
            if await self.db.run(
                "UPDATE messages SET text = ?, state = ? WHERE id = ? AND state = 'queued'",
                text, "held" if held else "queued", message_id,
            ) != 1:
                return False
            if held:
                await self._transition(message_id, "error = NULL")  # its reaction follows
            return True

    async def edit_unconfirmed(self, message_id: int, text: str) -> bool:
        """A reply waiting for its author's answer to the reply guard takes the edit."""
        return await self.db.run("UPDATE messages SET text = ? WHERE id = ? AND "
                                 "state = 'unconfirmed'", text, message_id) == 1

    async def cancel(self, message_id: int) -> bool:
        async with self.db.tx():
            msg = await self.get(message_id)
            if msg is None or msg.state not in ("queued", "failed", "held", "unconfirmed"):
                return False
            await self._transition(message_id, "state = 'cancelled'")
            return True

    async def set_shown_reaction(self, message_id: int, name: str | None) -> None:
        await self.db.run("UPDATE messages SET shown_reaction = ? WHERE id = ?", name, message_id)

    async def set_notice_ts(self, message_id: int, ts: str) -> None:
        await self.db.run("UPDATE messages SET notice_ts = ? WHERE id = ?", ts, message_id)

    async def since_buyer(self, conversation_id: int) -> tuple[float | None, int]:
        """(when the buyer last wrote, seller messages since then): what platform
        rules such as Lazada's five-message cap are judged on."""
        last_in = await self.db.value(
            "SELECT MAX(platform_at) FROM messages WHERE conversation_id = ? AND direction = 'in'",
            conversation_id,
        )
        since = await self.db.value(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND "
            "((direction = 'out' AND state = 'delivered') OR direction = 'seller') AND "
            "COALESCE(delivered_at, platform_at, created_at) > ?",
            conversation_id,
            last_in or 0,
        )
        return last_in, int(since or 0)
