"""Who looked at the Home tab lately, with their filters, so the panel can be
re-published for them when conversations change — from whichever worker notices."""

from __future__ import annotations

from bot.store.db import Database

#: "Looking" lasts minutes (bot/team/home_refresh.py): a viewer's row is rewritten
#: at most this often unless their filters change. Ten opens a second each cost a
#: write on SQLite's one writer, ahead of the pushes.
SEEN_EVERY = 60.0


class HomeViewers:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._written: dict[str, tuple[str, float]] = {}  # user -> (filters, at)

    async def seen(self, user_id: str, filters: str) -> None:
        now = self.db.clock()
        last = self._written.get(user_id)
        if last is not None and last[0] == filters and now - last[1] < SEEN_EVERY:
            return
        self._written[user_id] = (filters, now)
        await self.db.run(
            "INSERT INTO home_viewers (user_id, filters, seen_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET filters = excluded.filters, "
            "seen_at = excluded.seen_at",
            user_id,
            filters,
            now,
        )

    async def recent(self, since: float) -> list[tuple[str, str]]:
        """(user, filters as JSON) of those who opened or used Home since ``since``."""
        return [
            (r[0], r[1])
            for r in await self.db.all(
                "SELECT user_id, filters FROM home_viewers WHERE seen_at >= ? ORDER BY user_id",
                since,
            )
        ]

    async def forget_before(self, before: float) -> None:
        await self.db.run("DELETE FROM home_viewers WHERE seen_at < ?", before)

    async def fingerprint(self) -> tuple[object, ...]:
        """Changes whenever what a Home panel shows may have changed: every message
        (buyer's, agent's, note) and every conversation event (assignment, transfer,
        close, reopen, escalation) adds a row, and unread, waiting and ownership only
        move with one of those. Two primary-key look-ups: the aggregate over every
        open conversation it replaced took 100-300 ms at 100k, every 5 s, on a reader
        that App Home's own queries then queued behind. Compared, never interpreted."""
        row = await self.db.one(
            "SELECT (SELECT MAX(id) FROM messages), (SELECT MAX(id) FROM conversation_events)")
        return tuple(row) if row else ()
