"""Schema migrations for both dialects from one versioned list, applied under a
lock so two workers starting together do not race."""

from __future__ import annotations

from bot.store.db import Database
from bot.store.dialect import ddl_for_postgres
from bot.store.schema import MIGRATIONS

#: Any fixed number: the advisory lock every worker takes to migrate.
MIGRATION_LOCK = 7_411_052


class SchemaTooNew(RuntimeError):
    pass


async def schema_version(db: Database) -> int:
    if db.dialect == "sqlite":
        return int(await db.value("PRAGMA user_version") or 0)
    exists = await db.value("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await db.value("SELECT MAX(version) FROM schema_version") or 0)


async def migrate(db: Database) -> int:
    """Bring the schema to the newest version; returns it. A database written by a
    newer StoreBridge is refused rather than guessed at."""
    known = len(MIGRATIONS)
    async with db.tx():
        if db.dialect == "postgresql":
            await db.value("SELECT pg_advisory_xact_lock(?)", MIGRATION_LOCK)
            await db.run(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
            )
        # SQLite: BEGIN IMMEDIATE already excludes every other writer.
        current = await schema_version(db)
        if current > known:
            raise SchemaTooNew(
                f"the database is at schema version {current}, newer than this StoreBridge "
                f"knows (up to {known}): run the StoreBridge version that wrote it, or a "
                "newer one"
            )
        for number, script in enumerate(MIGRATIONS, start=1):
            if number <= current:
                continue
            for statement in db.script(script):
                if db.dialect == "postgresql":
                    statement = ddl_for_postgres(statement)
                await db.run(statement)
            if db.dialect == "sqlite":
                await db.run(f"PRAGMA user_version = {number}")
            else:
                await db.run(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    number,
                    db.clock(),
                )
    return known
