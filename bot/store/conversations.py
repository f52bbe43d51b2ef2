"""Conversations and their messages: look-ups, and what Slack and agents change
on them. Claiming buyer messages is :class:`bot.store.inbound.InboundClaims`."""

from __future__ import annotations

import json

from bot.slack_work import SlackWork
from bot.store.inbound import InboundClaims
from bot.store.rows import Conversation, Message


class Conversations(InboundClaims):
    async def get(self, conversation_id: int) -> Conversation | None:
        row = await self.db.one("SELECT * FROM conversations WHERE id = ?", conversation_id)
        return Conversation.of(row) if row else None

    async def by_thread(self, channel_id: str, thread_ts: str) -> Conversation | None:
        row = await self.db.one(
            "SELECT * FROM conversations WHERE channel_id = ? AND thread_ts = ?",
            channel_id,
            thread_ts,
        )
        return Conversation.of(row) if row else None

    async def by_ref(self, ref: str) -> Conversation | None:
        row = await self.db.one("SELECT * FROM conversations WHERE ref = ?", ref.upper())
        return Conversation.of(row) if row else None

    async def message(self, message_id: int) -> Message | None:
        row = await self.db.one("SELECT * FROM messages WHERE id = ?", message_id)
        return Message.of(row) if row else None

    async def message_by_ts(self, channel_id: str, ts: str) -> Message | None:
        row = await self.db.one(
            "SELECT * FROM messages WHERE channel_id = ? AND slack_ts = ?", channel_id, ts
        )
        return Message.of(row) if row else None

    async def set_thread(self, conversation_id: int, channel_id: str, thread_ts: str) -> None:
        await self.db.run(
            "UPDATE conversations SET channel_id = ?, thread_ts = ? WHERE id = ?",
            channel_id,
            thread_ts,
            conversation_id,
        )

    async def set_message_ts(self, message_id: int, channel_id: str, ts: str) -> None:
        await self.db.run(
            "UPDATE messages SET channel_id = ?, slack_ts = ? WHERE id = ?",
            channel_id,
            ts,
            message_id,
        )

    async def set_translation(
        self, message_id: int, state: str, text: str | None = None, lang: str | None = None,
        by: str | None = None,
    ) -> None:
        """A buyer message's translation (state: pending | done | failed | none); the
        posted message is re-rendered to show it. ``by``: who corrected ``text``."""
        async with self.db.tx():
            if text is not None:
                await self.db.run(
                    "UPDATE messages SET translation_by = ? WHERE id = ?", by, message_id
                )
            await self.db.run(
                "UPDATE messages SET translation_state = ?, translation = "
                "COALESCE(?, translation), translation_lang = COALESCE(?, "
                "translation_lang) WHERE id = ?",
                state,
                text,
                lang,
                message_id,
            )
            await self.refresh_message(message_id)

    async def refresh_message(self, message_id: int) -> None:
        row = await self.db.one(
            "SELECT c.channel_ref FROM messages m JOIN conversations c ON "
            "c.id = m.conversation_id WHERE m.id = ?",
            message_id,
        )
        if row:
            await self.ops.enqueue(
                row[0], SlackWork.UPDATE_MESSAGE, message_id=message_id,
                dedupe_key=f"message:{message_id}",
            )

    async def set_translate_replies(self, conversation_id: int, on: bool) -> Conversation | None:
        async with self.db.tx():
            await self.db.run(
                "UPDATE conversations SET translate_replies = ? WHERE id = ?",
                int(on),
                conversation_id,
            )
            conv = await self.get(conversation_id)
            if conv:
                await self.ops.refresh_card(conv.channel_ref, conv.id)
            return conv

    async def set_status(
        self, conversation_id: int, status: str, actor: str | None = None
    ) -> Conversation | None:
        """Close or reopen; closing records the service time since it (re)opened."""
        async with self.db.tx():
            conv = await self.get(conversation_id)
            if conv is None or conv.status == status:
                return None
            now = self.db.clock()
            detail: dict[str, float | str] = {}
            if status == "closed":
                opened = (
                    await self.db.value(
                        "SELECT MAX(at) FROM conversation_events WHERE conversation_id = ? "
                        "AND kind = 'reopened'",
                        conversation_id,
                    )
                    or conv.created_at
                )
                detail["service_seconds"] = round(now - opened, 1)
                if conv.assignee:  # whose service time it is, even if reassigned later
                    detail["agent"] = conv.assignee
            await self.db.run(
                "INSERT INTO conversation_events (conversation_id, kind, actor, detail, "
                "at) VALUES (?, ?, ?, ?, ?)",
                conversation_id,
                "closed" if status == "closed" else "reopened",
                actor,
                json.dumps(detail),
                now,
            )
            await self.db.run(
                # Reopened while still waiting: the SLA tick looks at it again.
                "UPDATE conversations SET status = ?, closed_at = ?, sla_next_at = "
                "CASE WHEN ? = 'open' THEN waiting_since ELSE NULL END WHERE id = ?",
                status,
                now if status == "closed" else None,
                status,
                conversation_id,
            )
            await self.ops.refresh_card(conv.channel_ref, conversation_id)
            return await self.get(conversation_id)

    async def first_inbound_id(self, conversation_id: int) -> int | None:
        """The conversation's first buyer message (it opened the conversation)."""
        first = await self.db.value(
            "SELECT MIN(id) FROM messages WHERE conversation_id = ? AND direction = 'in'",
            conversation_id,
        )
        return int(first) if first is not None else None

    async def first_with_thread(self, buyer_id: str | None = None) -> Conversation | None:
        """The oldest conversation that has its Slack thread (of one buyer, if given)."""
        if buyer_id is None:
            row = await self.db.one(
                "SELECT * FROM conversations WHERE thread_ts IS NOT NULL ORDER BY id LIMIT 1"
            )
        else:
            row = await self.db.one(
                "SELECT * FROM conversations WHERE buyer_id = ? AND "
                "thread_ts IS NOT NULL ORDER BY id LIMIT 1",
                buyer_id,
            )
        return Conversation.of(row) if row else None

    async def set_translation_state(self, message_id: int, state: str) -> None:
        """Record a translation state that changes nothing on screen (no Slack update)."""
        await self.db.run(
            "UPDATE messages SET translation_state = ? WHERE id = ?", state, message_id
        )

    async def translation_todo(
        self, *, since: float, never_tried_since: float, team: str, limit: int
    ) -> list[int]:
        """Buyer texts whose translation is pending or failed, or was never tried
        although the buyer's language is not the team's."""
        # Two queries, each through its own index (messages_translation_todo, and
        # messages_untried by time): one OR across them walked every message.
        retry = await self.db.all(
            "SELECT id FROM messages WHERE direction = 'in' AND "
            "translation_state IN ('pending', 'failed') AND kind = 'text' AND "
            "created_at > ? ORDER BY id LIMIT ?",
            since,
            limit,
        )
        untried = await self.db.all(
            "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE m.direction = 'in' AND m.translation_state IS NULL AND m.created_at > ? "
            "AND m.created_at > ? AND m.kind = 'text' AND NOT "
            "(lower(COALESCE(c.buyer_language, '')) = ? OR "
            "lower(COALESCE(c.buyer_language, '')) LIKE ?)",
            since,
            never_tried_since,
            team,
            f"{team}-%",
        )
        return sorted({int(r[0]) for r in retry} | {int(r[0]) for r in untried})[:limit]
