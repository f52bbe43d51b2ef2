"""Outbound side: agents' replies and notes, and each reply's delivery state.

States of a reply: ``queued`` → ``sending`` (written before the API call) →
``delivered`` | ``failed`` | ``unknown`` (timed out: the marketplace is asked
before any resend). ``cancelled`` when the agent deleted it before it left.
"""

from __future__ import annotations

import json
import uuid

from bot.store.db import Database
from bot.store.rows import Conversation, Message
from bot.store.slack_ops import SlackOps

PENDING_STATES = ("queued", "sending", "unknown")


class Replies:
    def __init__(self, db: Database, ops: SlackOps) -> None:
        self.db = db
        self.ops = ops

    def record(self, conv: Conversation, channel_id: str, ts: str, author: str, text: str,
               *, note: bool) -> int | None:
        """Persist a human's thread message once (per channel + ts). ``None`` if known."""
        with self.db.tx():
            cur = self.db.run(
                "INSERT OR IGNORE INTO messages (conversation_id, store_key, direction, "
                "channel_id, slack_ts, author, text, state, idempotency_key, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                conv.id, conv.store_key, "note" if note else "out", channel_id, ts, author,
                text, "note" if note else "queued",
                None if note else f"sb-{conv.store_key}-{channel_id}-{ts}", self.db.clock())
            if cur.rowcount == 0:
                return None
            mid = int(cur.lastrowid)
            if not note:
                self.db.run("UPDATE conversations SET unread = 0 WHERE id = ?", conv.id)
                self.ops.refresh_card(conv.channel_ref, conv.id)
            self.ops.sync_reaction(conv.channel_ref, mid)
            return mid

    def record_from_bot(self, conv: Conversation, author: str, text: str, *, source: str,
                        template_id: int | None = None, language: str | None = None) -> int:
        """A reply composed in StoreBridge (a template, a modal) rather than typed in
        the thread: the bot posts a copy in the thread under the agent's name, and
        the copy carries the delivery reactions like a typed reply."""
        with self.db.tx():
            cur = self.db.run(
                "INSERT INTO messages (conversation_id, store_key, direction, author, text, "
                "state, idempotency_key, source, template_id, attributes, created_at) "
                "VALUES (?, ?, 'out', ?, ?, 'queued', ?, ?, ?, ?, ?)",
                conv.id, conv.store_key, author, text,
                f"sb-{conv.store_key}-{source}-{uuid.uuid4().hex}", source, template_id,
                json.dumps({"language": language} if language else {}), self.db.clock())
            mid = int(cur.lastrowid)
            self.db.run("UPDATE conversations SET unread = 0 WHERE id = ?", conv.id)
            self.ops.enqueue(conv.channel_ref, "post_agent_copy", conversation_id=conv.id,
                             message_id=mid)
            self.ops.sync_reaction(conv.channel_ref, mid)
            self.ops.refresh_card(conv.channel_ref, conv.id)
            return mid

    def ready_to_send(self, store_key: str) -> list[Message]:
        """Per conversation, its oldest pending reply if due: later replies of the
        same conversation wait behind it so the buyer reads them in order."""
        rows = self.db.all(
            "SELECT m.* FROM messages m WHERE m.direction = 'out' AND m.store_key = ? "
            "AND m.state IN ('queued', 'sending', 'unknown') AND m.id = ("
            "  SELECT MIN(id) FROM messages x WHERE x.conversation_id = m.conversation_id "
            "  AND x.direction = 'out' AND x.state IN ('queued', 'sending', 'unknown')) "
            "AND m.next_attempt_at <= ? ORDER BY m.id", store_key, self.db.clock())
        return [Message.of(r) for r in rows]

    def next_due_at(self, store_key: str) -> float | None:
        row = self.db.one("SELECT MIN(next_attempt_at) FROM messages WHERE direction = 'out' "
                          "AND store_key = ? AND state IN ('queued', 'unknown')", store_key)
        return row[0] if row else None

    def stores_with_pending(self) -> list[str]:
        return [r[0] for r in self.db.all(
            "SELECT DISTINCT store_key FROM messages WHERE direction = 'out' AND "
            "state IN ('queued', 'sending', 'unknown')")]

    def recover_after_crash(self) -> int:
        """A reply left ``sending`` may or may not have reached the buyer."""
        return self.db.run("UPDATE messages SET state = 'unknown', next_attempt_at = 0 "
                           "WHERE state = 'sending'").rowcount

    def _transition(self, message_id: int, sql_set: str, *args: object) -> Message:
        with self.db.tx():
            self.db.run(f"UPDATE messages SET {sql_set} WHERE id = ?", *args, message_id)
            msg = self.get(message_id)
            assert msg is not None
            conv = self.db.one("SELECT channel_ref FROM conversations WHERE id = ?",
                               msg.conversation_id)
            self.ops.sync_reaction(conv[0], message_id)
            return msg

    def get(self, message_id: int) -> Message | None:
        row = self.db.one("SELECT * FROM messages WHERE id = ?", message_id)
        return Message.of(row) if row else None

    def plan(self, message_id: int, sent_text: str, parts: list[str],
             translated_to: str | None = None) -> None:
        """What the buyer will get: the plain text, as the platform's messages
        (``translated_to``: the language it was translated into first)."""
        self.db.run("UPDATE messages SET sent_text = ?, parts = ?, parts_done = 0, "
                    "translation_lang = ? WHERE id = ?", sent_text,
                    json.dumps(parts, ensure_ascii=False), translated_to, message_id)

    def mark_sending(self, message_id: int) -> None:
        """Written before the marketplace call: a crash now means "outcome unknown"."""
        self.db.run("UPDATE messages SET state = 'sending', attempts = attempts + 1 "
                    "WHERE id = ?", message_id)

    def record_part(self, message_id: int, part: int, platform_message_id: str) -> None:
        """One message of a (possibly split) reply reached the buyer."""
        with self.db.tx():
            msg = self.get(message_id)
            assert msg is not None
            # Our own reply may already have come back as a seller-side push: it is
            # the same message, so drop the echo (and its not-yet-done Slack post).
            echo = self.db.one("SELECT id FROM messages WHERE store_key = ? AND "
                               "platform_message_id = ? AND direction = 'seller'",
                               msg.store_key, platform_message_id)
            if echo:
                self.db.run("UPDATE slack_ops SET state = 'done', error = 'echo of our reply' "
                            "WHERE message_id = ? AND state = 'pending'", echo[0])
                self.db.run("UPDATE messages SET platform_message_id = NULL WHERE id = ?",
                            echo[0])
                self.db.run("DELETE FROM messages WHERE id = ? AND slack_ts IS NULL", echo[0])
            self.db.run("INSERT OR IGNORE INTO sent_parts (store_key, platform_message_id, "
                        "message_id, part) VALUES (?, ?, ?, ?)", msg.store_key,
                        platform_message_id, message_id, part)
            self.db.run("UPDATE messages SET parts_done = MAX(parts_done, ?) WHERE id = ?",
                        part + 1, message_id)

    def mark_delivered(self, message_id: int, platform_message_id: str, at: float) -> Message:
        with self.db.tx():  # each part (and its echo) was recorded by record_part
            msg = self._transition(
                message_id, "state = 'delivered', platform_message_id = ?, delivered_at = ?, "
                "error = NULL", platform_message_id, at)
            conv = self.db.one("SELECT channel_ref, waiting_since FROM conversations "
                               "WHERE id = ?", msg.conversation_id)
            if conv[1] is not None:  # a waiting buyer got an answer: a response time
                self.db.run("INSERT INTO responses (conversation_id, store_key, agent, "
                            "waited_from, responded_at) VALUES (?, ?, ?, ?, ?)",
                            msg.conversation_id, msg.store_key, msg.author, conv[1], at)
            summary = (msg.sent_text or msg.text).replace("\n", " ")[:80]
            self.db.run("UPDATE conversations SET waiting_since = NULL, last_summary = ?, "
                        "last_at = ?, last_agent = COALESCE(?, last_agent) WHERE id = ?",
                        f"Agent: {summary}", at, msg.author, msg.conversation_id)
            self.ops.refresh_card(conv[0], msg.conversation_id)
            if msg.notice_ts:
                self._notice(msg)
            if msg.sent_text and msg.translation_lang:
                # Translated before sending: the thread shows what the buyer got.
                self.ops.enqueue(conv[0], "post_sent_translation",
                                 conversation_id=msg.conversation_id, message_id=msg.id)
            return msg

    def mark_refused(self, message_id: int, reason: str) -> Message:
        """A platform rule would be broken: nothing was sent. The author is told
        privately; editing the message in Slack sends the edited text."""
        with self.db.tx():
            msg = self._transition(message_id, "state = 'refused', error = ?", reason)
            conv = self.db.one("SELECT channel_ref, thread_ts FROM conversations WHERE id = ?",
                               msg.conversation_id)
            self.ops.enqueue(conv[0], "ephemeral", conversation_id=msg.conversation_id,
                             payload={"user": msg.author, "thread_ts": conv[1], "text":
                                      f"Not sent to the buyer: {reason} Edit your message to "
                                      "fix it and StoreBridge will send the edited text."})
            return msg

    def requeue_refused(self, message_id: int, text: str) -> bool:
        with self.db.tx():
            if self.db.run("UPDATE messages SET state = 'queued', text = ?, parts = NULL, "
                           "parts_done = 0, attempts = 0, next_attempt_at = 0, error = NULL "
                           "WHERE id = ? AND state = 'refused'", text, message_id).rowcount != 1:
                return False
            self._transition(message_id, "error = NULL")
            return True

    def mark_failed(self, message_id: int, error: str) -> Message:
        with self.db.tx():
            msg = self._transition(message_id, "state = 'failed', error = ?", error)
            self._notice(msg)
            return msg

    def mark_unknown(self, message_id: int, error: str, check_at: float) -> Message:
        return self._transition(message_id, "state = 'unknown', error = ?, next_attempt_at = ?",
                                error, check_at)

    def retry_later(self, message_id: int, error: str, at: float, *,
                    reset: bool = False) -> None:
        """A transient failure: stays queued (⏳), tried again at ``at``. Parts
        already sent stay sent. ``reset`` starts the attempt count again."""
        self.db.run("UPDATE messages SET state = 'queued', error = ?, next_attempt_at = ?, "
                    "attempts = CASE WHEN ? THEN 0 ELSE attempts END WHERE id = ?",
                    error, at, reset, message_id)

    def requeue(self, message_id: int, *, text: str | None = None) -> Message | None:
        """Retry / Edit & resend of a failed reply. ``None`` if it is not failed."""
        with self.db.tx():
            msg = self.get(message_id)
            if msg is None or msg.state != "failed":
                return None
            sets = "state = 'queued', attempts = 0, next_attempt_at = 0"
            args: list[object] = []
            if text is not None:  # a new text starts over; a plain retry resumes its parts
                sets += ", text = ?, parts = NULL, parts_done = 0"
                args.append(text)
            msg = self._transition(message_id, sets, *args)
            self._notice(msg)
            return msg

    def edit_before_sending(self, message_id: int, text: str) -> bool:
        return self.db.run("UPDATE messages SET text = ? WHERE id = ? AND state = 'queued'",
                           text, message_id).rowcount == 1

    def cancel(self, message_id: int) -> bool:
        with self.db.tx():
            msg = self.get(message_id)
            if msg is None or msg.state not in ("queued", "failed"):
                return False
            self._transition(message_id, "state = 'cancelled'")
            return True

    def set_shown_reaction(self, message_id: int, name: str | None) -> None:
        self.db.run("UPDATE messages SET shown_reaction = ? WHERE id = ?", name, message_id)

    def set_notice_ts(self, message_id: int, ts: str) -> None:
        self.db.run("UPDATE messages SET notice_ts = ? WHERE id = ?", ts, message_id)

    def _notice(self, msg: Message) -> None:
        conv = self.db.one("SELECT channel_ref FROM conversations WHERE id = ?",
                           msg.conversation_id)
        self.ops.enqueue(conv[0], "notice", conversation_id=msg.conversation_id,
                         message_id=msg.id, dedupe_key=f"notice:{msg.id}")

    def counts(self) -> dict[str, int]:
        return {r[0]: r[1] for r in self.db.all(
            "SELECT state, COUNT(*) FROM messages WHERE direction = 'out' GROUP BY state")}
