"""Account-risk notices the platforms reported (penalty points, punishments,
indicators below target), per store, as of the last check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.db import Database


@dataclass(frozen=True)
class Notice:
    store_key: str
    kind: str
    key: str
    summary: str
    severity: str
    issued_at: float | None
    ends_at: float | None
    first_seen: float


class AccountNotices:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def replace(self, store_key: str, notices: Sequence[Notice]) -> list[Notice]:
        """The store's notices are now exactly ``notices`` (a resolved one disappears;
        one seen before keeps when it was first seen); returns those that are new."""
        now = self.db.clock()
        async with self.db.tx():
            known = {(r[0], r[1]): float(r[2]) for r in await self.db.all(
                "SELECT kind, key, first_seen FROM account_notices WHERE store_key = ?",
                store_key)}
            await self.db.run("DELETE FROM account_notices WHERE store_key = ?", store_key)
            for n in notices:
                await self.db.run(
                    "INSERT OR IGNORE INTO account_notices (store_key, kind, key, summary, "
                    "severity, issued_at, ends_at, first_seen, seen_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    store_key, n.kind, n.key, n.summary, n.severity, n.issued_at, n.ends_at,
                    known.get((n.kind, n.key), now), now)
        return [n for n in notices if (n.kind, n.key) not in known]

    async def current(self) -> list[Notice]:
        """Every store's notices, the critical first, then the oldest first."""
        rows = await self.db.all(
            "SELECT store_key, kind, key, summary, severity, issued_at, ends_at, first_seen "
            "FROM account_notices ORDER BY store_key, kind, key")
        out = [Notice(*r) for r in rows]
        return sorted(out, key=lambda n: (n.severity != "critical", n.first_seen, n.store_key))
