"""Who a conversation's buyer is: what pushes, pulls and the platform's profile tell."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.db import Database
from bot.store.slack_ops import SlackOps


@dataclass(frozen=True)
class LanguageFacts:
    language: str | None
    source: str | None
    platform: str | None
    detected: list[str]


class BuyerFacts:
    def __init__(self, db: Database, ops: SlackOps) -> None:
        self.db = db
        self.ops = ops

    async def learn(self, conversation_id: int, *, name: str | None = None,
                    avatar: str | None = None, language: str | None = None,
                    asked: bool = False) -> bool:
        """Keep what is new (empty values never erase what is known) and refresh the
        card when anything changed. ``asked``: this answers the profile request a
        new conversation's root post may be waiting for. Returns whether it changed."""
        async with self.db.tx():
            row = await self.db.one(
                "SELECT buyer_name, buyer_avatar, buyer_language, channel_ref, "
                "profile_asked_at FROM conversations WHERE id = ?", conversation_id)
            if row is None:
                return False
            old = (row[0], row[1], row[2])
            new = (name or old[0], avatar or old[1], language or old[2])
            if asked and row[4] is not None:
                await self.db.run("UPDATE conversations SET profile_asked_at = NULL "
                                  "WHERE id = ?", conversation_id)
            if new == old:
                return False
            await self.db.run(
                "UPDATE conversations SET buyer_name = ?, buyer_avatar = ?, "
                "buyer_language = ? WHERE id = ?", *new, conversation_id)
            await self.ops.refresh_card(str(row[3]), conversation_id)
            return True

    async def still_asking(self, conversation_id: int, bound: float) -> bool:
        """Whether the buyer's profile is being fetched (for at most ``bound`` s)."""
        at = await self.db.value("SELECT profile_asked_at FROM conversations WHERE id = ?",
                                 conversation_id)
        return at is not None and self.db.clock() - float(at) < bound

    async def language_facts(self, conversation_id: int, history: int = 20
                             ) -> LanguageFacts | None:
        """What decides the conversation's language: its current one and where it came
        from, the platform-reported one, and the languages detected in the buyer's
        latest messages (newest first)."""
        row = await self.db.one("SELECT buyer_language, language_source, platform_language "
                                "FROM conversations WHERE id = ?", conversation_id)
        if row is None:
            return None
        detected = await self.db.all(
            "SELECT detected_language FROM messages WHERE conversation_id = ? AND "
            "direction = 'in' AND detected_language IS NOT NULL ORDER BY id DESC LIMIT ?",
            conversation_id, history)
        return LanguageFacts(row[0], row[1], row[2], [str(r[0]) for r in detected])

    async def note_detected(self, message_id: int, language: str) -> None:
        await self.db.run("UPDATE messages SET detected_language = ? WHERE id = ?",
                          language, message_id)

    async def note_platform_language(self, conversation_id: int, language: str) -> None:
        await self.db.run("UPDATE conversations SET platform_language = ? WHERE id = ?",
                          language, conversation_id)

    async def set_language(self, conversation_id: int, language: str, source: str) -> bool:
        """Store the conversation's language and where it came from; the card shows it.
        Returns whether anything changed."""
        async with self.db.tx():
            row = await self.db.one("SELECT buyer_language, language_source, channel_ref "
                                    "FROM conversations WHERE id = ?", conversation_id)
            if row is None or (row[0], row[1]) == (language, source):
                return False
            await self.db.run("UPDATE conversations SET buyer_language = ?, "
                              "language_source = ? WHERE id = ?",
                              language, source, conversation_id)
            await self.ops.refresh_card(str(row[2]), conversation_id)
            return True
