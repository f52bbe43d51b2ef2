"""The figures of the daily checklist, read from the database at a given time."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.store.db import Database
from bot.store.db import Row as DbRow
from bot.store.home import ROW_COLUMNS, Row

DAY = 86400.0


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile with linear interpolation between closest ranks (the
    common definition: numpy's default, and ``statistics.median`` at p=50)."""
    if not values:
        raise ValueError("no values")
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


@dataclass(frozen=True)
class Figures:
    count: int
    median: float
    p90: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Figures:
        return cls(len(values), percentile(values, 50), percentile(values, 90))


@dataclass(frozen=True)
class StoreWaiting:
    store_key: str
    waiting: int
    unread: int
    oldest: float | None  # when the longest-waiting buyer started waiting


async def waiting_per_store(db: Database) -> list[StoreWaiting]:
    """Open conversations with a waiting buyer or unread messages, per store, the
    stores with most waiting first."""
    rows = await db.all(
        "SELECT store_key, COUNT(waiting_since), SUM(unread), MIN(waiting_since) "
        "FROM conversations WHERE status = 'open' AND (waiting_since IS NOT NULL "
        "OR unread > 0) GROUP BY store_key"
    )
    out = [StoreWaiting(r[0], r[1], r[2] or 0, r[3]) for r in rows]
    return sorted(out, key=lambda w: (-w.waiting, w.oldest or math.inf, -w.unread, w.store_key))


async def failed_sends(db: Database) -> dict[str, dict[str, int]]:
    """Replies that are failed or refused now (nobody retried or edited them), per store."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for r in await db.all(
        "SELECT store_key, state, COUNT(*) FROM messages WHERE direction = 'out' "
        "AND state IN ('failed', 'refused') GROUP BY store_key, state"
    ):
        out[r[0]][r[1]] = r[2]
    return dict(sorted(out.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])))


async def unhealthy_stores(db: Database) -> list[dict[str, object]]:
    return [
        dict(r)
        for r in await db.all(
            "SELECT key, health, health_detail, health_since FROM stores WHERE health != 'ok' "
            "ORDER BY health_since, key"
        )
    ]


async def auth_expiring(db: Database, before: float) -> list[tuple[str, float]]:
    """(store, when) for authorizations ending before ``before`` (or already ended).
    The refresh token's expiry is the authorization's end; without a refresh token,
    the access token's."""
    return [
        (r[0], r[1])
        for r in await db.all(
            "SELECT key, ends FROM (SELECT s.key AS key, CASE WHEN COALESCE(t.refresh_token, '') "
            "= '' THEN t.access_expires_at ELSE t.refresh_expires_at END AS ends FROM tokens t "
            "JOIN stores s ON s.platform = t.platform AND s.shop_id = t.shop_id) x "
            "WHERE ends IS NOT NULL AND ends < ? ORDER BY ends, key",
            before,
        )
    ]


async def stale_templates(db: Database, unused_since: float) -> list[tuple[str, str, bool]]:
    """(topic, name, ever used) of templates not used since ``unused_since`` — a new
    template counts from its creation, so it is not stale on its first day."""
    return [
        (r[0], r[1], r[2] is not None)
        for r in await db.all(
            "SELECT topic, name, last_used_at FROM templates "
            "WHERE COALESCE(last_used_at, created_at) < ? "
            "ORDER BY COALESCE(last_used_at, created_at), topic, name",
            unused_since,
        )
    ]


async def response_times(
    db: Database, since: float, until: float, *, agent: str | None = None,
    stores: Collection[str] | None = None,
) -> tuple[Figures | None, dict[str, Figures], dict[str, Figures]]:
    """First-response figures over replies given in [since, until): overall, per
    store and per agent, the slowest (p90) first. ``responses`` holds one row per
    time a waiting buyer got an agent's reply."""
    sql = (
        "SELECT store_key, agent, responded_at - waited_from FROM responses "
        "WHERE responded_at >= ? AND responded_at < ?"
    )
    args: list[object] = [since, until]
    if agent:
        sql += " AND agent = ?"
        args.append(agent)
    if stores is not None:  # only these stores' replies (None: every store)
        sql += f" AND store_key IN ({', '.join('?' for _ in stores) or 'NULL'})"
        args += list(stores)
    per_store: dict[str, list[float]] = defaultdict(list)
    per_agent: dict[str, list[float]] = defaultdict(list)
    everything: list[float] = []
    for store_key, who, waited in await db.all(sql, *args):
        waited = max(0.0, float(waited))
        everything.append(waited)
        per_store[store_key].append(waited)
        if who:
            per_agent[who].append(waited)

    def ranked(groups: dict[str, list[float]]) -> dict[str, Figures]:
        figures = {k: Figures.of(v) for k, v in groups.items()}
        return dict(sorted(figures.items(), key=lambda kv: (-kv[1].p90, kv[0])))

    overall = Figures.of(everything) if everything else None
    return overall, ranked(per_store), ranked(per_agent)


async def breaches(db: Database, since: float, until: float) -> list[Row]:
    """Conversations escalated for their SLA in [since, until), first escalated first."""
    return [
        Row.of(r)
        for r in await db.all(
            f"SELECT {ROW_COLUMNS} FROM (SELECT conversation_id, MIN(at) AS first_at "
            "FROM conversation_events WHERE kind = 'sla_escalation' AND at >= ? AND at < ? "
            "GROUP BY conversation_id) e JOIN conversations c ON c.id = e.conversation_id "
            "ORDER BY e.first_at, c.id",
            since,
            until,
        )
    ]


async def agents_responding(db: Database, since: float) -> list[str]:
    """Who answered a waiting buyer since ``since``."""
    return [
        r[0]
        for r in await db.all(
            "SELECT DISTINCT agent FROM responses WHERE responded_at >= ? AND agent IS NOT NULL",
            since,
        )
    ]


async def store_labels(db: Database) -> dict[str, DbRow]:
    return {
        r["key"]: r for r in await db.all("SELECT key, platform, site, name, nickname FROM stores")
    }
