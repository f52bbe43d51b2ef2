"""Inbound side: buyer messages claimed once, conversations created once."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.slack_work import SlackWork
from bot.store.catchups import CatchUps
from bot.store.db import Database
from bot.store.rows import Message
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


class InboundClaims:
    def __init__(self, db: Database, ops: SlackOps, catchups: CatchUps | None = None) -> None:
        self.db = db
        self.ops = ops
        self.catchups = catchups or CatchUps(db, ops)

    async def claim_inbound(
        self,
        store_key: str,
        platform: str,
        site: str,
        channel_ref: str,
        msg: InboundMessage,
        summary: str,
    ) -> Claim:
        """Store one pushed or pulled message exactly once and schedule its Slack posts,
        in one transaction with the conversation it belongs to."""
        async with self.db.tx():
            holding = await self.catchups.lock_if_catching_up(store_key)
            conv, new, status = await self._conversation_for(
                store_key, platform, site, channel_ref, msg
            )
            if msg.from_seller:  # maybe the echo of a reply being recorded right now
                await self.db.serialize(f"echo:{store_key}")
            known = await self.db.one(
                "SELECT 1 FROM messages WHERE store_key = ? AND platform_message_id = ? UNION "
                "SELECT 1 FROM sent_parts WHERE store_key = ? AND platform_message_id = ?",
                store_key,
                msg.message_id,
                store_key,
                msg.message_id,
            )
            if known:
                return Claim(conv, None, False)
            now = self.db.clock()
            at = msg.sent_at.timestamp()
            delay = 0.0
            reopened = False
            if msg.from_seller:
                direction, state = "seller", "received"
                if await self.db.one(
                    "SELECT 1 FROM messages WHERE conversation_id = ? AND "
                    "direction = 'out' AND state IN ('sending', 'unknown')",
                    conv,
                ):
                    delay = ECHO_GRACE
                if delay:
                    # Probably the echo of our reply in flight, arrived before the sender
                    # recorded it: the delivery ends the wait and records the response
                    # time; ending it here lost that row (a PostgreSQL-timing flake).
                    await self.db.run(
                        "UPDATE conversations SET unread = 0, last_summary = ?, last_at = ? "
                        "WHERE id = ?", f"Seller: {summary}", at, conv)
                else:
                    await self.db.run(
                        "UPDATE conversations SET unread = 0, waiting_since = NULL, "
                        "sla_next_at = NULL, last_summary = ?, last_at = ? WHERE id = ?",
                        f"Seller: {summary}",
                        at,
                        conv,
                    )
            else:
                direction, state = "in", "received"
                reopened = status == "closed"
                if reopened:
                    await self.db.run(
                        "INSERT INTO conversation_events (conversation_id, kind, detail, "
                        "at) VALUES (?, 'reopened', '{\"by\": \"buyer\"}', ?)",
                        conv,
                        now,
                    )
                await self.db.run(
                    "UPDATE conversations SET unread = unread + 1, last_summary = ?, "
                    "last_at = ?, waiting_since = COALESCE(waiting_since, ?), "
                    "sla_next_at = CASE WHEN waiting_since IS NULL THEN ? ELSE sla_next_at END, "
                    "status = 'open', closed_at = NULL, buyer_name = COALESCE(NULLIF(?, ''), "
                    "buyer_name), "
                    "buyer_avatar = COALESCE(?, buyer_avatar), "
                    "buyer_language = CASE WHEN language_source = 'team' THEN buyer_language "
                    "ELSE COALESCE(?, buyer_language) END WHERE id = ?",
                    summary,
                    at,
                    at,
                    at,
                    msg.buyer.name,
                    msg.buyer.avatar_url,
                    msg.language,
                    conv,
                )
            mid = await self.db.insert(
                "INSERT OR IGNORE INTO messages (conversation_id, store_key, direction, "
                "platform_message_id, kind, text, attributes, raw, state, created_at, "
                "platform_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                conv,
                store_key,
                direction,
                msg.message_id,
                str(msg.kind),
                msg.text,
                json.dumps(msg.attributes, ensure_ascii=False, default=str),
                json.dumps(msg.raw, ensure_ascii=False, default=str),
                state,
                now,
                at,
            )
            if mid is None:  # the same message, claimed a moment ago by another worker
                return Claim(conv, None, False)
            if holding:
                await self.catchups.hold(store_key, channel_ref, conv, mid, at, delay)
            else:
                await self.ops.enqueue(
                    channel_ref, SlackWork.POST_MESSAGE, conversation_id=conv, message_id=mid,
                    delay=delay,
                )
            await self.ops.refresh_card(channel_ref, conv)
            return Claim(conv, mid, new, not msg.from_seller and reopened)

    async def _conversation_for(
        self, store_key: str, platform: str, site: str, channel_ref: str, msg: InboundMessage
    ) -> tuple[int, bool, str]:
        """(id, created now, its status): one read where there were two."""
        row = await self.db.one(
            "SELECT id, status FROM conversations WHERE store_key = ? AND "
            "platform_conversation_id = ?",
            store_key,
            msg.conversation_id,
        )
        if row:
            return int(row[0]), False, str(row[1])
        now = self.db.clock()
        conv = await self.db.insert(
            "INSERT OR IGNORE INTO conversations (store_key, platform_conversation_id, buyer_id, "
            "buyer_name, buyer_avatar, buyer_language, channel_ref, created_at, "
            "profile_asked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            store_key,
            msg.conversation_id,
            msg.buyer.id,
            # Some pushes (TikTok) carry no nickname; a later pull may bring it.
            msg.buyer.name or f"Buyer {str(msg.buyer.id)[-6:]}",
            msg.buyer.avatar_url,
            msg.language,
            channel_ref,
            now,
            # The platform is asked for what the message lacks; the root post waits briefly.
            None if msg.buyer.name and msg.buyer.avatar_url else now,
        )
        if conv is None:  # another worker created it a moment ago
            row = await self.db.existing(
                "SELECT id, status FROM conversations WHERE store_key = ? AND "
                "platform_conversation_id = ?",
                store_key,
                msg.conversation_id,
            )
            return int(row[0]), False, str(row[1])
        ref = f"{REF_PREFIX.get(platform, platform[:2].upper())}-{site}-{conv:04d}"
        await self.db.run("UPDATE conversations SET ref = ? WHERE id = ?", ref, conv)
        await self.ops.enqueue(channel_ref, SlackWork.POST_ROOT, conversation_id=conv)
        return conv, True, "open"

    async def arrived_late(self, msg: Message) -> bool:
        """Whether a platform message newer than ``msg`` was posted in its thread before
        it (``msg`` reached StoreBridge after them: it is shown with its own time)."""
        if msg.platform_at is None or msg.direction not in ("in", "seller"):
            return False
        return await self.db.one(
            "SELECT 1 FROM messages WHERE conversation_id = ? AND direction IN ('in', "
            "'seller') AND platform_at > ? AND slack_ts IS NOT NULL AND slack_ts < ? "
            "LIMIT 1",
            msg.conversation_id, msg.platform_at, msg.slack_ts or "9999999999.999999",
        ) is not None
