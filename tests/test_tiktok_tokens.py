"""Authorization link, code exchange, refresh rules, per-shop refresh lock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from connectors.base import Tokens
from connectors.errors import AuthError
from connectors.models import ShopId, StoreAccount
from connectors.tiktok import TikTokConnector
from connectors.tiktok.tokens import authorize_url, tokens_from_grant
from tests.emulators.tiktok import (
    APP_KEY,
    APP_SECRET,
    TikTokEmulator,
    TikTokHarness,
    harness,
)
from tests.emulators.tokens import MemoryTokenStore


@pytest.fixture
async def h() -> AsyncIterator[TikTokHarness]:
    async with aiohttp.ClientSession() as session, harness(session) as hh:
        yield hh


def test_authorize_links() -> None:
    assert authorize_url(app_key="ak", state="s 1", service_id="7172", site="SG") \
        == "https://services.tiktokshop.com/open/authorize?service_id=7172&state=s+1"
    assert authorize_url(app_key="ak", state="s", service_id="7172", site="us") \
        .startswith("https://services.us.tiktokshop.com/open/authorize?")
    assert authorize_url(app_key="ak", state="s") \
        == "https://auth.tiktok-shops.com/oauth/authorize?app_key=ak&state=s"


def test_expiry_fields_are_absolute_timestamps() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    t = tokens_from_grant({"access_token": "a", "refresh_token": "r",
                           "access_token_expire_in": 1704672000,
                           "refresh_token_expire_in": 1735689600}, now=now)
    assert t.access_expires_at == datetime(2024, 1, 8, tzinfo=UTC)
    assert t.refresh_expires_at == datetime(2025, 1, 1, tzinfo=UTC)


async def test_exchange_code_finds_shop_and_cipher(h: TikTokHarness) -> None:
    other = h.emulator.state.add_shop(region="MY")
    code = h.emulator.state.issue_auth_code((h.shop.id, other.id))
    shop_id, tokens = await h.connector.exchange_code(code, other.id)
    assert shop_id == other.id and tokens.extra["shop_cipher"] == other.cipher
    assert tokens.access_expires_at is not None and tokens.access_expires_at > datetime.now(UTC)
    assert (await h.tokens.get_tokens("tiktok",
                                      ShopId(h.shop.id))).extra["shop_cipher"] == h.shop.cipher
    seen = [s for s in h.emulator.seen if s.endpoint == "token_get"][0]
    assert seen.method == "GET" and seen.query["grant_type"] == "authorized_code"
    assert seen.query["app_secret"] == APP_SECRET and seen.query["auth_code"] == code
    shops_call = [s for s in h.emulator.seen if s.endpoint == "shops"][0]
    assert "shop_cipher" not in shops_call.query
    with pytest.raises(AuthError):  # single-use
        await h.connector.exchange_code(code)


async def test_refresh_ahead_of_expiry_and_rotation(h: TikTokHarness) -> None:
    creds = h.store.credentials
    soon = datetime.now(UTC) + timedelta(minutes=5)  # inside the 10-minute margin
    await h.tokens.put_tokens("tiktok", h.store.shop_id, Tokens(
        creds["access_token"], creds["refresh_token"], access_expires_at=soon,
        extra={"shop_cipher": creds["shop_cipher"]}))
    await h.connector.fetch_since(h.store, None)
    assert h.emulator.state.refresh_calls == 1
    fresh = await h.tokens.get_tokens("tiktok", h.store.shop_id)
    assert fresh.access_token != creds["access_token"]
    assert fresh.refresh_token != creds["refresh_token"]  # rotated
    assert fresh.extra["shop_cipher"] == creds["shop_cipher"]
    seen = [s for s in h.emulator.seen if s.endpoint == "token_refresh"][0]
    assert seen.method == "GET" and seen.query["grant_type"] == "refresh_token"
    # Far from expiry now: no further refresh.
    await h.connector.fetch_since(h.store, None)
    assert h.emulator.state.refresh_calls == 1


async def test_early_refresh_that_fails_transiently_keeps_the_valid_token() -> None:
    ahead = [0.0]  # the connector's clock runs this far ahead of the wall clock
    async with aiohttp.ClientSession() as session, harness(
            session, clock=lambda: time.time() + ahead[0]) as h:
        creds = h.store.credentials
        soon = datetime.now(UTC) + timedelta(minutes=5)
        await h.tokens.put_tokens("tiktok", h.store.shop_id, Tokens(
            creds["access_token"], creds["refresh_token"], access_expires_at=soon,
            extra={"shop_cipher": creds["shop_cipher"]}))
        h.emulator.fail_next("token_refresh", 503)
        await h.connector.check(h.store)
        assert [s.endpoint for s in h.emulator.seen] == ["token_refresh", "shops"]
        await h.connector.check(h.store)  # not at every call: after a pause
        assert [s.endpoint for s in h.emulator.seen][2:] == ["shops"]
        ahead[0] = h.emulator.clock_offset = 60.0  # the emulator's clock moves along
        await h.connector.check(h.store)
        assert h.emulator.state.refresh_calls == 1


@pytest.mark.parametrize("revoke", ["expire", "forget"])
async def test_token_error_refreshes_and_retries_once(h: TikTokHarness, revoke: str) -> None:
    token = h.store.credentials["access_token"]
    if revoke == "expire":
        h.emulator.state.expire_access(token)  # 105002
    else:
        del h.emulator.state.grants[token]  # 36009004 invalid x-tts-access-token
    await h.connector.check(h.store)
    assert h.emulator.state.refresh_calls == 1
    assert [s.endpoint for s in h.emulator.seen] == ["shops", "token_refresh", "shops"]


async def test_concurrent_calls_spend_the_refresh_token_once(h: TikTokHarness) -> None:
    h.emulator.state.expire_access(h.store.credentials["access_token"])
    await h.buyer_says("a", "hello")
    await asyncio.gather(*(h.connector.check(h.store) for _ in range(5)),
                         *(h.connector.fetch_since(h.store, None) for _ in range(3)))
    assert h.emulator.state.refresh_calls == 1
    assert len(h.tokens.puts) == 1


async def test_refresh_failure_is_auth_error(h: TikTokHarness) -> None:
    state = h.emulator.state
    state.expire_access(h.store.credentials["access_token"])
    state.refresh_index[h.store.credentials["refresh_token"]].refresh_spent = True
    with pytest.raises(AuthError):
        await h.connector.send_text(h.store, h.outbound("a", "hi", "k"))
    assert h.sent_texts("a") == []


async def test_expired_refresh_token_is_not_even_tried(h: TikTokHarness) -> None:
    creds = h.store.credentials
    past = datetime.now(UTC) - timedelta(seconds=1)
    await h.tokens.put_tokens("tiktok", h.store.shop_id, Tokens(
        creds["access_token"], creds["refresh_token"], access_expires_at=past,
        refresh_expires_at=past, extra={"shop_cipher": creds["shop_cipher"]}))
    with pytest.raises(AuthError):
        await h.connector.check(h.store)
    assert h.emulator.state.refresh_calls == 0 and h.emulator.seen == []


async def test_second_token_error_after_refresh_stands(h: TikTokHarness) -> None:
    h.emulator.fail_next("conversations", 105002, count=2)
    with pytest.raises(AuthError):
        await h.connector.fetch_since(h.store, None)
    assert h.emulator.state.refresh_calls == 1


async def test_missing_cipher_is_looked_up(h: TikTokHarness) -> None:
    store = replace(h.store, credentials={k: v for k, v in h.store.credentials.items()
                                          if k != "shop_cipher"})
    await h.connector.fetch_since(store, None)
    assert (await h.tokens.get_tokens("tiktok",
                                      store.shop_id)).extra["shop_cipher"] == h.shop.cipher


async def test_store_without_tokens_is_auth_error(h: TikTokHarness) -> None:
    with pytest.raises(AuthError):
        await h.connector.check(replace(h.store, credentials={}))


async def test_from_env_and_base_url_overrides() -> None:
    emulator = TikTokEmulator()
    await emulator.start()
    try:
        shop = emulator.state.add_shop()
        grant = emulator.state.grant((shop.id,))
        store = StoreAccount("tiktok", ShopId(shop.id), "TH",
                             credentials={"access_token": grant.access_token})
        env = {"TIKTOK_APP_KEY": APP_KEY, "TIKTOK_APP_SECRET": APP_SECRET,
               "TIKTOK_API_URL": emulator.url + "/"}
        async with aiohttp.ClientSession() as session:
            connector = TikTokConnector.from_env(session, env, MemoryTokenStore())
            await connector.check(store)
            plain = TikTokConnector.from_env(session, {**env, "TIKTOK_API_URL": ""},
                                             MemoryTokenStore())
            await plain.check(replace(store, api_url=emulator.url))  # per-store override
            with pytest.raises(ValueError, match="TIKTOK_APP_SECRET"):
                TikTokConnector.from_env(session, {"TIKTOK_APP_KEY": "k"}, MemoryTokenStore())
            with pytest.raises(ValueError, match="scheme and host"):
                TikTokConnector.from_env(session, {**env, "TIKTOK_API_URL": emulator.url + "/api"},
                                         MemoryTokenStore())
        assert len([s for s in emulator.seen if s.endpoint == "shops"]) == 2
    finally:
        await emulator.stop()
