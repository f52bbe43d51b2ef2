"""Sending over real HTTP: addressing, read marking, timeouts and find_sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from connectors.errors import OutcomeUnknown, RuleViolation, TransientError
from connectors.lazada import SendContext, check_outgoing
from tests.emulators.lazada import LazadaHarness, harness
from tests.emulators.lazada_api import READ, SEND


@pytest.fixture
async def h() -> AsyncIterator[LazadaHarness]:
    async with aiohttp.ClientSession() as http, harness(http) as h:
        yield h


async def test_send_addresses_the_session_with_signed_form_fields(h: LazadaHarness) -> None:
    await h.buyer_says("a", "Còn hàng không shop?")
    text = "Dạ shop đã nhận được tin nhắn, cảm ơn bạn! 😊"
    out = h.outbound("a", text, "key-1")
    before = datetime.now(UTC)
    sent = await h.connector.send_text(h.store, out)
    (call,) = h.emulator.calls_to(SEND)
    assert call.method == "POST" and call.form
    assert set(call.params) == {"session_id", "template_id", "txt", "app_key", "timestamp",
                                "sign_method", "access_token", "sign"}
    assert (call.params["session_id"], call.params["template_id"], call.params["txt"]) == (
        out.conversation_id, "1", text)
    assert h.sent_texts("a") == [text]
    assert abs(sent.sent_at - before) < timedelta(seconds=5)
    (read,) = h.emulator.calls_to(READ)
    assert read.method == "POST"
    assert read.params["last_read_message_id"] == sent.message_id
    assert h.emulator.state.sessions[out.conversation_id].unread() == 0


async def test_a_failed_read_mark_does_not_fail_the_send(h: LazadaHarness) -> None:
    await h.buyer_says("a", "hello")
    h.emulator.fail_next(READ, "ServiceUnavailable")
    sent = await h.connector.send_text(h.store, h.outbound("a", "hi there", "k"))
    assert sent.message_id and h.sent_texts("a") == ["hi there"]
    h.emulator.delay_next(READ, 1.0)
    await h.connector.send_text(h.store, h.outbound("a", "again", "k2"))
    assert h.sent_texts("a") == ["hi there", "again"]


async def test_timeout_after_sending_is_outcome_unknown_then_found(h: LazadaHarness) -> None:
    await h.buyer_says("a", "hello")
    since = datetime.now(UTC)
    out = h.outbound("a", "We ship tomorrow.", "k")
    h.fail_next_send("timeout")
    with pytest.raises(OutcomeUnknown):
        await h.connector.send_text(h.store, out)
    assert h.sent_texts("a") == ["We ship tomorrow."]  # it did arrive
    found = await h.connector.find_sent(h.store, out, since)
    assert found is not None
    stored = h.emulator.state.sessions[out.conversation_id].messages[-1]
    assert found.message_id == stored.message_id
    assert await h.connector.find_sent(h.store, h.outbound("a", "other", "k2"), since) is None
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await h.connector.find_sent(h.store, out, later) is None


async def test_find_sent_pages_back_and_ignores_buyer_text(h: LazadaHarness) -> None:
    since = datetime.now(UTC)
    await h.connector.send_text(h.store, h.outbound("a", "the one", "k"))
    for i in range(45):
        await h.buyer_says("a", f"buyer {i}")
    await h.buyer_says("a", "the one")  # same words from the buyer do not count
    found = await h.connector.find_sent(h.store, h.outbound("a", "the one", "k"), since)
    assert found is not None
    assert all(int(c.params["page_size"]) <= 20 for c in h.emulator.calls_to("/im/message/list"))
    assert len(h.emulator.calls_to("/im/message/list")) == 3


async def test_connection_refused_is_transient_not_unknown(h: LazadaHarness) -> None:
    await h.buyer_says("a", "hello")
    await h.connector.check(h.store)  # a pooled connection exists
    await h.emulator.go_down()
    with pytest.raises(TransientError) as caught:
        await h.connector.send_text(h.store, h.outbound("a", "hi", "k"))
    assert not isinstance(caught.value, OutcomeUnknown)
    await h.emulator.come_up()
    await h.connector.send_text(h.store, h.outbound("a", "hi", "k"))
    assert h.sent_texts("a") == ["hi"]


async def test_too_long_text_is_refused_naming_the_limit(h: LazadaHarness) -> None:
    with pytest.raises(RuleViolation) as caught:
        await h.connector.send_text(h.store, h.outbound("a", "x" * 1001, "k"))
    assert "1000" in caught.value.user_message
    assert h.emulator.calls_to(SEND) == []
    assert len(h.connector.check_outgoing(h.store, "x" * 1001)) == 2


def test_check_outgoing_splits_at_words_within_the_limit() -> None:
    text = " ".join(f"word{i}" for i in range(400))
    chunks = check_outgoing(text, max_length=1000)
    assert len(chunks) == -(-len(text) // 1000) and all(len(c) <= 1000 for c in chunks)
    assert " ".join(chunks) == text
    assert check_outgoing("short") == ["short"]
    assert check_outgoing("a" * 2500, max_length=1000) == ["a" * 1000, "a" * 1000, "a" * 500]
    lines = "line one\n" + "b" * 995
    assert check_outgoing(lines, max_length=1000) == ["line one", "b" * 995]


def test_check_outgoing_refuses_empty_text_and_the_unanswered_cap() -> None:
    with pytest.raises(RuleViolation):
        check_outgoing("   ")
    silent = SendContext(unanswered=4, buyer_silent_for_a_day=True)
    assert check_outgoing("one more", context=silent) == ["one more"]
    with pytest.raises(RuleViolation) as caught:
        check_outgoing("x" * 1500, context=silent)
    assert "5 messages" in caught.value.user_message
    assert check_outgoing("x" * 1500, context=SendContext(unanswered=4)) == ["x" * 1000,
                                                                             "x" * 500]
