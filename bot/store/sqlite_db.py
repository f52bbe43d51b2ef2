"""SQLite through aiosqlite: one writer connection on its own thread, WAL, plus
two read-only connections for plain reads.

One writer keeps SQLite's promise simple (one process, serial writes); an
asyncio lock gives each transaction the connection to itself. Plain reads
outside a transaction go to the readers (WAL lets them run beside the writer,
and SQLite releases the GIL while it works): App Home's and the digest's heavy
reads then no longer queue the push path's claims behind them. The busy timeout
is short on purpose: a file locked by another program fails a statement after
a few seconds instead of holding the service, and callers bound their waits.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from bot.store.db import Clock, Database
from bot.store.dialect import for_sqlite
from bot.store.writer_lock import WriterLock, is_urgent, urgent

BUSY_TIMEOUT_MS = 5000
READERS = 2


ANALYSIS_LIMIT = 1000  # rows sampled per index by ANALYZE: enough for the planner


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: str, *, clock: Clock = time.time) -> None:
        super().__init__(clock=clock)
        self.path = path
        self.url = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = WriterLock()  # requests someone waits on go first
        self._readers: list[aiosqlite.Connection] = []
        self._next_reader = 0

    async def open(self) -> SqliteDatabase:
        if self.path != ":memory:":
            await asyncio.to_thread(_create_private, self.path)
        conn = await aiosqlite.connect(  # the loop thread runs urgent statements too (_execute)
            self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False)
        conn.row_factory = sqlite3.Row
        if self.path != ":memory:":
            await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")  # durable across crashes in WAL
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._conn = conn
        if self.path != ":memory:":  # an in-memory database is private to its connection
            for _ in range(READERS):
                reader = await aiosqlite.connect(
                    self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
                reader.row_factory = sqlite3.Row
                await reader.execute("PRAGMA query_only = ON")
                self._readers.append(reader)
        return self

    @property
    def conn(self) -> aiosqlite.Connection:
        assert self._conn is not None, "database not open"
        return self._conn

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                # Shielded: a cancelled caller must still leave the connection clean.
                await asyncio.shield(self.conn.execute("ROLLBACK"))
                raise
            else:
                await asyncio.shield(self.conn.execute("COMMIT"))

    async def _execute(self, sql: str, args: tuple[Any, ...], *, fetch: str) -> Any:
        if self._current() is not None:
            if is_urgent():
                # Inside a push's transaction the file's write lock is ours (BEGIN
                # IMMEDIATE, WAL: nothing else can block these statements), and they
                # are indexed look-ups of microseconds. Run here: a hop to the
                # writer's thread and back cost milliseconds once the loop is busy,
                # ten times per push, while every other write waited.
                return _statement(self.conn._conn, for_sqlite(sql), args, fetch)
            return await self._do(sql, args, fetch)
        if self._readers and fetch != "count" and _plain_read(sql):
            # Committed writes are visible: each statement reads the latest snapshot.
            self._next_reader = (self._next_reader + 1) % len(self._readers)
            reader = self._readers[self._next_reader]
            return await reader._execute(  # type: ignore[no-untyped-call]  # aiosqlite's
                _statement, reader._conn, for_sqlite(sql), args, fetch)  # private hop, untyped
        async with self._lock:
            return await asyncio.shield(self._do(sql, args, fetch))

    async def _do(self, sql: str, args: tuple[Any, ...], fetch: str) -> Any:
        # One hop to aiosqlite's thread per statement (execute, fetch and close
        # there): its cursor API costs three, and each hop is a GIL hand-off that
        # the profile showed dominating the push path.
        return await self.conn._execute(  # type: ignore[no-untyped-call]  # aiosqlite's
            _statement, self.conn._conn, for_sqlite(sql), args, fetch)  # private hop, untyped

    async def refresh_statistics(self, *, at_start: bool = False) -> None:
        """Without statistics SQLite's planner picked the ``kind`` index for the
        "last reopened" lookup and walked every reopened event (168 ms at 100k).
        At start: a bounded ANALYZE (analysis_limit samples each index, a few ms
        even at a million messages); then ``PRAGMA optimize``, which re-analyzes
        only the tables that changed a lot since."""
        await self.run(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
        await self.run("ANALYZE" if at_start else "PRAGMA optimize")

    async def ping(self, timeout: float = 0.08) -> bool:
        """On the writer: "busy" means writes cannot get through (a reader would
        answer while another program holds the file's write lock)."""
        async def probe() -> Any:
            with urgent():
                async with self._lock:
                    return await asyncio.shield(self._do("SELECT 1", (), "one"))
        return await self._bounded(probe(), timeout)

    async def close(self) -> None:
        try:
            for reader in self._readers:
                await reader.close()
        finally:  # the writer's thread too, whatever happened to a reader's close
            self._readers.clear()
            if self._conn is not None:
                await self._conn.close()
                self._conn = None


def _plain_read(sql: str) -> bool:
    return sql.lstrip()[:6].upper() == "SELECT"


def _statement(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...], fetch: str) -> Any:
    """Runs on aiosqlite's thread."""
    if fetch == "many":
        return conn.executemany(sql, args).rowcount
    cur = conn.execute(sql, args)
    try:
        if fetch == "one":
            row = cur.fetchone()
            return [row] if row is not None else []
        if fetch == "all":
            return cur.fetchall()
        return cur.rowcount
    finally:
        cur.close()


def _create_private(path: str) -> None:
    """Tokens and buyers' messages live in the file: readable by its owner only.
    SQLite creates the -wal and -shm files with the database file's mode."""
    if not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
