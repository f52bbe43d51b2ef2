"""Schema migrations. Each entry upgrades the database by one version; a new
version is appended here, never edited, so old databases upgrade in order. The
settled ones live in :mod:`bot.store.migrations`, a module per group."""

from __future__ import annotations

from bot.store.migrations import v01, v02_04, v05_11

MIGRATIONS: tuple[str, ...] = (
    *v01.MIGRATIONS,  # 1
    *v02_04.MIGRATIONS,  # 2-4
    *v05_11.MIGRATIONS,  # 5-11
    # 12 on: appended below.
)
