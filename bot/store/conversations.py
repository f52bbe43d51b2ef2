"""Inbound side: buyer messages claimed once, conversations created once."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.store.db import Database
from bot.store.rows import Conversation, Message
from bot.store.slack_ops import SlackOps
from connectors.models import InboundMessage

REF_PREFIX = {"shopee": "SP", "lazada": "LZ", "tiktok": "TT"}
#: A seller-side message seen while one of our replies is still being sent may be
#: that reply's echo; its post waits this long so the send can claim it by id.
ECHO_GRACE = 10.0


@dataclass(frozen=True)
class Claim:
    conversation_id: int
    message_id: int | None  # None: already known (a duplicate push or pull)
    new_conversation: bool
    reopened: bool = False  # a buyer's message reopened a closed conversation


class Conversations:
    def __init__(self, db: Database, ops: SlackOps) -> None:
        self.db = db
        self.ops = ops

    def get(self, conversation_id: int) -> Conversation | None:
        row = self.db.one("SELECT * FROM conversations WHERE id = ?", conversation_id)
        return Conversation.of(row) if row else None

    def by_thread(self, channel_id: str, thread_ts: str) -> Conversation | None:
        row = self.db.one("SELECT * FROM conversations WHERE channel_id = ? AND thread_ts = ?",
                          channel_id, thread_ts)
        return Conversation.of(row) if row else None

    def by_ref(self, ref: str) -> Conversation | None:
        row = self.db.one("SELECT * FROM conversations WHERE ref = ?", ref.upper())
        return Conversation.of(row) if row else None

    def message(self, message_id: int) -> Message | None:
        row = self.db.one("SELECT * FROM messages WHERE id = ?", message_id)
        return Message.of(row) if row else None

    def message_by_ts(self, channel_id: str, ts: str) -> Message | None:
        row = self.db.one("SELECT * FROM messages WHERE channel_id = ? AND slack_ts = ?",
                          channel_id, ts)
        return Message.of(row) if row else None

    def claim_inbound(self, store_key: str, platform: str, site: str, channel_ref: str,
                      msg: InboundMessage, summary: str) -> Claim:
        """Store one pushed or pulled message exactly once and schedule its Slack posts,
        in one transaction with the conversation it belongs to."""
        with self.db.tx():
            conv, new = self._conversation_for(store_key, platform, site, channel_ref, msg)
            known = self.db.one(
                "SELECT 1 FROM messages WHERE store_key = ? AND platform_message_id = ? UNION "
                "SELECT 1 FROM sent_parts WHERE store_key = ? AND platform_message_id = ?",
                store_key, msg.message_id, store_key, msg.message_id)
            if known:
                return Claim(conv, None, False)
            now = self.db.clock()
            at = msg.sent_at.timestamp()
            delay = 0.0
            reopened = False
            if msg.from_seller:
                direction, state = "seller", "received"
                if self.db.one("SELECT 1 FROM messages WHERE conversation_id = ? AND "
                               "direction = 'out' AND state IN ('sending', 'unknown')", conv):
                    delay = ECHO_GRACE
                self.db.run("UPDATE conversations SET unread = 0, waiting_since = NULL, "
                            "last_summary = ?, last_at = ? WHERE id = ?",
                            f"Seller: {summary}", at, conv)
            else:
                direction, state = "in", "received"
                reopened = self.db.one("SELECT status = 'closed' FROM conversations WHERE id = ?",
                                       conv)[0] == 1
                if reopened:
                    self.db.run("INSERT INTO conversation_events (conversation_id, kind, detail, "
                                "at) VALUES (?, 'reopened', '{\"by\": \"buyer\"}', ?)",
                                conv, now)
                self.db.run(
                    "UPDATE conversations SET unread = unread + 1, last_summary = ?, "
                    "last_at = ?, waiting_since = COALESCE(waiting_since, ?), "
                    "status = 'open', closed_at = NULL, buyer_name = COALESCE(NULLIF(?, ''), "
                    "buyer_name), "
                    "buyer_avatar = COALESCE(?, buyer_avatar), "
                    "buyer_language = COALESCE(?, buyer_language) WHERE id = ?",
                    summary, at, at, msg.buyer.name, msg.buyer.avatar_url, msg.language, conv)
            cur = self.db.run(
                "INSERT INTO messages (conversation_id, store_key, direction, "
                "platform_message_id, kind, text, attributes, raw, state, created_at, "
                "platform_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                conv, store_key, direction, msg.message_id, str(msg.kind), msg.text,
                json.dumps(msg.attributes, ensure_ascii=False, default=str),
                json.dumps(msg.raw, ensure_ascii=False, default=str), state, now, at)
            mid = int(cur.lastrowid)
            self.ops.enqueue(channel_ref, "post_message", conversation_id=conv, message_id=mid,
                             delay=delay)
            self.ops.refresh_card(channel_ref, conv)
            return Claim(conv, mid, new, not msg.from_seller and reopened)

    def _conversation_for(self, store_key: str, platform: str, site: str, channel_ref: str,
                          msg: InboundMessage) -> tuple[int, bool]:
        row = self.db.one("SELECT id FROM conversations WHERE store_key = ? AND "
                          "platform_conversation_id = ?", store_key, msg.conversation_id)
        if row:
            return int(row[0]), False
        now = self.db.clock()
        cur = self.db.run(
            "INSERT INTO conversations (store_key, platform_conversation_id, buyer_id, "
            "buyer_name, buyer_avatar, buyer_language, channel_ref, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            store_key, msg.conversation_id, msg.buyer.id,
            # Some pushes (TikTok) carry no nickname; a later pull may bring it.
            msg.buyer.name or f"Buyer {str(msg.buyer.id)[-6:]}",
            msg.buyer.avatar_url, msg.language, channel_ref, now)
        conv = int(cur.lastrowid)
        ref = f"{REF_PREFIX.get(platform, platform[:2].upper())}-{site}-{conv:04d}"
        self.db.run("UPDATE conversations SET ref = ? WHERE id = ?", ref, conv)
        self.ops.enqueue(channel_ref, "post_root", conversation_id=conv)
        return conv, True

    def set_thread(self, conversation_id: int, channel_id: str, thread_ts: str) -> None:
        self.db.run("UPDATE conversations SET channel_id = ?, thread_ts = ? WHERE id = ?",
                    channel_id, thread_ts, conversation_id)

    def set_message_ts(self, message_id: int, channel_id: str, ts: str) -> None:
        self.db.run("UPDATE messages SET channel_id = ?, slack_ts = ? WHERE id = ?",
                    channel_id, ts, message_id)

    def set_translation(self, message_id: int, state: str, text: str | None = None,
                        lang: str | None = None) -> None:
        """A buyer message's translation (state: pending | done | failed | none); the
        posted message is re-rendered to show it."""
        with self.db.tx():
            self.db.run("UPDATE messages SET translation_state = ?, translation = "
                        "COALESCE(?, translation), translation_lang = COALESCE(?, "
                        "translation_lang) WHERE id = ?", state, text, lang, message_id)
            self.refresh_message(message_id)

    def refresh_message(self, message_id: int) -> None:
        row = self.db.one("SELECT c.channel_ref FROM messages m JOIN conversations c ON "
                          "c.id = m.conversation_id WHERE m.id = ?", message_id)
        if row:
            self.ops.enqueue(row[0], "update_message", message_id=message_id,
                             dedupe_key=f"message:{message_id}")

    def set_translate_replies(self, conversation_id: int, on: bool) -> Conversation | None:
        with self.db.tx():
            self.db.run("UPDATE conversations SET translate_replies = ? WHERE id = ?",
                        int(on), conversation_id)
            conv = self.get(conversation_id)
            if conv:
                self.ops.refresh_card(conv.channel_ref, conv.id)
            return conv

    def set_status(self, conversation_id: int, status: str,
                   actor: str | None = None) -> Conversation | None:
        """Close or reopen; closing records the service time since it (re)opened."""
        with self.db.tx():
            conv = self.get(conversation_id)
            if conv is None or conv.status == status:
                return None
            now = self.db.clock()
            detail: dict[str, float] = {}
            if status == "closed":
                opened = self.db.one("SELECT MAX(at) FROM conversation_events WHERE "
                                     "conversation_id = ? AND kind = 'reopened'",
                                     conversation_id)[0] or conv.created_at
                detail["service_seconds"] = round(now - opened, 1)
            self.db.run("INSERT INTO conversation_events (conversation_id, kind, actor, detail, "
                        "at) VALUES (?, ?, ?, ?, ?)", conversation_id,
                        "closed" if status == "closed" else "reopened", actor,
                        json.dumps(detail), now)
            self.db.run("UPDATE conversations SET status = ?, closed_at = ? WHERE id = ?",
                        status, now if status == "closed" else None, conversation_id)
            self.ops.refresh_card(conv.channel_ref, conversation_id)
            return self.get(conversation_id)
