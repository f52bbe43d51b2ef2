"""The SQLite connection: WAL, explicit transactions, migrations."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlite_utils

from bot.store.schema import MIGRATIONS

Clock = Callable[[], float]


class Database:
    """Owns one connection. Writes go through :meth:`tx` (``BEGIN IMMEDIATE``) so a
    claim and the side effects it schedules commit together or not at all."""

    def __init__(self, path: str, *, clock: Clock = time.time) -> None:
        self.path = path
        self.clock = clock
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                               timeout=30.0)
        conn.row_factory = sqlite3.Row
        self.db = sqlite_utils.Database(conn)
        self.conn = conn
        if path != ":memory:":
            self.db.enable_wal()
        conn.execute("PRAGMA synchronous = NORMAL")  # durable across process crashes in WAL
        conn.execute("PRAGMA foreign_keys = ON")
        self._depth = 0
        self.migrate()

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        for number, script in enumerate(MIGRATIONS, start=1):
            if self.version >= number:
                continue
            with self.tx():
                for statement in _statements(script):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        if self._depth:  # nested: join the outer transaction
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        return self.conn.execute(sql, args).fetchone()

    def all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return self.conn.execute(sql, args).fetchall()

    def run(self, sql: str, *args: Any) -> sqlite3.Cursor:
        return self.conn.execute(sql, args)

    def close(self) -> None:
        self.conn.close()


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT our transaction; split on ';' instead (the
    # schema has no ';' inside literals).
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
