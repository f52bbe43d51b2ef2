"""``storebridge db copy``: move a deployment from its SQLite file to PostgreSQL
(or another file) without losing a thread.

Every table the schema defines is copied with its ids, so Slack threads, delivery
states, cursors, tokens, templates and translation memory all mean the same on
the other side. The list of tables comes from the source file itself (read with
sqlite-utils), ordered so a row's foreign keys exist before it; only the runtime
``leases`` and ``workers`` (who is running what *now*) are left behind.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from bot.store import Store, is_postgres
from bot.store.migrate import migrate, schema_version
from bot.store.sqlite_db import SqliteDatabase

#: Who runs what now: meaningless in another database (and would block its workers).
RUNTIME_TABLES = frozenset({"leases", "workers"})
BATCH = 500


class CopyRefused(RuntimeError):
    """The copy cannot be made safely (the message says why, in plain words)."""


@dataclass(frozen=True)
class Copied:
    table: str
    rows: int


def source_path(source: str) -> str:
    if is_postgres(source):
        raise CopyRefused("--from must be an SQLite file (sqlite:///path or a path)")
    return source.removeprefix("sqlite:///")


def tables_in_order(db: sqlite_utils.Database) -> list[str]:
    """The source's tables, parents before children (by their foreign keys)."""
    names = [t for t in db.table_names()
             if not t.startswith("sqlite_") and t not in RUNTIME_TABLES]
    parents = {t: {fk.other_table for fk in db.table(t).foreign_keys if fk.other_table != t}
               for t in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [t for t in names if t not in ordered and parents[t] <= set(ordered)]
        if not ready:  # a cycle: the schema has none; keep going rather than loop
            ready = [t for t in names if t not in ordered]
        ordered.extend(sorted(ready))
    return ordered


async def copy_database(source: str, target: str, *,
                        progress: Callable[[Copied], None] | None = None) -> list[Copied]:
    """Copy everything from the SQLite ``source`` into the empty ``target``."""
    path = source_path(source)
    if path == target.removeprefix("sqlite:///"):
        raise CopyRefused("--from and --to are the same database")
    if not await asyncio.to_thread(os.path.isfile, path):
        raise CopyRefused(f"{path}: no such SQLite file")
    # Bring the file to the current schema first (the service would, at start).
    upgraded = await SqliteDatabase(path).open()
    try:
        version = await migrate(upgraded)
    finally:
        await upgraded.close()
    # Read off the event loop (the copy is a command, but the rule is the same).
    src = sqlite_utils.Database(sqlite3.connect(path, check_same_thread=False))
    try:
        tables = await asyncio.to_thread(tables_in_order, src)
        dest = await Store.open(target)
        try:
            if await schema_version(dest.database) != version:
                raise CopyRefused("source and target are at different schema versions")
            filled = await dest.copying.non_empty(tables)
            if filled:
                raise CopyRefused(
                    f"the target already holds data (in {', '.join(filled[:5])}"
                    f"{'…' if len(filled) > 5 else ''}); copy into an empty database so no "
                    "thread or delivery state is mixed with another deployment's")
            done = []
            async with dest.database.tx():  # all or nothing
                for table in tables:
                    columns = await dest.copying.columns(table)
                    wanted = [c for c in src[table].columns_dict if c in columns]
                    count = 0
                    for batch in await asyncio.to_thread(_batches, src, table, wanted):
                        await dest.copying.insert(table, wanted, batch)
                        count += len(batch)
                    done.append(Copied(table, count))
                    if progress:
                        progress(done[-1])
                await dest.copying.reset_sequences(tables)
            return done
        finally:
            await dest.close()
    finally:
        src.close()


def _batches(db: sqlite_utils.Database, table: str, columns: list[str]
             ) -> list[list[tuple[object, ...]]]:
    """Rows in primary-key order (ids ascending, as they were written)."""
    source = db.table(table)
    order = ", ".join(f'"{c}"' for c in (source.pks or ["rowid"]))
    rows = [tuple(r[c] for c in columns) for r in source.rows_where(order_by=order)]
    return [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]


async def run_copy(source: str, target: str) -> int:
    """The CLI: prints what was copied; 2 with a plain reason if refused."""
    import sys

    try:
        done = await copy_database(
            source, target, progress=lambda c: print(f"  {c.table:<22} {c.rows:>8} row(s)"))
    except CopyRefused as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (TimeoutError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    total = sum(c.rows for c in done)
    print(f"copied {total} row(s) in {len(done)} table(s); start StoreBridge on the target now")
    return 0
