"""Authorization, code exchange and the refresh rules, over HTTP against the emulator."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from connectors.base import Tokens
from connectors.errors import AuthError, TransientError
from connectors.shopee import ShopeeConnector
from connectors.shopee.tokens import tokens_from_response
from tests.emulators.shopee import SHOP_ID, Env, shopee_env
from tests.emulators.tokens import MemoryTokenStore

HOUR = 3600


def qs(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def due_tokens(env: Env, minutes: float) -> Tokens:
    """Put the store's credentials in the token store, expiring in ``minutes``."""
    now = datetime.fromtimestamp(env.clock(), UTC)
    tokens = Tokens(access_token=env.store.credentials["access_token"],
                    refresh_token=env.store.credentials["refresh_token"],
                    access_expires_at=now + timedelta(minutes=minutes),
                    refresh_expires_at=now + timedelta(days=29))
    await env.tokens.put_tokens("shopee", env.store.shop_id, tokens)
    env.tokens.puts.clear()
    return tokens


async def test_open_authorize_link_round_trip() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        plain = ShopeeConnector(session, partner_id=1, partner_key="k", tokens=env.tokens)
        link = plain.authorize_url("https://cs.example.com/oauth/shopee/callback", "s1")
        assert link.startswith("https://open.shopee.com/auth?")
        assert qs(link) == {"partner_id": "1", "auth_type": "seller", "response_type": "code",
                            "redirect_uri": "https://cs.example.com/oauth/shopee/callback",
                            "state": "s1"}
        br = plain.authorize_url("https://x.test/cb", "s", site="BR")
        assert br.startswith("https://open.shopee.com.br/auth?")

        c = ShopeeConnector(session, partner_id=env.emulator.partner_id,
                            partner_key=env.emulator.partner_key, tokens=env.tokens,
                            api_url=env.emulator.base_url, auth_url=env.emulator.base_url,
                            clock=env.clock)
        link = c.authorize_url("https://cs.example.com/cb?x=1", "state-42")
        async with session.get(link, allow_redirects=False) as resp:
            assert resp.status == 302
            back = qs(resp.headers["Location"])
        assert back["state"] == "state-42" and back["x"] == "1"
        shop, tokens = await c.exchange_code(back["code"], back["shop_id"])
        assert shop == str(SHOP_ID)
        assert await env.tokens.get_tokens("shopee", shop) == tokens
        now = datetime.fromtimestamp(env.clock(), UTC)
        assert tokens.access_expires_at == now + timedelta(hours=4)
        assert tokens.refresh_expires_at == now + timedelta(days=30)
        await c.check(replace(env.store, credentials={}))  # works with the stored tokens
        with pytest.raises(Exception) as err:  # the code is single-use
            await c.exchange_code(back["code"], back["shop_id"])
        assert "code" in str(err.value).lower()


async def test_legacy_signed_authorize_link() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(
            session, authorize_style="legacy") as env:
        link = env.connector.authorize_url("https://cs.example.com/cb", "st")
        assert urlsplit(link).path == "/api/v2/shop/auth_partner"
        assert set(qs(link)) == {"partner_id", "timestamp", "sign", "redirect"}
        async with session.get(link, allow_redirects=False) as resp:
            assert resp.status == 302, await resp.text()
            back = qs(resp.headers["Location"])
        assert back["state"] == "st" and back["shop_id"] == str(SHOP_ID)
        shop, _ = await env.connector.exchange_code(back["code"], back["shop_id"])
        assert shop == str(SHOP_ID)


async def test_main_account_exchange_stores_every_shop() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.add_shop(600999999)
        code = env.emulator.tokens.new_code([SHOP_ID, 600999999], main_account_id=77)
        shop, tokens = await env.connector.exchange_code(code, main_account_id="77")
        assert shop == str(SHOP_ID)
        assert tokens.extra["shop_id_list"] == f"{SHOP_ID},600999999"
        assert {p.shop_id for p in env.tokens.puts} == {str(SHOP_ID), "600999999"}
        # The same initial refresh token is spent once per shop.
        for shop_id in (str(SHOP_ID), "600999999"):
            store = replace(env.store, shop_id=shop_id, credentials={})
            await env.tokens.put_tokens("shopee", shop_id, replace(
                tokens, access_expires_at=datetime.fromtimestamp(env.clock(), UTC)))
            await env.connector.check(store)
        assert env.emulator.tokens.refresh_calls == 2


async def test_refresh_only_within_margin_and_rotation_persisted_first() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        emu, c = env.emulator, env.connector
        await due_tokens(env, minutes=11)
        await c.check(env.store)
        assert emu.tokens.refresh_calls == 0
        old = await due_tokens(env, minutes=9)
        seen: list[tuple[str, str]] = []
        emu.on_request = lambda r: seen.append(
            (r.query.get("access_token", ""),
             env.tokens.current[("shopee", env.store.shop_id)].access_token))
        await c.check(env.store)
        assert emu.tokens.refresh_calls == 1
        new = await env.tokens.get_tokens("shopee", env.store.shop_id)
        assert new.refresh_token != old.refresh_token and new.access_token != old.access_token
        refresh_body = emu.called("auth/access_token/get")[0]
        assert refresh_body.body == {"refresh_token": old.refresh_token,
                                     "partner_id": emu.partner_id, "shop_id": SHOP_ID}
        assert "access_token" not in refresh_body.query  # refresh is a PUBLIC API sign
        used = [tok for tok, _ in seen if tok]
        assert used == [new.access_token]
        assert all(tok == stored for tok, stored in seen if tok)  # persisted before use
        # The old refresh token is spent.
        await env.tokens.put_tokens("shopee", env.store.shop_id, old)
        with pytest.raises(AuthError) as err:
            await c.check(env.store)
        assert err.value.code == "error_shop_refresh_token"


async def test_clock_driven_expiry_after_exchange() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        code = env.emulator.tokens.new_code([SHOP_ID])
        await env.connector.exchange_code(code, str(SHOP_ID))
        env.clock.advance(3 * HOUR + 49 * 60)
        await env.connector.check(env.store)
        assert env.emulator.tokens.refresh_calls == 0
        env.clock.advance(2 * 60)
        await env.connector.check(env.store)
        assert env.emulator.tokens.refresh_calls == 1
        env.clock.advance(4 * HOUR + 60)  # long past: refreshed again, not rejected
        await env.connector.check(env.store)
        assert env.emulator.tokens.refresh_calls == 2


async def test_concurrent_calls_spend_the_refresh_token_once() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        await due_tokens(env, minutes=1)
        await asyncio.gather(*(env.connector.check(env.store) for _ in range(8)))
        assert env.emulator.tokens.refresh_calls == 1
        assert len(env.tokens.puts) == 1


async def test_rejected_token_refreshes_and_retries_once() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.tokens.expire_access(SHOP_ID)  # the store does not know its expiry
        await env.connector.check(env.store)
        assert env.emulator.tokens.refresh_calls == 1
        assert len(env.emulator.called("get_conversation_list")) == 2
        assert env.tokens.puts  # credentials fell back, the refreshed pair is stored

        env.emulator.fail_next("get_conversation_list", "error_auth", 2)
        with pytest.raises(AuthError):
            await env.connector.check(env.store)
        assert env.emulator.tokens.refresh_calls == 2  # one refresh per call, not a loop


async def test_old_access_token_stays_valid_five_minutes_after_refresh() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        old = await due_tokens(env, minutes=1)
        await env.connector.check(env.store)
        stale = replace(env.store, credentials={"access_token": old.access_token})
        other = ShopeeConnector(session, partner_id=env.emulator.partner_id,
                                partner_key=env.emulator.partner_key,
                                tokens=MemoryTokenStore(), api_url=env.emulator.base_url,
                                clock=env.clock)
        env.clock.advance(4 * 60)
        await other.check(stale)
        env.clock.advance(2 * 60)
        with pytest.raises(AuthError):
            await other.check(stale)


@pytest.mark.parametrize("setup,code", [
    ("used", "error_shop_refresh_token"),
    ("lapsed", "shop_access_expired"),
    ("expired_known", "refresh_token_expired"),
    ("expired_on_server", "refresh_token_expired"),
])
async def test_permanent_refresh_failure_is_auth_error(setup: str, code: str) -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        if setup == "used":
            await due_tokens(env, minutes=1)
            env.emulator.fail_next("access_token/get", "error_shop_refresh_token")
        elif setup == "lapsed":
            await due_tokens(env, minutes=1)
            env.emulator.shops[SHOP_ID].authorized = False
        elif setup == "expired_known":
            await due_tokens(env, minutes=1)
            env.clock.advance(30 * 86400)
        else:
            env.clock.advance(31 * 86400)  # credentials only: the expiry is unknown locally
        calls_before = env.emulator.tokens.refresh_calls
        with pytest.raises(AuthError) as err:
            await env.connector.check(env.store)
        assert err.value.code == code
        assert "reconnect" in err.value.user_message or "authorize" in err.value.user_message
        if setup == "expired_known":
            assert env.emulator.tokens.refresh_calls == calls_before  # not even attempted


async def test_early_refresh_that_fails_keeps_the_valid_token_and_retries_later() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        old = await due_tokens(env, minutes=9)
        env.emulator.fail_next("access_token/get", "error_server")
        await env.connector.check(env.store)  # still valid for 9 minutes: the call goes on
        assert len(env.emulator.called("access_token/get")) == 1
        assert env.tokens.puts == []
        await env.connector.check(env.store)  # no retry at every call: after a pause
        assert len(env.emulator.called("access_token/get")) == 1
        env.clock.advance(60)
        await env.connector.check(env.store)
        assert len(env.emulator.called("access_token/get")) == 2
        new = await env.tokens.get_tokens("shopee", env.store.shop_id)
        assert new is not None and new.access_token != old.access_token


async def test_refresh_failure_once_expired_is_transient() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        await due_tokens(env, minutes=-1)
        env.emulator.fail_next("access_token/get", "error_server")
        with pytest.raises(TransientError):
            await env.connector.check(env.store)
        await env.connector.check(env.store)  # the refresh token was not spent


def test_expire_in_may_be_an_epoch() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    t = tokens_from_response({"access_token": "a", "refresh_token": "r",
                              "expire_in": 1704081600}, now)
    assert t.access_expires_at == datetime(2024, 1, 1, 4, tzinfo=UTC)
    t = tokens_from_response({"access_token": "a", "refresh_token": "r", "expire_in": 14400},
                             now)
    assert t.access_expires_at == datetime(2024, 1, 1, 4, tzinfo=UTC)


async def test_from_env() -> None:
    async with aiohttp.ClientSession() as session:
        store = MemoryTokenStore()
        c = ShopeeConnector.from_env(session, {"SHOPEE_PARTNER_ID": "2001887",
                                               "SHOPEE_PARTNER_KEY": "shpkX",
                                               "SHOPEE_API_URL": "http://127.0.0.1:9/x/"}, store)
        assert c._base() == "http://127.0.0.1:9"
        assert c.platform == "shopee" and c.periodic_pull_allowed
        assert ShopeeConnector.from_env(session, {"SHOPEE_PARTNER_ID": "1",
                                                  "SHOPEE_PARTNER_KEY": "k"},
                                        store)._base(site="MX") == (
            "https://openplatform.shopee.com.br")
        with pytest.raises(ValueError, match="SHOPEE_PARTNER_KEY"):
            ShopeeConnector.from_env(session, {"SHOPEE_PARTNER_ID": "1"}, store)
