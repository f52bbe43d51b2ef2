"""Leases: which worker owns which queue or job right now.

A lease is a row with a holder and an expiry. The holder renews it while alive;
a worker killed with SIGKILL stops renewing and a survivor takes the lease once
it has expired. Taking a lease is one atomic upsert, so two workers never both
get it. Expiry compares the workers' clocks: keep them NTP-synchronised (the
TTL tolerates a few seconds of skew).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bot.store.db import Database


@dataclass(frozen=True)
class Grant:
    fresh: bool  # newly taken (the previous holder's half-done work needs recovery)


@dataclass(frozen=True)
class LeaseRow:
    name: str
    holder: str
    expires_at: float


class Leases:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def acquire(self, name: str, holder: str, ttl: float) -> Grant | None:
        """Take or renew ``name``; None while another live worker holds it."""
        now = self.db.clock()
        row = await self.db.one(
            "INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
            "expires_at = excluded.expires_at, acquired_at = CASE WHEN "
            "leases.holder = excluded.holder THEN leases.acquired_at "
            "ELSE excluded.acquired_at END "
            "WHERE leases.holder = excluded.holder OR leases.expires_at < ? "
            "RETURNING acquired_at",
            name,
            holder,
            now + ttl,
            now,
            now,
        )
        if row is None:
            return None
        return Grant(fresh=row[0] == now)

    async def cooldown(self, name: str, seconds: float) -> float:
        """Start ``name``'s cooldown: 0.0 if it was free, otherwise the seconds left
        until it may start again. Shared by every worker (one row per name)."""
        if await self.acquire(name, f"cooldown:{uuid.uuid4().hex}", seconds) is not None:
            return 0.0
        left = await self.db.value("SELECT expires_at FROM leases WHERE name = ?", name)
        return max(0.1, float(left or 0) - self.db.clock())

    async def renew_all(self, holder: str, ttl: float) -> set[str]:
        """Extend every lease still ours; returns their names (a lease taken by
        another worker while we stalled is missing from it)."""
        rows = await self.db.all(
            "UPDATE leases SET expires_at = ? WHERE holder = ? RETURNING name",
            self.db.clock() + ttl,
            holder,
        )
        return {r[0] for r in rows}

    async def holds(self, name: str, holder: str) -> bool:
        """Checked right before a side effect: is the lease still ours and live?"""
        live = await self.db.value(
            "SELECT 1 FROM leases WHERE name = ? AND holder = ? AND expires_at >= ?",
            name,
            holder,
            self.db.clock(),
        )
        return bool(live == 1)

    async def release(self, name: str, holder: str) -> None:
        await self.db.run("DELETE FROM leases WHERE name = ? AND holder = ?", name, holder)

    async def release_all(self, holder: str) -> None:
        await self.db.run("DELETE FROM leases WHERE holder = ?", holder)

    async def release_all_others(self, holder: str) -> None:
        """Single-process SQLite only: leases of a process that is gone."""
        await self.db.run("DELETE FROM leases WHERE holder != ?", holder)

    async def all(self) -> list[LeaseRow]:
        return [
            LeaseRow(r[0], r[1], r[2])
            for r in await self.db.all("SELECT name, holder, expires_at FROM leases ORDER BY name")
        ]

    # -- workers ---------------------------------------------------------------------
    async def heartbeat(self, worker: str, host: str, pid: int, started_at: float) -> None:
        await self.db.run(
            "INSERT INTO workers (id, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
            worker,
            host,
            pid,
            started_at,
            self.db.clock(),
        )

    async def workers(self, seen_since: float) -> list[dict[str, object]]:
        return [
            {"id": r[0], "host": r[1], "pid": r[2], "started_at": r[3], "seen_at": r[4]}
            for r in await self.db.all(
                "SELECT id, host, pid, started_at, seen_at FROM workers WHERE seen_at >= ? "
                "ORDER BY started_at",
                seen_since,
            )
        ]

    async def forget_worker(self, worker: str) -> None:
        await self.db.run("DELETE FROM workers WHERE id = ?", worker)
