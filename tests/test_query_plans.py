"""No periodic or per-request path reads all of ``messages`` or ``conversations``.

The real store methods run over a seeded database while every statement they
issue is recorded; each recorded statement is then explained on the backend
the tests run on: SQLite's EXPLAIN QUERY PLAN must show no SCAN of either
table, PostgreSQL's EXPLAIN (with sequential scans priced out, so the answer
does not depend on how small the test tables are) no Seq Scan and no index
walked from end to end.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.store import Store
from bot.store.home import HomeFilters, HomeQueries
from bot.store.seed import Size, seed
from connectors.models import Buyer, InboundMessage, MessageKind
from tests.dbmode import target_for

BIG = ("messages", "conversations")
#: Partial indexes hold only what is due or unsettled: walking one whole is
#: proportional to the work there is, not to the history.
PARTIAL = {"messages_replies_open", "messages_replies_pending", "conversations_sla_due",
           "messages_translation_todo"}
NOW = 1_750_000_000.0
ALIAS = re.compile(r"\b(messages|conversations)\s+(?:AS\s+)?(?!WHERE\b|JOIN\b|ON\b)(\w+)", re.I)


async def recorded(store: Store, calls: list[Any], tables: tuple[str, ...] = BIG
                   ) -> list[tuple[str, tuple[Any, ...]]]:
    """Run each (coroutine function, args) and return every statement it issued."""
    db = store.database
    seen: list[tuple[str, tuple[Any, ...]]] = []
    original = db._execute

    async def spy(sql: str, args: tuple[Any, ...], *, fetch: str) -> Any:
        seen.append((sql, args))
        return await original(sql, args, fetch=fetch)

    db._execute = spy  # type: ignore[method-assign]
    try:
        for fn, *args in calls:
            await fn(*args)
    finally:
        db._execute = original  # type: ignore[method-assign]
    return [(s, a) for s, a in seen if any(t in s for t in tables)
            and s.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))]


async def full_scans(store: Store, sql: str, args: tuple[Any, ...]) -> list[str]:
    db = store.database
    if db.dialect == "sqlite":
        rows = await db.all(f"EXPLAIN QUERY PLAN {sql}", *args)
        names = set(BIG) | {m.group(2) for m in ALIAS.finditer(sql)}
        bad = []
        for r in rows:
            detail = r["detail"]
            words = detail.split()
            if words[:1] == ["SCAN"] and words[1] in names and not any(
                    p in words for p in PARTIAL):
                bad.append(detail)
        return bad
    async with db.tx():
        await db.run("SET LOCAL enable_seqscan = off")
        plan = await db.value(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    bad = []

    def walk(node: dict[str, Any]) -> None:
        rel = node.get("Relation Name")
        kind = node["Node Type"]
        if rel in BIG and kind == "Seq Scan":
            bad.append(f"Seq Scan on {rel}")
        if rel in BIG and kind in ("Index Scan", "Index Only Scan") and \
                "Index Cond" not in node and node.get("Index Name") not in PARTIAL:
            bad.append(f"{kind} of all of {node.get('Index Name')} on {rel}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return bad


@pytest.mark.asyncio
async def test_periodic_and_request_paths_use_indexes(tmp_path: Path) -> None:
    store = await Store.open(target_for(str(tmp_path / "plans.db")), clock=lambda: NOW)
    try:
        stores = await seed(store.database, Size(stores=30, conversations=3000, messages=20000,
                                                 reopened_events=3000, orders=2000), now=NOW)
        home = HomeQueries(store.database)
        mine = HomeFilters()
        push = InboundMessage(shop_id=stores[3].shop_id, conversation_id="pc-b3",
                              message_id="new-1", buyer=Buyer(id="b3", name="Buyer 3"),
                              kind=MessageKind.TEXT, text="still waiting",
                              sent_at=datetime.fromtimestamp(NOW, UTC))
        calls: list[Any] = [
            # periodic jobs
            (store.team.sla_due, NOW),
            (store.orders.with_deadline_before, NOW + 6 * 3600),
            (store.replies.stores_with_pending,),
            (store.ops.channels_with_work,),
            (store.replies.recover_after_crash,),
            (store.ops.prune_done, NOW - 7 * 86400),
            (store.books.prune_events, NOW - 86400),
            (store.replies.next_due_at, stores[0].key),
            (store.replies.ready_to_send, stores[0].key),
            (partial(store.conversations.translation_todo, since=NOW - 86400,
                     never_tried_since=NOW - 600, team="en", limit=50),),
            # /healthz
            (store.replies.counts,),
            (store.ops.counts,),
            # per request: a push into an existing conversation, a close, App Home lists
            (store.conversations.claim_inbound, stores[3].key, stores[3].platform,
             stores[3].site, stores[3].channel, push, "still waiting"),
            (store.team.last_event_at, 3, "reopened"),
            (store.conversations.set_status, 3, "closed", "U1"),
            (home.assigned_to, "U9001", mine, 10),
            (home.waiting_longest, mine, 10, 100),
        ]
        statements = await recorded(store, calls)
        assert len(statements) >= len(calls) - 2  # every path did ask the database
        problems = {}
        for sql, args in statements:
            bad = await full_scans(store, sql, args)
            if bad:
                problems[sql] = bad
        assert not problems, "\n".join(f"{k}\n   -> {v}" for k, v in problems.items())
    finally:
        await store.close()


@pytest.mark.asyncio
async def test_last_reopened_lookup_stays_fast_with_history(tmp_path: Path) -> None:
    """At 100k reopened events the lookup is one index probe (the issue measured
    168 ms when the planner walked the ``kind`` index instead)."""
    store = await Store.open(target_for(str(tmp_path / "history.db")), clock=lambda: NOW)
    try:
        await seed(store.database, Size(stores=3, conversations=300, messages=300,
                                        reopened_events=100_000, orders=0), now=NOW)
        statements = await recorded(store, [(store.team.last_event_at, 7, "reopened")],
                                    ("conversation_events",))
        sql, args = statements[0]
        assert await full_scans(store, sql, args) == []
        if store.database.dialect == "sqlite":
            plan = " ".join(r["detail"] for r in
                            await store.database.all(f"EXPLAIN QUERY PLAN {sql}", *args))
            assert "conversation_events_by_conversation_kind" in plan, plan
        start = time.perf_counter()
        for _ in range(50):
            await store.team.last_event_at(7, "reopened")
        per_call = (time.perf_counter() - start) / 50
        assert per_call < 0.005, per_call  # well under 1 ms of SQL plus the round trip
    finally:
        await store.close()
