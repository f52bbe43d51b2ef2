"""One async database interface over SQLite and PostgreSQL.

Repositories write SQL once, in the SQLite spelling with ``?`` placeholders;
:mod:`bot.store.dialect` rewrites it for PostgreSQL. Drivers: aiosqlite runs the
one SQLite connection on its own thread (so a locked file never blocks the event
loop); psycopg 3's async pool talks to PostgreSQL natively.

A transaction is ``async with db.tx():``. Statements issued by the task that
opened it join it (nested ``tx()`` joins too); other tasks never see it.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal, Protocol, overload

from bot.store.writer_lock import urgently

Clock = Callable[[], float]


class Row(Protocol):
    """A result row as both drivers give it (sqlite3.Row, PgRow): by index, by
    column name, and unpacked in column order. Values are whatever the column holds."""

    def __getitem__(self, key: int | str) -> Any: ...
    def keys(self) -> list[str]: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...

Fetch = Literal["one", "all", "count", "many"]


class DatabaseBusy(Exception):
    """The database did not answer within the bound the caller gave."""


class _Tx:
    __slots__ = ("conn", "db", "task", "active", "after")

    def __init__(self, db: Database, conn: Any) -> None:
        self.db = db
        self.conn = conn
        self.task = asyncio.current_task()
        self.active = True
        self.after: list[Callable[[], object]] = []  # what they return is ignored


_CURRENT: contextvars.ContextVar[_Tx | None] = contextvars.ContextVar("sb_tx", default=None)


class Database:
    """What repositories use. ``dialect`` is ``"sqlite"`` or ``"postgresql"``."""

    dialect = "sqlite"
    url = ""

    def __init__(self, *, clock: Clock = time.time) -> None:
        self.clock = clock

    # -- statements --------------------------------------------------------------
    async def one(self, sql: str, *args: Any) -> Row | None:
        rows = await self._execute(sql, args, fetch="one")
        return rows[0] if rows else None

    async def existing(self, sql: str, *args: Any) -> Row:
        """The row the caller knows is there (a message's conversation, a row this
        transaction wrote): its absence is a broken invariant, not an answer."""
        row = await self.one(sql, *args)
        if row is None:
            raise LookupError(f"expected a row: {sql.split(' WHERE ')[0]}")
        return row

    async def all(self, sql: str, *args: Any) -> list[Row]:
        return await self._execute(sql, args, fetch="all")

    async def value(self, sql: str, *args: Any) -> Any:
        """The first column of the first row, or None."""
        row = await self.one(sql, *args)
        return row[0] if row is not None else None

    async def run(self, sql: str, *args: Any) -> int:
        """Execute; returns the number of rows changed."""
        return await self._execute(sql, args, fetch="count")

    async def insert(self, sql: str, *args: Any) -> int | None:
        """An INSERT returning the new row's ``id`` (None when it was ignored)."""
        row = await self.one(f"{sql} RETURNING id", *args)
        return int(row[0]) if row is not None else None

    async def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """One statement for each of ``rows``, in one trip to the database (the SLA
        tick's thousands of next-check times once cost a writer hop each)."""
        if not rows:
            return 0
        return await self._execute(sql, tuple(tuple(r) for r in rows), fetch="many")

    async def serialize(self, key: str) -> None:
        """Inside a transaction: wait for any other transaction serialized on ``key``
        to finish. SQLite has one writer already; PostgreSQL takes an advisory lock
        released at commit (a reply's send and its echo push meet here)."""
        if self.dialect == "postgresql":
            await self.value("SELECT pg_advisory_xact_lock(hashtext(?))", key)

    # -- transactions ------------------------------------------------------------
    def _current(self) -> _Tx | None:
        tx = _CURRENT.get()
        if tx is not None and tx.active and tx.db is self and tx.task is asyncio.current_task():
            return tx
        return None

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[None]:
        if self._current() is not None:  # nested: join the outer transaction
            yield
            return
        async with self._begin() as conn:
            tx = _Tx(self, conn)
            token = _CURRENT.set(tx)
            try:
                yield
            finally:
                tx.active = False
                _CURRENT.reset(token)
        for callback in tx.after:  # committed: now others can see what it wrote
            callback()

    def defer(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the current transaction commits (now, outside one;
        never, if it rolls back). Waking a worker inside a transaction would let it
        look before the work it is woken for is visible."""
        tx = self._current()
        if tx is None:
            callback()
        else:
            tx.after.append(callback)

    # -- health ----------------------------------------------------------------------
    async def ping(self, timeout: float = 0.08) -> bool:
        """True when the database answers within ``timeout``; raises DatabaseBusy if
        it does not (a lock held elsewhere), and the driver's error if it is broken."""
        return await self._bounded(urgently(self.value("SELECT 1")), timeout)

    async def _bounded(self, probe: Awaitable[Any], timeout: float) -> bool:
        task = asyncio.ensure_future(probe)
        try:
            result = await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.add_done_callback(_swallow)
            raise DatabaseBusy(f"no answer within {timeout * 1000:.0f} ms") from None
        if isinstance(result, list):  # a fetch="one" result: [row] or []
            result = result[0][0] if result else None
        return bool(result == 1)

    async def refresh_statistics(self, *, at_start: bool = False) -> None:
        """Keep the planner's statistics current. PostgreSQL: autovacuum's
        auto-analyze does it (nothing to do here); SQLite overrides this."""

    # -- backend hooks -------------------------------------------------------------
    def _begin(self) -> Any:  # an async context manager yielding a connection in a tx
        raise NotImplementedError

    # "one" and "all" give rows ("one": [row] or []), "count" the rows changed ("many":
    # args is a tuple of argument tuples, one statement each). The
    # backends implement the last signature; these say what each fetch returns.
    @overload
    async def _execute(self, sql: str, args: tuple[Any, ...], *,
                       fetch: Literal["one", "all"]) -> list[Row]: ...
    @overload
    async def _execute(self, sql: str, args: tuple[Any, ...], *,
                       fetch: Literal["count", "many"]) -> int: ...
    async def _execute(self, sql: str, args: tuple[Any, ...], *, fetch: Fetch) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    def script(self, sql: str) -> Iterator[str]:
        """Split a migration script into statements (no ';' inside literals)."""
        lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
        return (s.strip() for s in "\n".join(lines).split(";") if s.strip())


def _swallow(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
