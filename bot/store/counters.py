"""Event counters shared by every worker: one row per name and 5-minute bucket,
incremented in place, so the digest adds up what all processes counted."""

from __future__ import annotations

from collections.abc import Iterable

from bot.store.db import Database

BUCKET = 300.0  # seconds; a "last 24 h" total spans at most 24 h 05 min


class Counters:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _bucket(self, at: float) -> int:
        return int(at // BUCKET * BUCKET)

    async def add(self, name: str, n: int = 1) -> None:
        await self.db.run(
            "INSERT INTO counters (name, bucket, count) VALUES (?, ?, ?) "
            "ON CONFLICT (name, bucket) DO UPDATE SET count = counters.count + excluded.count",
            name,
            self._bucket(self.db.clock()),
            n,
        )

    async def totals(self, names: Iterable[str], since: float, until: float) -> dict[str, int]:
        """Each name's count over the buckets that overlap [since, until); 0 when never counted."""
        wanted = list(names)
        out = dict.fromkeys(wanted, 0)
        if not wanted:
            return out
        marks = ", ".join("?" for _ in wanted)
        for name, total in await self.db.all(
            f"SELECT name, SUM(count) FROM counters WHERE name IN ({marks}) "
            "AND bucket >= ? AND bucket < ? GROUP BY name",
            *wanted,
            self._bucket(since),
            until,
        ):
            out[name] = int(total or 0)
        return out

    async def prune(self, before: float) -> None:
        """Counts older than any window asked about are dropped (the daily job)."""
        await self.db.run("DELETE FROM counters WHERE bucket < ?", self._bucket(before))
