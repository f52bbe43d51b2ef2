"""The error table, each class reached over HTTP, and throttling backoff."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from connectors.backoff import Backoff
from connectors.errors import (
    AuthError,
    ConnectorError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RuleViolation,
    TransientError,
)
from connectors.lazada.errors import ERROR_TABLE, error_for
from connectors.models import ConversationId
from tests.emulators.lazada import LazadaHarness, harness
from tests.emulators.lazada_api import SEND, SESSIONS
from tests.emulators.lazada_state import DAY_MS


@pytest.fixture
async def h() -> AsyncIterator[LazadaHarness]:
    async with aiohttp.ClientSession() as http, harness(http) as h:
        await h.buyer_says("a", "hello")
        yield h


async def _send_error(h: LazadaHarness, text: str = "reply") -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        await h.connector.send_text(h.store, h.outbound("a", text, "k"))
    return caught.value


@pytest.mark.parametrize("code,http_status,kind,words", [
    ("ServiceUnavailable", 200, TransientError, "temporarily unavailable"),
    ("SomeNewBackendFault", 200, PermanentError, "rejected"),
    ("", 503, TransientError, "temporarily unavailable"),
    # A gateway that gave up after a send may have forwarded it: look before resending.
    ("", 502, OutcomeUnknown, "delivery is being checked"),
    ("InsufficientPermission", 200, PermanentError, "Forbidden"),
    ("AccessDenied", 200, PermanentError, "Forbidden"),
    ("SESSION_EXPIRED", 200, RuleViolation, "reply window"),
    ("BUYER_BLOCKED", 200, RuleViolation, "blocked"),
    ("SEND_LIMIT_WITHOUT_REPLY", 200, RuleViolation, "at most 5 messages"),
    ("CONTENT_ILLEGAL", 200, RuleViolation, "content check"),
    ("InvalidParameter", 200, PermanentError, "invalid"),
])
async def test_injected_failures_map_through_the_table(
    h: LazadaHarness, code: str, http_status: int, kind: type, words: str
) -> None:
    h.emulator.fail_next(SEND, code, http_status=http_status)
    error = await _send_error(h)
    assert type(error) is kind
    assert words in error.user_message
    assert code not in error.user_message or not code  # plain words, never the wire code
    assert h.sent_texts("a") == []


async def test_isp_typed_unknown_codes_are_transient(h: LazadaHarness) -> None:
    assert isinstance(error_for("Whatever", error_type="ISP"), TransientError)
    assert isinstance(error_for("Whatever", error_type="ISV"), PermanentError)
    h.emulator.fail_next(SEND, "InternalError")
    assert type(await _send_error(h)) is TransientError


async def test_unknown_im_codes_are_read_from_their_words(h: LazadaHarness) -> None:
    # Lazada documents the IM rules but not their codes: the message is the hint.
    h.emulator.fail_next(SEND, "E9001", message="The buyer has blocked you", im=True)
    error = await _send_error(h)
    assert isinstance(error, RuleViolation) and "blocked" in error.user_message
    h.emulator.fail_next(SEND, "E9002", message="something odd", im=True)
    assert type(await _send_error(h)) is PermanentError


async def test_real_rules_of_the_emulator(h: LazadaHarness) -> None:
    session = h.emulator.state.sessions[h.outbound("a", "", "").conversation_id]
    session.blocked = True
    assert "blocked" in (await _send_error(h)).user_message
    session.blocked, session.closed = False, True
    assert "reply window" in (await _send_error(h)).user_message
    session.closed = False
    for message in session.messages:  # the buyer last wrote two days ago
        message.send_time -= 2 * DAY_MS
    for i in range(5):
        await h.connector.send_text(h.store, h.outbound("a", f"follow-up {i}", f"k{i}"))
    error = await _send_error(h, "sixth")
    assert isinstance(error, RuleViolation) and "5 messages" in error.user_message
    assert len(h.sent_texts("a")) == 5


async def test_unknown_session_is_permanent(h: LazadaHarness) -> None:
    out = replace(h.outbound("a", "hi", "k"), conversation_id=ConversationId("1_2_3_1_103"))
    with pytest.raises(PermanentError) as caught:
        await h.connector.send_text(h.store, out)
    assert "no longer exists" in caught.value.user_message


async def test_invalid_token_twice_is_auth_error(h: LazadaHarness) -> None:
    h.fail_next_send("auth")
    error = await _send_error(h)
    assert isinstance(error, AuthError) and "reconnect" in error.user_message
    assert h.emulator.refresh_calls == 1
    await h.connector.send_text(h.store, h.outbound("a", "works again", "k"))


async def test_wrong_secret_is_a_signature_error() -> None:
    async with aiohttp.ClientSession() as http, harness(http, app_secret="wrong") as h:
        with pytest.raises(PermanentError) as caught:
            await h.connector.check(h.store)
        assert caught.value.code == "IncompleteSignature"
        assert "key and secret" in caught.value.user_message


async def test_a_clock_hours_off_is_refused() -> None:
    def skewed() -> datetime:
        return datetime.now(UTC) - timedelta(hours=3)

    async with aiohttp.ClientSession() as http, harness(http, clock=skewed) as h:
        with pytest.raises(PermanentError) as caught:
            await h.connector.check(h.store)
        assert caught.value.code == "InvalidTimestamp"


async def test_throttling_is_retried_then_raised(h: LazadaHarness) -> None:
    h.emulator.fail_next(SEND, "ApiCallLimit", count=2)
    await h.connector.send_text(h.store, h.outbound("a", "after two throttles", "k"))
    assert len(h.emulator.calls_to(SEND)) == 3
    assert h.sent_texts("a") == ["after two throttles"]
    h.emulator.fail_next(SEND, "ApiCallLimit", count=3)
    error = await _send_error(h)
    assert isinstance(error, RateLimited) and error.retry_after == 1.0
    assert len(h.emulator.calls_to(SEND)) == 6


async def test_http_429_honours_retry_after(h: LazadaHarness) -> None:
    h.emulator.fail_next(SEND, "", count=3, http_status=429, retry_after=7)
    error = await _send_error(h)
    assert isinstance(error, RateLimited) and error.retry_after == 7.0


async def test_backoff_waits_out_a_real_ban() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    async with aiohttp.ClientSession() as http, harness(
        http, backoff=Backoff(retries=3, base=0.05, cap=1.5), sleep=sleep
    ) as h:
        h.emulator.rate_limit_per_second = 2
        for _ in range(3):
            await h.connector.fetch_since(h.store, None)
    assert waits and all(1.0 <= w <= 1.5 for w in waits)  # "banned for 1 seconds", capped
    assert any(c.api == SESSIONS for c in h.emulator.calls)


def test_every_table_entry_has_plain_words() -> None:
    for code, spec in ERROR_TABLE.items():
        error = error_for(code, "raw wire text")
        assert isinstance(error, spec.kind)
        assert error.user_message == spec.words and "raw wire text" not in error.user_message
