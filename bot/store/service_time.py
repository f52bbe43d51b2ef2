"""Service time: how long a conversation stayed open, recorded when it closes
(``conversation_events`` kind ``closed``, detail ``service_seconds``, and since
this module the ``agent`` who owned it then)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from bot.store.db import Database
from bot.store.digest import Figures


@dataclass(frozen=True)
class ServiceTimes:
    """Figures over the closes in a window: overall, per store and per agent, the
    slowest (p90) first."""

    overall: Figures | None
    per_store: dict[str, Figures]
    per_agent: dict[str, Figures]


def _ranked(groups: dict[str, list[float]]) -> dict[str, Figures]:
    figures = {k: Figures.of(v) for k, v in groups.items()}
    return dict(sorted(figures.items(), key=lambda kv: (-kv[1].p90, kv[0])))


def _seconds(detail: str | None) -> tuple[float | None, str | None]:
    try:
        d = json.loads(detail or "{}")
    except ValueError:
        return None, None
    s = d.get("service_seconds") if isinstance(d, dict) else None
    if not isinstance(s, int | float):
        return None, None
    return max(0.0, float(s)), d.get("agent") if isinstance(d.get("agent"), str) else None


async def service_times(db: Database, since: float, until: float, *,
                        stores: Collection[str] | None = None) -> ServiceTimes:
    """Closes in [since, until) (``stores``: only theirs; None: every store). The agent
    is who owned the conversation when it closed; closes recorded before the agent
    was kept count for today's owner."""
    rows = await db.all(
        "SELECT c.store_key, c.assignee, e.detail FROM conversation_events e "
        "JOIN conversations c ON c.id = e.conversation_id "
        "WHERE e.kind = 'closed' AND e.at >= ? AND e.at < ?",
        since,
        until,
    )
    per_store: dict[str, list[float]] = defaultdict(list)
    per_agent: dict[str, list[float]] = defaultdict(list)
    everything: list[float] = []
    for store_key, assignee, detail in rows:
        seconds, agent = _seconds(detail)
        if seconds is None or (stores is not None and store_key not in stores):
            continue
        everything.append(seconds)
        per_store[store_key].append(seconds)
        if agent or assignee:
            per_agent[agent or assignee].append(seconds)
    overall = Figures.of(everything) if everything else None
    return ServiceTimes(overall, _ranked(per_store), _ranked(per_agent))


async def last_service_seconds(db: Database, conversation_id: int) -> float | None:
    """The service time of the conversation's latest close (for its card)."""
    row = await db.one(
        "SELECT detail FROM conversation_events WHERE conversation_id = ? AND kind = 'closed' "
        "ORDER BY at DESC, id DESC LIMIT 1",
        conversation_id,
    )
    return _seconds(row[0])[0] if row else None
