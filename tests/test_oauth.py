"""Store authorization: the link out, the redirect back, tokens in the database."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest

from bot import oauth
from connectors.models import ShopId
from tests.dbmode import env_for, target_for
from tests.emulators.lazada import running as lazada_running
from tests.emulators.shopee_app import ShopeeEmulator
from tests.emulators.tiktok_server import APP_KEY, APP_SECRET, TikTokEmulator
from tests.harness import running_bridge


@asynccontextmanager
async def platform(name: str) -> AsyncIterator[tuple[dict[str, str], object, str]]:
    """(environment for StoreBridge, a function issuing a code, shop id)."""
    if name == "shopee":
        emu = ShopeeEmulator(clock=time.time)
        await emu.start()
        emu.add_shop(600123456, region="SG")
        try:
            yield ({"SHOPEE_PARTNER_ID": str(emu.partner_id),
                    "SHOPEE_PARTNER_KEY": emu.partner_key, "SHOPEE_API_URL": emu.base_url},
                   lambda: emu.tokens.new_code([600123456]), "600123456")
        finally:
            await emu.close()
    elif name == "lazada":
        async with lazada_running() as emu:
            seller = emu.state.add_seller("100094063", country="my")
            yield ({"LAZADA_APP_KEY": emu.app_key, "LAZADA_APP_SECRET": emu.app_secret,
                    "LAZADA_API_URL": emu.rest_url},
                   lambda: emu.state.issue_code(seller.seller_id), "100094063")
    else:
        emu = TikTokEmulator()
        await emu.start()
        shop = emu.state.add_shop("7494049642642441621", cipher="ROW_cipher")
        try:
            yield ({"TIKTOK_APP_KEY": APP_KEY, "TIKTOK_APP_SECRET": APP_SECRET,
                    "TIKTOK_API_URL": emu.url},
                   lambda: emu.state.issue_auth_code((shop.id,)), shop.id)
        finally:
            await emu.stop()


@pytest.mark.parametrize("name", ["shopee", "lazada", "tiktok"])
async def test_authorize_link_and_callback_store_tokens(tmp_path: Path, name: str) -> None:
    async with platform(name) as (env, new_code, shop_id):
        async with running_bridge(tmp_path, public_url="https://cs.example.com",
                                  env={**env, "SANDBOX_SEND_TIMEOUT": "0.5"}) as b, \
                aiohttp.ClientSession() as http:
            link = await oauth.authorize_link(b.service.settings, b.store, http, name)
            states = [r[0] for r in await b.store.database.all("SELECT state FROM oauth_states")]
            assert len(states) == 1 and states[0] in link
            if name != "tiktok":  # TikTok uses the redirect registered in Partner Center
                assert "cs.example.com%2Foauth%2F" + name in link or \
                    f"cs.example.com/oauth/{name}" in link
            callback = f"{b.base_url}/oauth/{name}/callback"
            query = {"code": new_code(), "state": states[0], "shop_id": shop_id}
            async with http.get(callback, params=query) as r:
                page = await r.text()
                assert r.status == 200, page
            assert shop_id in page and "storebridge.yml" in page
            tokens = await b.store.books.get_tokens(name, ShopId(shop_id))
            assert tokens is not None and tokens.access_token
            # The state is spent: replaying the redirect is refused.
            async with http.get(callback, params=query) as r:
                assert r.status == 400 and "expired or was not issued" in await r.text()


async def test_forged_state_and_declined_authorization(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, public_url="https://cs.example.com") as b, \
            aiohttp.ClientSession() as http:
        url = f"{b.base_url}/oauth/lazada/callback"
        async with http.get(url, params={"code": "x", "state": "forged"}) as r:
            assert r.status == 400
        async with http.get(f"{b.base_url}/oauth/ebay/callback") as r:
            assert r.status == 404


def test_cli_authorize_needs_a_key_and_a_public_url_and_binds_the_store(
        tmp_path: Path) -> None:
    import asyncio
    import subprocess
    import sys

    from cryptography.fernet import Fernet

    from bot.store import Store

    cfg = tmp_path / "sb.yml"
    cfg.write_text("stores:\n  - {platform: lazada, shop_id: '100094063', "
                   "seller_id: '100094063', site: MY, name: Shop, channel: '#cs'}\n")
    db = str(tmp_path / "x.db")
    env = {"PATH": "/usr/bin:/bin", **env_for(db),
           "LAZADA_APP_KEY": "k", "LAZADA_APP_SECRET": "s"}

    def authorize(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "stores",
                               "authorize", "lazada", *args], capture_output=True, text=True,
                              env=env, cwd=Path(__file__).parents[1], timeout=60)

    proc = authorize()
    assert proc.returncode == 2 and "STOREBRIDGE_SECRET_KEY is not set" in proc.stderr
    assert "Fernet.generate_key()" in proc.stderr
    env["STOREBRIDGE_SECRET_KEY"] = Fernet.generate_key().decode()
    proc = authorize()
    assert proc.returncode == 2 and "STOREBRIDGE_PUBLIC_URL" in proc.stderr
    env["STOREBRIDGE_PUBLIC_URL"] = "https://cs.example.com"
    proc = authorize("lazada:999")
    assert proc.returncode == 2 and "no lazada store 'lazada:999'" in proc.stderr
    proc = authorize("lazada:100094063")
    assert proc.returncode == 0, proc.stderr
    assert "seller of store lazada:100094063" in proc.stdout
    link = next(line for line in proc.stdout.splitlines() if line.startswith("https://"))
    q = parse_qs(urlparse(link).query)
    assert q["client_id"] == ["k"] and q["state"]

    async def bound() -> tuple[str, str, str]:
        store = await Store.open(target_for(db))
        try:
            row = await store.database.one("SELECT platform, store_key, issued_by "
                                           "FROM oauth_states WHERE state = ?", q["state"][0])
            return row[0], row[1], row[2]
        finally:
            await store.close()

    platform, key, issuer = asyncio.run(bound())
    assert (platform, key) == ("lazada", "lazada:100094063") and "(command line)" in issuer
