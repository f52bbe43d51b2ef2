"""PostgreSQL through psycopg 3's async pool (native asyncio, no threads).

psycopg rather than asyncpg: it speaks the same DB-API shape as sqlite3, so one
repository serves both backends with the placeholder rewrite in
:mod:`bot.store.dialect`; asyncpg would need ``$n`` SQL and its own row type.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool

from bot.store.db import Clock, Database
from bot.store.dialect import for_postgres
from bot.store.writer_lock import is_urgent

URGENT_CONNECTIONS = 4  # per worker, beside the pool's max_size


class PgRow:
    """Index and key access, like sqlite3.Row."""

    __slots__ = ("_values", "_index")

    def __init__(self, values: Sequence[Any], index: dict[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._index)

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)


def _rows(cursor: AsyncCursor[Any]) -> RowMaker[PgRow]:
    index = {c.name: i for i, c in enumerate(cursor.description or ())}
    return lambda values: PgRow(values, index)


class _NumberLoader(Loader):
    """SUM() of integers is NUMERIC in PostgreSQL: an int when whole (as SQLite
    gives), a float otherwise (AVG and friends)."""

    def load(self, data: Buffer) -> int | float:
        text = bytes(data).decode()
        if "." in text or "e" in text.lower() or text.lower() == "nan":
            return float(text)
        return int(text)


async def _configure(conn: AsyncConnection[Any]) -> None:
    conn.adapters.register_loader("numeric", _NumberLoader)


class PostgresDatabase(Database):
    dialect = "postgresql"

    def __init__(self, url: str, *, clock: Clock = time.time, max_size: int = 10) -> None:
        super().__init__(clock=clock)
        self.url = url
        self.pool = self._make_pool(url, max_size)
        #: Work a caller waits on (a push, a Slack request, /healthz: see
        #: bot/store/writer_lock.py) has connections of its own, so it never queues
        #: behind the SLA tick, App Home's reads or the outbox for one of the pool's.
        self.urgent_pool = self._make_pool(url, URGENT_CONNECTIONS)

    @staticmethod
    def _make_pool(url: str, max_size: int) -> AsyncConnectionPool[AsyncConnection[Any]]:
        return AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            configure=_configure,
            kwargs={"autocommit": True, "row_factory": _rows},
            timeout=30,
        )

    async def open(self) -> PostgresDatabase:
        await self.pool.open(wait=True, timeout=15)
        await self.urgent_pool.open(wait=True, timeout=15)
        return self

    def _pool(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        return self.urgent_pool if is_urgent() else self.pool

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection[Any]]:
        async with self._pool().connection() as conn, conn.transaction():
            yield conn

    async def _execute(self, sql: str, args: tuple[Any, ...], *, fetch: str) -> Any:
        tx = self._current()
        if tx is not None:
            return await self._do(tx.conn, sql, args, fetch)
        async with self._pool().connection() as conn:
            return await self._do(conn, sql, args, fetch)

    @staticmethod
    async def _do(conn: AsyncConnection[Any], sql: str, args: tuple[Any, ...], fetch: str) -> Any:
        if fetch == "many":  # psycopg pipelines the statements: one round trip
            async with conn.cursor() as many:
                await many.executemany(for_postgres(sql), args)
                return many.rowcount
        cur = await conn.execute(for_postgres(sql), args)
        if fetch == "one":
            row = await cur.fetchone()
            return [row] if row is not None else []
        if fetch == "all":
            return await cur.fetchall()
        return cur.rowcount

    async def close(self) -> None:
        await self.urgent_pool.close()
        await self.pool.close()
