"""The durable Slack outbox: every Slack side effect is a row here first.

A row is ``pending`` until a channel worker takes it (``inflight``, written
before the API call) and ``done`` once Slack answered. A crash between the two
leaves it ``inflight``; recovery looks for the post in Slack by its metadata
before doing it again, so nothing is posted twice.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from bot.slack_work import SlackWork
from bot.store.db import Database
from bot.store.rows import SlackOp

CARD_DELAY = 1.0  # seconds a card refresh waits so a burst costs one chat.update


class SlackOps:
    def __init__(self, db: Database) -> None:
        self.db = db
        #: Called with (conversation id, its assignee if known) after each change.
        self.card_listeners: list[Callable[[int, str | None], None]] = []

    async def enqueue(
        self,
        channel_ref: str,
        kind: SlackWork,
        *,
        conversation_id: int | None = None,
        message_id: int | None = None,
        payload: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Schedule a Slack side effect. With ``dedupe_key`` an identical pending
        op absorbs this one (card refreshes, reaction syncs). Absorbing is an update
        that locks the pending row until this transaction commits: a worker about to
        start that op waits, and so renders what this transaction wrote."""
        await self.db.run(
            "INSERT INTO slack_ops (channel_ref, kind, conversation_id, message_id, "
            "payload, dedupe_key, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (dedupe_key) WHERE state = 'pending' AND dedupe_key IS NOT NULL "
            "DO UPDATE SET not_before = slack_ops.not_before",
            channel_ref,
            kind.value,
            conversation_id,
            message_id,
            json.dumps(payload or {}),
            dedupe_key,
            self.db.clock() + delay,
            self.db.clock(),
        )

    async def refresh_card(
        self, channel_ref: str, conversation_id: int, *, assignee: str | None = None
    ) -> None:
        """The conversation changed: its card is redrawn, and in-process listeners
        (the App Home cache) hear of it once the change is committed."""
        for listener in self.card_listeners:
            self.db.defer(functools.partial(listener, conversation_id, assignee))
        await self.enqueue(
            channel_ref,
            SlackWork.UPDATE_CARD,
            conversation_id=conversation_id,
            dedupe_key=f"card:{conversation_id}",
            delay=CARD_DELAY,
        )

    async def sync_reaction(self, channel_ref: str, message_id: int) -> None:
        await self.enqueue(
            channel_ref, SlackWork.SYNC_REACTION, message_id=message_id,
            dedupe_key=f"reaction:{message_id}",
        )

    async def next_for(self, channel_ref: str) -> tuple[SlackOp | None, float | None]:
        """The oldest ready op of a channel, else when the next one becomes ready."""
        now = self.db.clock()
        row = await self.db.one(
            "SELECT * FROM slack_ops WHERE state = 'pending' AND channel_ref = ? "
            "AND not_before <= ? ORDER BY id LIMIT 1",
            channel_ref,
            now,
        )
        if row:
            return SlackOp.of(row), None
        return None, await self._next_ready_at(channel_ref)

    async def take_next(self, channel_ref: str) -> tuple[SlackOp | None, float | None]:
        """The oldest ready op of a channel, already marked inflight (one statement:
        this runs once per Slack call); else when the next one becomes ready."""
        now = self.db.clock()
        row = await self.db.one(
            "UPDATE slack_ops SET state = 'inflight', started_at = ?, attempts = attempts + 1 "
            "WHERE id = (SELECT id FROM slack_ops WHERE state = 'pending' AND channel_ref = ? "
            "AND not_before <= ? ORDER BY id LIMIT 1) AND state = 'pending' RETURNING *",
            now,
            channel_ref,
            now,
        )
        if row:
            return SlackOp.of(row), None
        return None, await self._next_ready_at(channel_ref)

    async def _next_ready_at(self, channel_ref: str) -> float | None:
        """When the channel's next pending op becomes ready (None: nothing pending)."""
        value = await self.db.value(
            "SELECT MIN(not_before) FROM slack_ops WHERE state = 'pending' AND channel_ref = ?",
            channel_ref,
        )
        return float(value) if value is not None else None

    async def channels_with_work(self) -> list[str]:
        return [
            r[0]
            for r in await self.db.all(
                "SELECT DISTINCT channel_ref FROM slack_ops WHERE state IN ('pending', 'inflight')"
            )
        ]

    async def inflight(self, channel_ref: str) -> list[SlackOp]:
        return [
            SlackOp.of(r)
            for r in await self.db.all(
                "SELECT * FROM slack_ops WHERE state = 'inflight' AND channel_ref = ? ORDER BY id",
                channel_ref,
            )
        ]

    async def start(self, op_id: int) -> bool:
        """Pending → inflight, written before the Slack call; False if it was not
        pending any more."""
        return (
            await self.db.run(
                "UPDATE slack_ops SET state = 'inflight', started_at = ?, "
                "attempts = attempts + 1 WHERE id = ? AND state = 'pending'",
                self.db.clock(),
                op_id,
            )
            == 1
        )

    async def postpone(self, op_id: int, at: float) -> None:
        """Back to the queue until ``at``: it waits for something else to happen."""
        await self.db.run("UPDATE slack_ops SET state = 'pending', not_before = ? WHERE id = ?",
                          at, op_id)

    async def back_to_pending(self, op_id: int, error: str) -> None:
        """Retry later; unless a newer identical op (same ``dedupe_key``) is already
        pending: it renders the latest state, so this one is done (two pending would
        break the coalescing index, and the channel's worker with it)."""
        async with self.db.tx():
            newer = await self.db.value(
                "SELECT COUNT(*) FROM slack_ops o JOIN slack_ops p ON p.dedupe_key = o.dedupe_key "
                "AND p.state = 'pending' AND p.id != o.id WHERE o.id = ?",
                op_id,
            )
            if newer:
                await self.db.run(
                    "UPDATE slack_ops SET state = 'done', error = ? WHERE id = ?",
                    "superseded by a newer pending one",
                    op_id,
                )
                return
            await self.db.run(
                "UPDATE slack_ops SET state = 'pending', error = ? WHERE id = ?", error, op_id
            )

    async def finish(self, op_id: int, result_ts: str | None = None) -> None:
        await self.db.run(
            "UPDATE slack_ops SET state = 'done', result_ts = ?, error = NULL WHERE id = ?",
            result_ts,
            op_id,
        )

    async def give_up(self, op_id: int, error: str) -> None:
        await self.db.run(
            "UPDATE slack_ops SET state = 'dead', error = ? WHERE id = ?", error, op_id
        )

    async def counts(self) -> dict[str, int]:
        return {
            r[0]: r[1]
            for r in await self.db.all(
                # slack_ops_open: never the done history
                "SELECT state, COUNT(*) FROM slack_ops WHERE state != 'done' GROUP BY state"
            )
        }

    async def prune_done(self, older_than: float) -> int:
        return await self.db.run(
            "DELETE FROM slack_ops WHERE state = 'done' AND created_at < ?", older_than
        )
