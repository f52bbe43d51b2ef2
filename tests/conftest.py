"""Run the whole suite on SQLite (default) or PostgreSQL (tests/dbmode.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests import dbmode


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + dbmode.RUN_DB if dbmode.postgres() else 'SQLite'}"


@pytest.fixture(scope="session", autouse=True)
def _run_database() -> Iterator[None]:
    if not dbmode.postgres():
        yield
        return
    dbmode.create_run_database()
    try:
        yield
    finally:
        dbmode.drop_run_database()


@pytest.fixture(autouse=True)
def _database_per_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store a test opens by SQLite path opens its own PostgreSQL schema."""
    if not dbmode.postgres():
        return
    import bot.store as store_module

    real_connect = store_module.connect

    async def connect(target: str, **kwargs: Any) -> Any:
        return await real_connect(dbmode.target_for(target), **kwargs)

    monkeypatch.setattr(store_module, "connect", connect)


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """``storebridge`` commands run in-process configure the root logger onto the
    test's captured stream; later tests must not write to that closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
