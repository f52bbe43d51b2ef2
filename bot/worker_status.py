"""Who is running and who holds what: for /healthz and ``storebridge check``."""

from __future__ import annotations

from typing import Any

from bot.leases import HEARTBEAT
from bot.store import Store


async def worker_status(store: Store, *, me: str | None = None,
                        heartbeat: float = HEARTBEAT) -> list[dict[str, Any]]:
    """The workers seen within three heartbeats, each with the live leases it holds;
    last, as ``id: None``, leases still held by workers no longer seen (they expire
    within the lease TTL and a survivor takes them)."""
    now = store.database.clock()
    held: dict[str, list[str]] = {}
    for lease in await store.leases.all():
        if lease.expires_at >= now:
            held.setdefault(lease.holder, []).append(lease.name)
    out = []
    for w in await store.leases.workers(now - 3 * heartbeat):
        names = held.pop(str(w["id"]), [])
        out.append({**w, "me": w["id"] == me, "leases": len(names), "holds": names[:40]})
    orphans = sorted(name for names in held.values() for name in names)
    if orphans:
        out.append({"id": None, "host": None, "pid": None, "me": False,
                    "leases": len(orphans), "holds": orphans[:40]})
    return out


def describe(worker: dict[str, Any], now: float) -> tuple[str, str]:
    """(item, detail) for a row of the check table."""
    holds = ", ".join(worker["holds"][:8]) + ("…" if worker["leases"] > 8 else "")
    if worker["id"] is None:
        return ("leases of stopped workers", f"{worker['leases']} expiring: {holds}")
    age = max(0.0, now - float(worker["seen_at"]))
    return (f"worker {worker['host']} pid {worker['pid']}",
            f"alive (seen {age:.0f} s ago), holds {worker['leases']} lease(s)"
            + (f": {holds}" if holds else ""))
