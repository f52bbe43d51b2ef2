"""Migrations: old databases upgrade in place, newer ones are refused in words, and
two workers starting together on an empty database both come up."""

from __future__ import annotations

import asyncio
import importlib
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.demo.marketplace import SandboxMarketplace
from bot.store import Store
from bot.store.migrate import schema_version
from bot.store.schema import MIGRATIONS
from tests.dbmode import env_for, target_for
from tests.harness import seed
from tests.test_crash_recovery import write_config
from tests.worker_process import free_port

ROOT = Path(__file__).parents[1]
# The module, not the function bot.store re-exports under the same name.
migrate_module = importlib.import_module("bot.store.migrate")
V4 = 4


async def _seed_v4_rows(store: Store) -> None:
    await store.books.upsert_store("shopee:sg-1", platform="shopee", connector="sandbox",
                                   shop_id="sg-1", site="SG", name="Kopi", nickname=None,
                                   channel_ref="#cs-shopee-sg", group_name=None)
    await store.books.save_cursor("shopee:sg-1", "cursor-41")


def test_sqlite_file_at_v4_upgrades_in_place(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A file written by the release before workers (v4), with plain sqlite3 as that
    release did, is upgraded where it lies and keeps what it held."""
    monkeypatch.undo()  # an SQLite file on both test runs
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        for script in MIGRATIONS[:V4]:
            conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {V4}")
        conn.execute("INSERT INTO stores (key, platform, connector, shop_id, site, name, "
                     "channel_ref) VALUES ('shopee:sg-1', 'shopee', 'sandbox', 'sg-1', 'SG', "
                     "'Kopi', '#cs-shopee-sg')")
        conn.execute("INSERT INTO cursors (store_key, cursor, updated_at) "
                     "VALUES ('shopee:sg-1', 'cursor-41', 1.0)")
    conn.close()

    async def upgrade() -> None:
        store = await Store.open(str(path))
        try:
            assert await schema_version(store.database) == len(MIGRATIONS) > V4
            assert await store.books.cursor("shopee:sg-1") == "cursor-41"
            assert await store.leases.acquire("probe", "me", 5.0) is not None  # v5 table
        finally:
            await store.close()

    asyncio.run(upgrade())


async def test_v4_database_upgrades_on_this_backend(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = str(tmp_path / "v4.db")
    monkeypatch.setattr(migrate_module, "MIGRATIONS", MIGRATIONS[:V4])
    old = await Store.open(target)
    assert await schema_version(old.database) == V4
    await _seed_v4_rows(old)
    await old.close()
    monkeypatch.setattr(migrate_module, "MIGRATIONS", MIGRATIONS)
    store = await Store.open(target)
    try:
        assert await schema_version(store.database) == len(MIGRATIONS)
        assert await store.books.cursor("shopee:sg-1") == "cursor-41"
    finally:
        await store.close()


async def _bump_past_known(target: str) -> None:
    store = await Store.open(target)
    newer = len(MIGRATIONS) + 1
    if store.database.dialect == "sqlite":
        await store.database.run(f"PRAGMA user_version = {newer}")
    else:
        await store.database.run("INSERT INTO schema_version (version, applied_at) "
                                 "VALUES (?, 0)", newer)
    await store.close()


async def _storebridge(tmp_path: Path, *args: str, env: dict[str, str],
                       timeout: float = 30) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT,
        env={**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s",
             "SLACK_API_URL": "http://127.0.0.1:9/api/", "PORT": str(free_port()),
             "HOST": "127.0.0.1",
             "STOREBRIDGE_CONFIG": str(tmp_path / "storebridge.yml"), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_newer_database_is_refused_by_run_and_check(tmp_path: Path) -> None:
    path = str(tmp_path / "future.db")
    await _bump_past_known(path)
    async with SandboxMarketplace() as market:
        seed(market)
        write_config(tmp_path / "storebridge.yml", market, "U01AGENT1")
        code, out = await _storebridge(tmp_path, "run", env=env_for(path))
        assert code == 2, out
        assert f"schema version {len(MIGRATIONS) + 1}, newer than this StoreBridge" in out
        assert "Traceback" not in out
        code, out = await _storebridge(tmp_path, "check", env=env_for(path))
        assert code == 1
        assert "✗ database" in out and "newer than this StoreBridge" in out


async def test_two_processes_migrating_one_empty_database_both_succeed(
        tmp_path: Path) -> None:
    target = target_for(str(tmp_path / "race.db"))
    code = ("import asyncio, sys\nfrom bot.store import Store\n"
            "async def go():\n    s = await Store.open(sys.argv[1]); await s.close()\n"
            "asyncio.run(go())\nprint('migrated')")
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, target, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT) for _ in range(2)]
    outs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 60)
    for proc, (out, _) in zip(procs, outs, strict=True):
        assert proc.returncode == 0 and b"migrated" in out, out.decode()
    store = await Store.open(target)
    try:
        assert await schema_version(store.database) == len(MIGRATIONS)
        if store.database.dialect == "postgresql":  # each version applied exactly once
            assert await store.database.value("SELECT COUNT(*) FROM schema_version") == \
                len(MIGRATIONS)
    finally:
        await store.close()


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


async def test_second_run_on_one_sqlite_file_is_refused_naming_the_holder(
        tmp_path: Path) -> None:
    """SQLite serves one process, whichever backend the rest of the suite runs on."""
    path = str(tmp_path / "one.db")
    async with SandboxMarketplace() as market:
        seed(market)
        write_config(tmp_path / "storebridge.yml", market, "U01AGENT1")
        first = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT,
            env={**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s",
                 "SLACK_API_URL": "http://127.0.0.1:9/api/", "PORT": str(free_port()),
                 "HOST": "127.0.0.1", "STOREBRIDGE_DB": path,
                 "STOREBRIDGE_CONFIG": str(tmp_path / "storebridge.yml")},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        lock = Path(f"{path}.lock")
        try:
            for _ in range(400):  # until the first process has taken the file
                if f'"pid": {first.pid}' in await asyncio.to_thread(_read, lock):
                    break
                await asyncio.sleep(0.05)
            code, out = await _storebridge(tmp_path, "run", env={"STOREBRIDGE_DB": path})
            assert code == 2, out
            assert f"pid {first.pid} on " in out and "already running" in out
            assert "DATABASE_URL" in out and "Traceback" not in out
        finally:
            first.terminate()
            await first.wait()
