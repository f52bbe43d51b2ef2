"""Team workflow data: agents' status, who owns which conversation, what happened."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.store.db import Database
from bot.store.rows import Conversation
from bot.store.slack_ops import SlackOps


class Team:
    def __init__(self, db: Database, ops: SlackOps) -> None:
        self.db = db
        self.ops = ops

    # -- agents ---------------------------------------------------------------
    async def status(self, user_id: str) -> str:
        row = await self.db.one("SELECT status FROM agents WHERE user_id = ?", user_id)
        return str(row[0]) if row else "online"

    async def set_status(self, user_id: str, status: str) -> bool:
        """True when it changed."""
        if await self.status(user_id) == status:
            return False
        await self.db.run(
            "INSERT INTO agents (user_id, status, status_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, "
            "status_at = excluded.status_at",
            user_id,
            status,
            self.db.clock(),
        )
        return True

    async def my_counts(self, user_id: str) -> tuple[int, int]:
        """(open conversations assigned to the user, of which buyers are waiting)."""
        row = await self.db.one(
            "SELECT COUNT(*), COUNT(waiting_since) FROM conversations "
            "WHERE assignee = ? AND status = 'open'",
            user_id,
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def open_load(self, users: list[str]) -> dict[str, int]:
        """Open conversations each of ``users`` owns (for least-loaded assignment)."""
        load = dict.fromkeys(users, 0)
        if users:
            marks = ",".join("?" * len(users))
            for r in await self.db.all(
                f"SELECT assignee, COUNT(*) FROM conversations WHERE status = "
                f"'open' AND assignee IN ({marks}) GROUP BY assignee",
                *users,
            ):
                load[r[0]] = r[1]
        return load

    async def last_agent_for_buyer(self, buyer_id: str, platform_prefix: str) -> str | None:
        """Who last answered this buyer, in any store of the same platform."""
        row = await self.db.one(
            "SELECT last_agent FROM conversations WHERE buyer_id = ? AND store_key LIKE ? "
            "AND last_agent IS NOT NULL ORDER BY last_at DESC LIMIT 1",
            buyer_id,
            f"{platform_prefix}:%",
        )
        return row[0] if row else None

    # -- ownership --------------------------------------------------------------
    async def assign(
        self,
        conversation_id: int,
        user: str | None,
        *,
        actor: str | None,
        kind: str,
        detail: dict[str, Any] | None = None,
    ) -> Conversation | None:
        async with self.db.tx():
            await self.db.run(
                "UPDATE conversations SET assignee = ?, assigned_at = ? WHERE id = ?",
                user,
                self.db.clock(),
                conversation_id,
            )
            await self.event(conversation_id, kind, actor, {"to": user, **(detail or {})})
            row = await self.db.one("SELECT * FROM conversations WHERE id = ?", conversation_id)
            if row is None:
                return None
            conv = Conversation.of(row)
            await self.ops.refresh_card(conv.channel_ref, conv.id, assignee=user)
            return conv

    async def open_of(self, user: str) -> list[Conversation]:
        return [
            Conversation.of(r)
            for r in await self.db.all(
                "SELECT * FROM conversations WHERE assignee = ? AND status = 'open' ORDER BY id",
                user,
            )
        ]

    async def event(
        self,
        conversation_id: int,
        kind: str,
        actor: str | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await self.db.run(
            "INSERT INTO conversation_events (conversation_id, kind, actor, detail, at) "
            "VALUES (?, ?, ?, ?, ?)",
            conversation_id,
            kind,
            actor,
            json.dumps(detail or {}, ensure_ascii=False),
            self.db.clock(),
        )

    async def last_event_at(self, conversation_id: int, kind: str) -> float | None:
        row = await self.db.one(
            "SELECT MAX(at) FROM conversation_events WHERE conversation_id = ? AND kind = ?",
            conversation_id,
            kind,
        )
        return row[0] if row else None

    # -- priority flags -----------------------------------------------------------
    async def add_flags(self, conversation_id: int, words: list[str]) -> tuple[list[str], bool]:
        """Merge flags; returns (all flags, whether the conversation had none before)."""
        async with self.db.tx():
            row = await self.db.existing(
                "SELECT flags, channel_ref FROM conversations WHERE id = ?", conversation_id
            )
            before = json.loads(row[0] or "[]")
            merged = sorted(set(before) | set(words))
            if merged != before:
                await self.db.run(
                    "UPDATE conversations SET flags = ? WHERE id = ?",
                    json.dumps(merged, ensure_ascii=False),
                    conversation_id,
                )
                await self.ops.refresh_card(row[1], conversation_id)
            return merged, not before

    # -- SLA --------------------------------------------------------------------
    async def sla_due(self, now: float, limit: int = 500) -> list[Conversation]:
        """Conversations the SLA tick must look at now (through conversations_sla_due):
        what is due, never every waiting conversation."""
        return [
            Conversation.of(r)
            for r in await self.db.all(
                "SELECT * FROM conversations WHERE sla_next_at IS NOT NULL AND "
                "sla_next_at <= ? ORDER BY sla_next_at LIMIT ?",
                now,
                limit,
            )
        ]

    async def set_sla_next_many(self, checks: Sequence[tuple[float | None, int]]) -> None:
        """(next check time or None, conversation id) for many, in one trip."""
        await self.db.many("UPDATE conversations SET sla_next_at = ? WHERE id = ?", checks)

    async def mark_sla(self, conversation_id: int, column: str) -> None:
        assert column in ("sla_reminded_at", "sla_escalated_at")
        await self.db.run(
            f"UPDATE conversations SET {column} = ? WHERE id = ?", self.db.clock(), conversation_id
        )

    # -- what the buyer and the agent said last ---------------------------------------
    async def last_texts(self, conversation_id: int) -> tuple[str | None, str | None]:
        buyer = await self.db.one(
            "SELECT text FROM messages WHERE conversation_id = ? AND "
            "direction = 'in' AND kind = 'text' ORDER BY id DESC LIMIT 1",
            conversation_id,
        )
        agent = await self.db.one(
            "SELECT COALESCE(sent_text, text) FROM messages WHERE "
            "conversation_id = ? AND direction = 'out' AND state = 'delivered' "
            "ORDER BY id DESC LIMIT 1",
            conversation_id,
        )
        return (buyer[0] if buyer else None), (agent[0] if agent else None)

    async def others_of_buyer(self, conv: Conversation) -> list[Conversation]:
        """The same buyer talking to other stores of the same platform."""
        platform = conv.store_key.split(":", 1)[0]
        return [
            Conversation.of(r)
            for r in await self.db.all(
                "SELECT * FROM conversations WHERE buyer_id = ? AND store_key LIKE ? AND "
                "store_key != ? AND thread_ts IS NOT NULL ORDER BY last_at DESC LIMIT 5",
                conv.buyer_id,
                f"{platform}:%",
                conv.store_key,
            )
        ]
