"""Marketplace tokens sealed in the database; private database files; /healthz detail
only for the holder of the health token."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from cryptography.fernet import Fernet

from bot.store import SecretKeyError, Store, TokenCipher
from bot.store.token_cipher import MAKE_KEY
from connectors.base import Tokens
from connectors.models import ShopId
from tests.dbmode import env_for, postgres, target_for
from tests.harness import HEALTH_AUTH, running_bridge

SECRET = Tokens(access_token="acc-5f1e-very-secret", refresh_token="ref-77aa-also-secret",
                extra={"shop_cipher": "ROW_x"})
REPO = Path(__file__).parents[1]


async def opened(tmp_path: Path, keys: str | None) -> Store:
    return await Store.open(target_for(str(tmp_path / "t.db")), cipher=TokenCipher(keys))


async def raw_rows(store: Store) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in await store.database.all(
        "SELECT access_token, refresh_token FROM tokens ORDER BY shop_id")]


async def test_the_database_holds_ciphertext_not_the_token(tmp_path: Path) -> None:
    store = await opened(tmp_path, Fernet.generate_key().decode())
    try:
        await store.books.put_tokens("shopee", ShopId("1"), SECRET)
        ((access, refresh),) = await raw_rows(store)
        for sealed, plain in ((access, SECRET.access_token), (refresh, SECRET.refresh_token)):
            assert sealed.startswith("fernet:") and plain not in sealed
        assert await store.books.get_tokens("shopee", ShopId("1")) == SECRET
    finally:
        await store.close()


async def test_rotation_reads_old_rows_and_start_reseals_them(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    store = await opened(tmp_path, old)
    await store.books.put_tokens("lazada", ShopId("1"), SECRET)
    await store.close()
    store = await opened(tmp_path, f"{new}, {old}")  # the new key first: it encrypts
    try:
        assert await store.books.get_tokens("lazada", ShopId("1")) == SECRET
        assert await store.credentials.seal_tokens() == 1
        assert await store.credentials.seal_tokens() == 0  # already under the first key
    finally:
        await store.close()
    store = await opened(tmp_path, new)  # the old key may go now
    try:
        assert await store.books.get_tokens("lazada", ShopId("1")) == SECRET
    finally:
        await store.close()


async def test_plaintext_rows_from_before_are_read_and_sealed_at_start(tmp_path: Path) -> None:
    store = await opened(tmp_path, None)
    await store.database.run(
        "INSERT INTO tokens (platform, shop_id, access_token, refresh_token, extra, updated_at) "
        "VALUES ('tiktok', '9', 'plain-access', '', '{}', 0)")
    await store.close()
    store = await opened(tmp_path, Fernet.generate_key().decode())
    try:
        got = await store.books.get_tokens("tiktok", ShopId("9"))
        assert got is not None and got.access_token == "plain-access"
        assert await store.credentials.seal_tokens() == 1
        ((access, refresh),) = await raw_rows(store)
        assert access.startswith("fernet:") and "plain-access" not in access
        assert refresh == ""  # no refresh token stays no refresh token
        assert (await store.books.get_tokens("tiktok", ShopId("9"))) == got
    finally:
        await store.close()


async def test_a_wrong_or_missing_key_is_a_clear_refusal(tmp_path: Path) -> None:
    store = await opened(tmp_path, Fernet.generate_key().decode())
    await store.books.put_tokens("shopee", ShopId("1"), SECRET)
    await store.close()
    store = await opened(tmp_path, Fernet.generate_key().decode())
    try:
        with pytest.raises(SecretKeyError, match="encrypted with another key"):
            await store.books.get_tokens("shopee", ShopId("1"))
        with pytest.raises(SecretKeyError, match="encrypted with another key"):
            await store.credentials.seal_tokens()
    finally:
        await store.close()
    store = await opened(tmp_path, None)
    try:
        with pytest.raises(SecretKeyError, match="is not set") as e:
            await store.books.put_tokens("shopee", ShopId("2"), SECRET)
        assert MAKE_KEY in str(e.value)
        assert await store.books.get_tokens("shopee", ShopId("2")) is None
    finally:
        await store.close()
    with pytest.raises(SecretKeyError, match="neither a Fernet key") as e:
        TokenCipher("not-a-key")
    assert MAKE_KEY in str(e.value)


async def test_a_generated_platform_secret_works_as_a_key(tmp_path: Path) -> None:
    """app.json's "generator": "secret" gives 64 hex characters, not a Fernet key."""
    secret = os.urandom(32).hex()
    store = await opened(tmp_path, secret)
    try:
        await store.books.put_tokens("shopee", ShopId("1"), SECRET)
    finally:
        await store.close()
    store = await opened(tmp_path, f"{Fernet.generate_key().decode()},{secret}")
    try:
        assert await store.books.get_tokens("shopee", ShopId("1")) == SECRET
    finally:
        await store.close()
    with pytest.raises(SecretKeyError, match="encrypted with another key"):
        TokenCipher(os.urandom(32).hex()).open(
            TokenCipher(secret).seal("x"))


def run_service(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "sb.yml"
    cfg.write_text("stores:\n  - {platform: shopee, shop_id: '600123456', site: SG, "
                   "name: Shop, channel: '#cs'}\n")
    full = {"PATH": "/usr/bin:/bin", **env_for(str(tmp_path / "t.db")),
            "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "1",
            "SHOPEE_PARTNER_ID": "1", "SHOPEE_PARTNER_KEY": "k", **env}
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "run"],
                          capture_output=True, text=True, env=full, cwd=REPO, timeout=60)


async def test_run_refuses_without_a_key_or_with_the_wrong_one(tmp_path: Path) -> None:
    proc = run_service(tmp_path)
    assert proc.returncode == 2 and "STOREBRIDGE_SECRET_KEY is not set" in proc.stderr
    assert MAKE_KEY in proc.stderr and "Traceback" not in proc.stderr
    proc = run_service(tmp_path, STOREBRIDGE_SECRET_KEY="short")
    assert proc.returncode == 2 and "neither a Fernet key" in proc.stderr
    assert "Traceback" not in proc.stderr
    store = await opened(tmp_path, Fernet.generate_key().decode())
    await store.books.put_tokens("shopee", ShopId("600123456"), SECRET)
    await store.close()
    proc = run_service(tmp_path, STOREBRIDGE_SECRET_KEY=Fernet.generate_key().decode())
    assert proc.returncode == 2 and "encrypted with another key" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(postgres(), reason="file modes are SQLite's; PostgreSQL keeps its own")
async def test_sqlite_files_are_private_wal_and_shm_too(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask, under which files come out 0644
    try:
        store = await opened(tmp_path, Fernet.generate_key().decode())
        try:
            await store.books.put_tokens("shopee", ShopId("1"), SECRET)
            files = [tmp_path / name for name in ("t.db", "t.db-wal", "t.db-shm")]
            assert all(f.exists() for f in files)
            for f in files:
                assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        finally:
            await store.close()
    finally:
        os.umask(previous)


async def test_healthz_detail_needs_the_health_token(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b, aiohttp.ClientSession() as http:
        url = f"{b.base_url}/healthz"
        for headers in ({}, {"Authorization": "Bearer wrong"},
                        {"Authorization": HEALTH_AUTH["Authorization"].replace("Bearer",
                                                                               "Basic")}):
            async with http.get(url, headers=headers) as r:
                assert r.status == 200 and await r.json() == {"status": "ok", "database": "ok"}
        async with http.get(url, headers=HEALTH_AUTH) as r:
            detail = await r.json()
            assert r.status == 200 and "shopee:sg-1" in detail["stores"]
            assert {"slack", "replies", "workers"} <= set(detail)

        async def broken(timeout: float = 0.08) -> bool:
            return False

        b.service.store.ping = broken  # type: ignore[method-assign]
        async with http.get(url) as r:
            assert r.status == 503
            assert await r.json() == {"status": "degraded", "database": "error"}
        async with http.get(url, headers=HEALTH_AUTH) as r:
            assert r.status == 503 and "slack" in await r.json()


async def test_without_a_health_token_nobody_sees_detail(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, env={"STOREBRIDGE_HEALTH_TOKEN": ""}) as b, \
            aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": "Bearer "}):
            async with http.get(f"{b.base_url}/healthz", headers=headers) as r:
                assert await r.json() == {"status": "ok", "database": "ok"}
