"""The sender's side of replies: what is due, each attempt's outcome, and the
state moves every reply goes through (its reaction and notice follow them).

See :mod:`bot.store.replies` for the states.
"""

from __future__ import annotations

import json

from bot.slack_work import SlackWork
from bot.store.db import Database
from bot.store.rows import Message
from bot.store.slack_ops import SlackOps


class ReplyDelivery:
    def __init__(self, db: Database, ops: SlackOps) -> None:
        self.db = db
        self.ops = ops

    async def get(self, message_id: int) -> Message | None:
        row = await self.db.one("SELECT * FROM messages WHERE id = ?", message_id)
        return Message.of(row) if row else None

    async def _transition(self, message_id: int, sql_set: str, *args: object) -> Message:
        async with self.db.tx():
            await self.db.run(f"UPDATE messages SET {sql_set} WHERE id = ?", *args, message_id)
            msg = await self.get(message_id)
            assert msg is not None
            conv = await self.db.existing(
                "SELECT channel_ref FROM conversations WHERE id = ?", msg.conversation_id
            )
            await self.ops.sync_reaction(conv[0], message_id)
            return msg

    async def _notice(self, msg: Message) -> None:
        conv = await self.db.existing(
            "SELECT channel_ref FROM conversations WHERE id = ?", msg.conversation_id
        )
        await self.ops.enqueue(
            conv[0],
            SlackWork.NOTICE,
            conversation_id=msg.conversation_id,
            message_id=msg.id,
            dedupe_key=f"notice:{msg.id}",
        )

    async def ready_to_send(self, store_key: str) -> list[Message]:
        """Per conversation, its oldest pending reply if due: later replies of the
        same conversation wait behind it so the buyer reads them in order."""
        rows = await self.db.all(
            "SELECT m.* FROM messages m WHERE m.direction = 'out' AND m.store_key = ? "
            "AND m.state IN ('queued', 'sending', 'unknown') AND m.id = ("
            "  SELECT MIN(id) FROM messages x WHERE x.conversation_id = m.conversation_id "
            "  AND x.direction = 'out' AND x.state IN ('queued', 'sending', 'unknown')) "
            "AND m.next_attempt_at <= ? ORDER BY m.id",
            store_key,
            self.db.clock(),
        )
        return [Message.of(r) for r in rows]

    async def next_due_at(self, store_key: str) -> float | None:
        row = await self.db.one(
            "SELECT MIN(next_attempt_at) FROM messages WHERE direction = 'out' "
            "AND store_key = ? AND state IN ('queued', 'unknown')",
            store_key,
        )
        return row[0] if row else None

    async def stores_with_pending(self) -> list[str]:
        return [
            r[0]
            for r in await self.db.all(
                # One probe of messages_outbox (store_key, state) per store: the
                # planner would otherwise walk every reply ever sent.
                "SELECT key FROM stores s WHERE EXISTS (SELECT 1 FROM messages m WHERE "
                "m.store_key = s.key AND m.direction = 'out' AND "
                "m.state IN ('queued', 'sending', 'unknown'))"
            )
        ]

    async def recover_after_crash(self) -> int:
        """A reply left ``sending`` may or may not have reached the buyer."""
        return await self.db.run(
            "UPDATE messages SET state = 'unknown', next_attempt_at = 0 "
            "WHERE direction = 'out' AND state NOT IN ('delivered', 'cancelled') "
            "AND state = 'sending'"  # the first two terms select messages_replies_open
        )

    async def recover_store(self, store_key: str) -> int:
        """The same, for one store whose sender this worker has just taken over."""
        return await self.db.run(
            "UPDATE messages SET state = 'unknown', next_attempt_at = 0 "
            "WHERE store_key = ? AND direction = 'out' AND "
            "state = 'sending'",
            store_key,
        )

    async def plan(
        self, message_id: int, sent_text: str, parts: list[str], translated_to: str | None = None
    ) -> None:
        """What the buyer will get: the plain text, as the platform's messages
        (``translated_to``: the language it was translated into first)."""
        await self.db.run(
            "UPDATE messages SET sent_text = ?, parts = ?, parts_done = 0, "
            "translation_lang = ? WHERE id = ?",
            sent_text,
            json.dumps(parts, ensure_ascii=False),
            translated_to,
            message_id,
        )

    async def mark_sending(self, message_id: int) -> None:
        """Written before the marketplace call: a crash now means "outcome unknown"."""
        await self.db.run(
            "UPDATE messages SET state = 'sending', attempts = attempts + 1 WHERE id = ?",
            message_id,
        )

    async def record_part(self, message_id: int, part: int, platform_message_id: str) -> None:
        """One message of a (possibly split) reply reached the buyer."""
        async with self.db.tx():
            msg = await self.get(message_id)
            assert msg is not None
            await self.db.serialize(f"echo:{msg.store_key}")
            # Our own reply may already have come back as a seller-side push: it is
            # the same message, so drop the echo (and its not-yet-done Slack post).
            echo = await self.db.one(
                "SELECT id FROM messages WHERE store_key = ? AND "
                "platform_message_id = ? AND direction = 'seller'",
                msg.store_key,
                platform_message_id,
            )
            if echo:
                await self.db.run(
                    "UPDATE slack_ops SET state = 'done', error = 'echo of our reply' "
                    "WHERE message_id = ? AND state = 'pending'",
                    echo[0],
                )
                await self.db.run(
                    "UPDATE messages SET platform_message_id = NULL WHERE id = ?", echo[0]
                )
                await self.db.run("DELETE FROM messages WHERE id = ? AND slack_ts IS NULL", echo[0])
            await self.db.run(
                "INSERT OR IGNORE INTO sent_parts (store_key, platform_message_id, "
                "message_id, part) VALUES (?, ?, ?, ?)",
                msg.store_key,
                platform_message_id,
                message_id,
                part,
            )
            await self.db.run(
                "UPDATE messages SET parts_done = GREATEST2(parts_done, ?) WHERE id = ?",
                part + 1,
                message_id,
            )

    async def mark_delivered(self, message_id: int, platform_message_id: str, at: float) -> Message:
        async with self.db.tx():  # each part (and its echo) was recorded by record_part
            msg = await self._transition(
                message_id,
                "state = 'delivered', platform_message_id = ?, delivered_at = ?, error = NULL",
                platform_message_id,
                at,
            )
            conv = await self.db.existing(
                "SELECT channel_ref, waiting_since FROM conversations WHERE id = ?",
                msg.conversation_id,
            )
            if conv[1] is not None:  # a waiting buyer got an answer: a response time
                await self.db.run(
                    "INSERT INTO responses (conversation_id, store_key, agent, "
                    "waited_from, responded_at) VALUES (?, ?, ?, ?, ?)",
                    msg.conversation_id,
                    msg.store_key,
                    msg.author,
                    conv[1],
                    at,
                )
            summary = (msg.sent_text or msg.text).replace("\n", " ")[:80]
            await self.db.run(
                "UPDATE conversations SET waiting_since = NULL, sla_next_at = NULL, "
                "last_summary = ?, "
                "last_at = ?, last_agent = COALESCE(?, last_agent) WHERE id = ?",
                f"Agent: {summary}",
                at,
                msg.author,
                msg.conversation_id,
            )
            await self.ops.refresh_card(conv[0], msg.conversation_id)
            if msg.notice_ts:
                await self._notice(msg)
            if msg.sent_text and msg.translation_lang:
                # Translated before sending: the thread shows what the buyer got.
                await self.ops.enqueue(
                    conv[0],
                    SlackWork.POST_SENT_TRANSLATION,
                    conversation_id=msg.conversation_id,
                    message_id=msg.id,
                )
            return msg

    async def mark_refused(self, message_id: int, reason: str, *,
                           hint: str = "Edit your message to fix it and StoreBridge will "
                           "send the edited text.") -> Message:
        """A platform rule would be broken: nothing was sent. The author is told
        privately; editing the message in Slack sends the edited text."""
        async with self.db.tx():
            msg = await self._transition(message_id, "state = 'refused', error = ?", reason)
            conv = await self.db.existing(
                "SELECT channel_ref, thread_ts FROM conversations WHERE id = ?", msg.conversation_id
            )
            await self.ops.enqueue(
                conv[0],
                SlackWork.EPHEMERAL,
                conversation_id=msg.conversation_id,
                payload={
                    "user": msg.author,
                    "thread_ts": conv[1],
                    "text": f"Not sent to the buyer: {reason} {hint}",
                },
            )
            return msg

    async def mark_failed(self, message_id: int, error: str) -> Message:
        async with self.db.tx():
            msg = await self._transition(message_id, "state = 'failed', error = ?", error)
            await self._notice(msg)
            return msg

    async def mark_unknown(self, message_id: int, error: str, check_at: float) -> Message:
        return await self._transition(
            message_id, "state = 'unknown', error = ?, next_attempt_at = ?", error, check_at
        )

    async def retry_later(
        self, message_id: int, error: str, at: float, *, reset: bool = False
    ) -> None:
        """A transient failure: stays queued (⏳), tried again at ``at``. Parts
        already sent stay sent. ``reset`` starts the attempt count again."""
        await self.db.run(
            "UPDATE messages SET state = 'queued', error = ?, next_attempt_at = ?, "
            "attempts = CASE WHEN ? THEN 0 ELSE attempts END WHERE id = ?",
            error,
            at,
            reset,
            message_id,
        )

    async def first_part_id(self, message_id: int) -> str | None:
        """The platform id of a reply's first part (the reply's id on the platform)."""
        first = await self.db.value(
            "SELECT platform_message_id FROM sent_parts WHERE message_id = ? ORDER BY part LIMIT 1",
            message_id,
        )
        return str(first) if first is not None else None

    async def counts(self) -> dict[str, int]:
        """Replies not settled yet (queued, sending, unknown, failed, refused), per
        state: /healthz asks on every probe, so it reads the messages_replies_open
        partial index, never the delivered history."""
        return {
            r[0]: r[1]
            for r in await self.db.all(
                "SELECT state, COUNT(*) FROM messages WHERE direction = 'out' AND "
                "state NOT IN ('delivered', 'cancelled') GROUP BY state"
            )
        }
