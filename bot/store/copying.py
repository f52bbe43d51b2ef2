"""The target side of ``storebridge db copy``: bulk writes with ids kept.

Table and column names come from the schema (never from users); they are still
checked to be plain identifiers before they are written into SQL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.store.db import Database

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a table or column name: {name!r}")
    return f'"{name}"'


class Copying:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def non_empty(self, tables: Sequence[str]) -> list[str]:
        """Those of ``tables`` that already hold a row (missing ones count as empty)."""
        present = set(await self.tables())
        return [t for t in tables
                if t in present and await self.db.value(
                    f"SELECT 1 FROM {_ident(t)} LIMIT 1") is not None]

    async def tables(self) -> list[str]:
        if self.db.dialect == "sqlite":
            rows = await self.db.all("SELECT name FROM sqlite_master WHERE type = 'table'")
        else:
            rows = await self.db.all(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()")
        return [str(r[0]) for r in rows]

    async def columns(self, table: str) -> set[str]:
        if self.db.dialect == "sqlite":
            _ident(table)
            rows = await self.db.all("SELECT name FROM pragma_table_info(?)", table)
        else:
            rows = await self.db.all(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ?", table)
        return {str(r[0]) for r in rows}

    async def insert(self, table: str, columns: Sequence[str],
                     rows: Sequence[Sequence[object]]) -> None:
        names = ", ".join(_ident(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        await self.db.many(f"INSERT INTO {_ident(table)} ({names}) VALUES ({marks})", rows)

    async def reset_sequences(self, tables: Sequence[str]) -> None:
        """PostgreSQL: set every id sequence past the copied ids, so the next row
        gets a fresh id (SQLite keeps its own counter from the ids written)."""
        if self.db.dialect != "postgresql":
            return
        for table in tables:
            if "id" not in await self.columns(table):
                continue
            sequence = await self.db.value("SELECT pg_get_serial_sequence(?, 'id')", table)
            if sequence is None:
                continue
            await self.db.value(
                f"SELECT setval(?, COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
                f"FROM {_ident(table)}", sequence)
