"""Bulk fill of a database at a seller's size, for the scale benchmark and the
query-plan test: stores, conversations, messages, history events and orders, in
the shapes the service writes them (a third of open conversations waiting, a
quarter unassigned, old waits already escalated).

Rows go in bulk: SQLite ``executemany`` in one transaction, PostgreSQL ``COPY``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.store.db import Database

PLATFORMS = (("shopee", "SP"), ("lazada", "LZ"), ("tiktok", "TT"))
SITES = ("SG", "MY", "VN", "TH", "PH", "ID")
WORDS = ("where is my parcel", "size M please", "cancel order", "thanks!", "damaged box",
         "is this original", "ship today?", "voucher not working", "refund please")
CHUNK = 20_000


@dataclass(frozen=True)
class SeedStore:
    key: str
    platform: str
    shop_id: str
    site: str
    channel: str


@dataclass(frozen=True)
class Size:
    stores: int = 500
    conversations: int = 100_000
    messages: int = 1_000_000
    channels: int = 40
    reopened_events: int = 100_000
    orders: int = 50_000
    agents: int = 60


def seed_stores(n: int, channels: int) -> list[SeedStore]:
    out = []
    for i in range(n):
        platform, _ = PLATFORMS[i % 3]
        shop = str(100_000 + i)
        out.append(SeedStore(f"{platform}:{shop}", platform, shop, SITES[(i // 3) % len(SITES)],
                             f"#cs-{i % channels}"))
    return out


async def bulk(db: Database, table: str, columns: Sequence[str],
               rows: Iterator[tuple[Any, ...]]) -> int:
    """Insert many rows, chunk by chunk, each chunk in its own transaction."""
    count = 0
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            await _write(db, table, columns, chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        await _write(db, table, columns, chunk)
        count += len(chunk)
    return count


async def _write(db: Database, table: str, columns: Sequence[str],
                 rows: list[tuple[Any, ...]]) -> None:
    cols = ", ".join(columns)
    async with db.tx():
        conn = db._current().conn  # type: ignore[union-attr]  # the tx's own connection
        if db.dialect == "postgresql":
            async with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
                for row in rows:
                    await cp.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            await conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)


async def seed(db: Database, size: Size, *, now: float, agents: Sequence[str] = (),
               seed_value: int = 7,
               conversation_key: Callable[[str, str], str] = lambda shop, buyer: f"pc-{buyer}",
               channel_ids: dict[str, str] | None = None) -> list[SeedStore]:
    """Fill an empty, migrated database; returns the stores (for the config).
    ``conversation_key(shop_id, buyer_id)``: the platform's conversation id;
    ``channel_ids``: channel ref -> Slack id, where the Slack side is real."""
    rnd = random.Random(seed_value)
    stores = seed_stores(size.stores, size.channels)
    people = list(agents) or [f"U{9000 + i}" for i in range(size.agents)]
    await bulk(db, "stores", ("key", "platform", "connector", "shop_id", "site", "name",
                              "channel_ref", "group_name"),
               ((s.key, s.platform, s.platform, s.shop_id, s.site, f"Store {i}", s.channel,
                 "team") for i, s in enumerate(stores)))
    await bulk(db, "agents", ("user_id", "status"), ((p, "online") for p in people))
    convs: list[tuple[int, SeedStore, str]] = []

    def conversations() -> Iterator[tuple[Any, ...]]:
        for c in range(1, size.conversations + 1):
            s = stores[c % len(stores)]
            prefix = dict(PLATFORMS)[s.platform]
            closed = c % 4 == 0
            waiting = not closed and c % 3 == 0
            since = now - rnd.uniform(60, 3 * 86400) if waiting else None
            escalated = since if since is not None and now - since > 3600 else None
            assignee = None if c % 4 == 1 else people[c % len(people)]
            channel_id = (channel_ids or {}).get(s.channel) or f"C{int(s.channel[4:]):08d}"
            convs.append((c, s, channel_id))
            yield (c, s.key, conversation_key(s.shop_id, f"b{c}"), f"{prefix}-{s.site}-{c:06d}",
                   f"b{c}", f"Buyer {c}",
                   s.channel, channel_id, f"{1_700_000_000 + c}.000100",
                   "closed" if closed else "open", 1 if waiting else 0,
                   f"Buyer: {WORDS[c % len(WORDS)]}", now - rnd.uniform(0, 30 * 86400), since,
                   now - 40 * 86400, now if closed else None, assignee,
                   escalated + 600 if escalated else None, escalated + 1800 if escalated else None,
                   None if escalated else since)

    await bulk(db, "conversations", (
        "id", "store_key", "platform_conversation_id", "ref", "buyer_id", "buyer_name",
        "channel_ref", "channel_id", "thread_ts", "status", "unread", "last_summary", "last_at",
        "waiting_since", "created_at", "closed_at", "assignee", "sla_reminded_at",
        "sla_escalated_at", "sla_next_at"), conversations())

    def messages() -> Iterator[tuple[Any, ...]]:
        for m in range(1, size.messages + 1):
            c, s, channel_id = convs[m % len(convs)]
            out = m % 3 == 0
            at = now - 40 * 86400 + m * (40 * 86400 / size.messages)
            yield (m, c, s.key, "out" if out else "in", f"pm{m}", channel_id,
                   f"{1_600_000_000 + m}.000200", WORDS[m % len(WORDS)],
                   "delivered" if out else "received", at, at, at if out else None)

    await bulk(db, "messages", (
        "id", "conversation_id", "store_key", "direction", "platform_message_id", "channel_id",
        "slack_ts", "text", "state", "created_at", "platform_at", "delivered_at"), messages())
    # History that grows: "reopened" events (the close path's last-reopened lookup).
    await bulk(db, "conversation_events", ("conversation_id", "kind", "detail", "at"),
               ((1 + e % len(convs), "reopened", '{"by": "buyer"}', now - e)
                for e in range(size.reopened_events)))

    def orders() -> Iterator[tuple[Any, ...]]:
        for o in range(size.orders):
            c, s, _ = convs[o % len(convs)]
            to_ship = o % 5 == 0
            pending = o % 97 == 0
            cancel = json.dumps({"state": "pending", "respond_by": now + 86400}) if pending \
                else None
            yield (s.key, f"O{o:08d}", f"b{c}", "to_ship" if to_ship else "completed",
                   "READY" if to_ship else "COMPLETED", "19.90", "SGD", now - 5 * 86400,
                   now - 86400, now + rnd.uniform(-3600, 5 * 86400) if to_ship else None,
                   "[]", cancel, "[]", now, int(pending))

    await bulk(db, "orders", (
        "store_key", "order_id", "buyer_id", "status", "platform_status", "amount", "currency",
        "created_at", "updated_at", "ship_by", "items", "cancellation", "returns", "fetched_at",
        "needs_answer"), orders())
    if db.dialect == "postgresql":  # explicit ids: move the sequences past them
        for table in ("conversations", "messages"):
            await db.value(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT MAX(id) FROM {table}))")
        # VACUUM too: a database grown to this size over months has been vacuumed;
        # a fresh bulk load has not, and autovacuum (plus hint bits written by the
        # first reads of a million rows) then ran during the measurement.
        await db.run("VACUUM (ANALYZE)")
    await db.refresh_statistics(at_start=True)
    return stores
