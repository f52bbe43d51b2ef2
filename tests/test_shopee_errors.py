"""The error table, each row reached through HTTP, and the rate-limit backoff."""

from __future__ import annotations

import aiohttp
import pytest

from connectors.backoff import Backoff
from connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimited,
    RuleViolation,
    TransientError,
)
from connectors.models import BuyerId, ConversationId, OutboundText
from connectors.shopee import ShopeeConnector
from connectors.shopee.errors import TABLE, classify, seconds_to_daily_reset
from tests.emulators.shopee import SHOP_ID, shopee_env

ROWS: list[tuple[str | int, str | None, type[ConnectorError], str]] = [
    ("error_sign", "Wrong sign.", PermanentError, "partner key"),
    ("error_param", "Timestamp is expired.", PermanentError, "clock"),
    ("error_param", "Wrong parameters, detail: page_size.", PermanentError, "invalid"),
    ("error_api_permission", None, PermanentError, "forbidden"),
    ("error_auth", "No permission to current api.", PermanentError, "forbidden"),
    ("error_auth", "Invalid partner_id or shopid.", AuthError, "reconnect"),
    ("shop_access_expired", None, AuthError, "authorize it again"),
    ("shop_banned", "shop is banned", PermanentError, "banned"),
    ("source_ip_undeclared", "", PermanentError, "allow-list"),
    ("user_is_unauthorized", "", PermanentError, "forbidden"),
    ("resource_not_found", "", PermanentError, "could not find"),
    ("not_open_market", "", RuleViolation, "Taiwan"),
    ("error_param", "The user has blocked you.", RuleViolation, "blocked"),
    ("error_param", "Cannot reply: conversation expired.", RuleViolation, "reply window"),
    ("error_param", "Too many messages without buyer reply.", RuleViolation,
     "without a reply from the buyer"),
    ("error_param", "Message contains sensitive words.", RuleViolation, "chat rules"),
    ("error_server", None, TransientError, "internal problem"),
    ("internal_server_error", "", TransientError, "internal problem"),
    ("error_network", "", TransientError, "internal problem"),
    ("error_rate_limit", None, RateLimited, "slow down"),
    ("system_busy", None, RateLimited, "busy"),
    ("error_limit", None, RateLimited, "daily"),
    ("error_never_seen", "", PermanentError, "Shopee rejected the request"),
    (502, None, TransientError, "temporarily unavailable"),
    (429, None, RateLimited, "slow down"),
    (404, None, PermanentError, "API address"),
    (403, None, PermanentError, "forbidden"),
    (401, None, AuthError, "reconnect"),
]


@pytest.mark.parametrize("code,message,kind,words", ROWS,
                         ids=[f"{r[0]}:{r[1] or ''}"[:40] for r in ROWS])
async def test_row_through_http(code: str | int, message: str | None,
                                kind: type[ConnectorError], words: str) -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.fail_next("get_conversation_list", code, 3, message=message)
        with pytest.raises(ConnectorError) as err:
            await env.connector.check(env.store)
        assert type(err.value) is kind, err.value
        assert words in err.value.user_message
        assert str(code) not in err.value.user_message  # plain words, not wire codes


def test_every_table_row_is_reachable_and_worded() -> None:
    for row in TABLE:
        code = row.code if row.code != "*" else "error_param"
        message = row.words[0] if row.words else ""
        exc = classify(code, message, now=0)
        assert isinstance(exc, row.kind) and exc.user_message == row.user_message
        assert row.user_message.endswith(".")


async def test_invalid_token_code_refreshes_and_retries() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.fail_next("get_conversation_list", "invalid_acceess_token")
        await env.connector.check(env.store)
        assert env.emulator.tokens.refresh_calls == 1


async def test_real_signature_and_clock_failures() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        wrong = ShopeeConnector(session, partner_id=env.emulator.partner_id,
                                partner_key="shpk-wrong", tokens=env.tokens,
                                api_url=env.emulator.base_url, clock=env.clock)
        with pytest.raises(PermanentError) as err:
            await wrong.check(env.store)
        assert err.value.code == "error_sign"
        skewed = ShopeeConnector(session, partner_id=env.emulator.partner_id,
                                 partner_key=env.emulator.partner_key, tokens=env.tokens,
                                 api_url=env.emulator.base_url, clock=lambda: env.clock() - 301)
        with pytest.raises(PermanentError) as err:
            await skewed.check(env.store)
        assert "clock" in err.value.user_message


async def test_rate_limit_backoff_then_success() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.fail_next("get_conversation_list", "error_rate_limit", 2)
        await env.connector.check(env.store)
        assert len(env.sleeps) == 2
        assert 0.01 <= env.sleeps[0] <= 0.011 and 0.02 <= env.sleeps[1] <= 0.022


async def test_rate_limit_gives_up_after_bounded_tries() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.fail_next("get_conversation_list", "system_busy", 5)
        with pytest.raises(RateLimited) as err:
            await env.connector.check(env.store)
        assert len(env.sleeps) == 2 and len(env.emulator.called("get_conversation_list")) == 3
        # Shopee sent no Retry-After: none is made up, so the bot's growing backoff decides.
        assert err.value.retry_after is None


async def test_retry_after_is_honoured_and_capped() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.fail_next("get_conversation_list", "error_rate_limit", 1, retry_after=0.3)
        await env.connector.check(env.store)
        assert 0.3 <= env.sleeps[0] <= 0.3 * 1.1
        env.sleeps.clear()
        env.emulator.fail_next("get_conversation_list", "error_rate_limit", 1, retry_after=7)
        with pytest.raises(RateLimited) as err:  # longer than we will sleep: the bot waits
            await env.connector.check(env.store)
        assert err.value.retry_after == 7 and env.sleeps == []


async def test_daily_limit_waits_for_midnight_utc8() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.fail_next("send_message", "error_limit")
        out = OutboundText(ConversationId(env.emulator.conversation(SHOP_ID, 1).conversation_id),
                           BuyerId("1"), "hi", "k")
        with pytest.raises(RateLimited) as err:
            await env.connector.send_text(env.store, out)
        assert err.value.retry_after == pytest.approx(seconds_to_daily_reset(env.clock()))
        assert env.sleeps == [] and len(env.emulator.called("send_message")) == 1
    # 2024-01-01 15:00 UTC is 23:00 in Singapore: one hour to the reset.
    assert seconds_to_daily_reset(1704121200) == 3600


async def test_emulator_rate_limiter_answers_429() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(
            session, backoff=Backoff(retries=1, base=0.01),
            emulator_options={"rate_limit": (2, 60.0), "rate_limit_retry_after": 0.2}) as env:
        await env.connector.check(env.store)
        await env.connector.check(env.store)
        with pytest.raises(RateLimited) as err:
            await env.connector.check(env.store)
        assert err.value.code == "error_rate_limit"
        assert len(env.sleeps) == 1 and 0.2 <= env.sleeps[0] <= 0.2 * 1.25  # default jitter
        q = env.connector._http.signed_query("/api/v2/sellerchat/get_conversation_list",
                                             access_token=env.store.credentials["access_token"],
                                             shop_id=str(SHOP_ID))
        async with session.get(env.emulator.base_url + "/api/v2/sellerchat/get_conversation_list",
                               params={**q, "direction": "older", "type": "all"}) as resp:
            assert resp.status == 429 and resp.headers["Retry-After"] == "0.2"
            body = await resp.json()
        assert body["error"] == "error_rate_limit" and "response" not in body
