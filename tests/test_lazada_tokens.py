"""Authorization, code exchange and refresh against the emulator's token endpoints."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from connectors.base import Tokens
from connectors.errors import AuthError, PermanentError
from connectors.lazada import LazadaConnector
from connectors.lazada.hosts import rest_base
from tests.emulators.lazada import LazadaEmulator, running, store_for
from tests.emulators.lazada_api import SELLER_GET, TOKEN_CREATE, TOKEN_REFRESH
from tests.emulators.tokens import MemoryTokenStore


def connector_for(http: aiohttp.ClientSession, emu: LazadaEmulator,
                  tokens: MemoryTokenStore, **options: Any) -> LazadaConnector:
    return LazadaConnector(http, app_key=emu.app_key, app_secret=emu.app_secret, tokens=tokens,
                           api_url=emu.rest_url, read_timeout=1.0, **options)


def stored(grant, *, access_in: float, refresh_in: float = 86400.0) -> Tokens:
    now = datetime.now(UTC)
    return Tokens(grant.access_token, grant.refresh_token,
                  now + timedelta(seconds=access_in), now + timedelta(seconds=refresh_in))


def test_authorize_url() -> None:
    connector = LazadaConnector(None, app_key="100001", app_secret="s",  # type: ignore[arg-type]
                                tokens=MemoryTokenStore())
    url = connector.authorize_url("https://cs.example.com/oauth/lazada/callback", "st8",
                                  country="MY")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://auth.lazada.com/oauth/authorize")
    assert parse_qs(parts.query) == {
        "response_type": ["code"], "force_auth": ["true"], "client_id": ["100001"],
        "redirect_uri": ["https://cs.example.com/oauth/lazada/callback"], "state": ["st8"],
        "country": ["my"]}


async def test_exchange_code_stores_tokens_and_names_the_seller() -> None:
    async with running() as emu, aiohttp.ClientSession() as http:
        emu.state.add_seller("100094063", user_id="200094063", country="vn")
        code = emu.state.issue_code("100094063")
        tokens = MemoryTokenStore()
        connector = connector_for(http, emu, tokens)
        before = datetime.now(UTC)
        shop_id, got = await connector.exchange_code(code)
        assert shop_id == "100094063"
        assert await tokens.get_tokens("lazada", shop_id) == got
        assert got.access_token in emu.state.grants
        assert got.extra["country"] == "vn" and got.extra["user_id"] == "200094063"
        # expires_in / refresh_expires_in are durations in seconds (30 d / 180 d online).
        assert abs(got.access_expires_at - before - timedelta(days=30)) < timedelta(seconds=5)
        assert abs(got.refresh_expires_at - before - timedelta(days=180)) < timedelta(seconds=5)
        (call,) = emu.calls_to(TOKEN_CREATE)
        assert "access_token" not in call.params and call.params["code"] == code
        with pytest.raises(AuthError) as caught:  # codes are single use
            await connector.exchange_code(code)
        assert caught.value.code == "InvalidCode"


async def test_refresh_ahead_of_expiry_rotates_and_keeps_refresh_expiry() -> None:
    async with running() as emu, aiohttp.ClientSession() as http:
        emu.state.add_seller("100094063")
        grant = emu.grant("100094063", access_ttl=300, refresh_ttl=3600)
        tokens = MemoryTokenStore()
        old = stored(grant, access_in=300, refresh_in=3600)
        await tokens.put_tokens("lazada", "100094063", old)
        connector = connector_for(http, emu, tokens)
        await connector.check(store_for(emu))  # 5 min left < 10 min margin
        new = await tokens.get_tokens("lazada", "100094063")
        assert emu.refresh_calls == 1 and new.access_token != old.access_token
        assert new.refresh_token != old.refresh_token
        assert old.refresh_token not in emu.state.refresh_tokens  # single use
        assert new.refresh_expires_at <= old.refresh_expires_at  # never extended
        assert new.access_expires_at > datetime.now(UTC) + timedelta(days=29)
        (seller_call,) = emu.calls_to(SELLER_GET)
        assert seller_call.params["access_token"] == new.access_token
        await connector.check(store_for(emu))
        assert emu.refresh_calls == 1  # fresh now


async def test_no_refresh_outside_the_margin_and_credentials_fallback() -> None:
    async with running() as emu, aiohttp.ClientSession() as http:
        emu.state.add_seller("100094063")
        grant = emu.grant("100094063")
        tokens = MemoryTokenStore()
        connector = connector_for(http, emu, tokens)
        await connector.check(store_for(emu, grant))  # from StoreAccount.credentials
        assert emu.calls_to(SELLER_GET)[0].params["access_token"] == grant.access_token
        assert emu.refresh_calls == 0 and len(tokens.puts) == 0
        with pytest.raises(AuthError):
            await connector.check(store_for(emu))  # neither stored nor configured


async def test_invalid_access_token_refreshes_and_retries_once() -> None:
    async with running() as emu, aiohttp.ClientSession() as http:
        emu.state.add_seller("100094063")
        grant = emu.grant("100094063")
        del emu.state.grants[grant.access_token]  # revoked before its stated expiry
        tokens = MemoryTokenStore()
        connector = connector_for(http, emu, tokens)
        await connector.check(store_for(emu, grant))
        calls = [c.api for c in emu.calls]
        assert calls == [SELLER_GET, TOKEN_REFRESH, SELLER_GET]
        assert (await tokens.get_tokens("lazada", "100094063")).access_token in emu.state.grants


async def test_concurrent_calls_spend_the_refresh_token_once() -> None:
    async with running() as emu, aiohttp.ClientSession() as http:
        emu.state.add_seller("100094063")
        grant = emu.grant("100094063", access_ttl=60)
        tokens = MemoryTokenStore()
        await tokens.put_tokens("lazada", "100094063", stored(grant, access_in=60))
        connector = connector_for(http, emu, tokens)
        await asyncio.gather(*(connector.check(store_for(emu)) for _ in range(6)))
        assert emu.refresh_calls == 1 and len(emu.calls_to(SELLER_GET)) == 6
        # The same when every call learns of the bad token from the API itself.
        current = await tokens.get_tokens("lazada", "100094063")
        del emu.state.grants[current.access_token]
        await asyncio.gather(*(connector.check(store_for(emu)) for _ in range(6)))
        assert emu.refresh_calls == 2


async def test_refresh_failures() -> None:
    async with running() as emu, aiohttp.ClientSession() as http:
        emu.state.add_seller("100094063")
        grant = emu.grant("100094063", access_ttl=60)
        tokens = MemoryTokenStore()
        ahead = timedelta(0)
        connector = connector_for(http, emu, tokens, clock=lambda: datetime.now(UTC) + ahead)
        store = store_for(emu)
        # A passing outage while the old token still works: carry on with it, and
        # try the refresh again after a pause, not at once.
        await tokens.put_tokens("lazada", "100094063", stored(grant, access_in=300))
        emu.fail_next(TOKEN_REFRESH, "ServiceUnavailable")
        await connector.check(store)
        await connector.check(store)
        assert len(emu.calls_to(TOKEN_REFRESH)) == 1 and len(tokens.puts) == 1
        ahead = timedelta(seconds=60)
        # A refused refresh token is permanent.
        del emu.state.refresh_tokens[grant.refresh_token]
        with pytest.raises(AuthError) as caught:
            await connector.check(store)
        assert caught.value.code == "IllegalRefreshToken"
        assert "reconnect" in caught.value.user_message
        # An expired refresh token is not even tried.
        await tokens.put_tokens("lazada", "100094063",
                          stored(grant, access_in=-1, refresh_in=-1))
        calls = len(emu.calls)
        with pytest.raises(AuthError):
            await connector.check(store)
        assert len(emu.calls) == calls


async def test_from_env_and_api_url_precedence() -> None:
    async with running() as emu, aiohttp.ClientSession() as http:
        emu.state.add_seller("100094063")
        grant = emu.grant("100094063")
        env = {"LAZADA_APP_KEY": emu.app_key, "LAZADA_APP_SECRET": emu.app_secret,
               "LAZADA_API_URL": emu.rest_url + "/"}
        connector = LazadaConnector.from_env(http, env, MemoryTokenStore(), read_timeout=1.0)
        await connector.check(store_for(emu, grant))  # site SG, but the env override wins
        dead = {**env, "LAZADA_API_URL": "http://127.0.0.1:9/rest"}
        connector = LazadaConnector.from_env(http, dead, MemoryTokenStore(), read_timeout=1.0)
        await connector.check(store_for(emu, grant, api_url=emu.rest_url))  # the store wins
        assert len(emu.calls_to(SELLER_GET)) == 2
        with pytest.raises(ValueError, match="LAZADA_APP_SECRET"):
            LazadaConnector.from_env(http, {"LAZADA_APP_KEY": "1"}, MemoryTokenStore())


def test_regional_hosts() -> None:
    assert rest_base("my") == "https://api.lazada.com.my/rest"
    assert rest_base("TH") == "https://api.lazada.co.th/rest"
    assert rest_base("SG", None, "https://proxy.test/rest/") == "https://proxy.test/rest"
    with pytest.raises(PermanentError):
        rest_base("BR")
