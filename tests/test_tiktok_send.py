"""send_text addressing and outcomes, find_sent, and the rules checked before sending."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from connectors.base import Connector
from connectors.errors import OutcomeUnknown, RuleViolation, TransientError
from connectors.tiktok import MAX_TEXT_LENGTH, SendContext, TikTokConnector, check_outgoing
from connectors.tiktok.rules import split_text, text_length
from tests.emulators.tiktok import APP_KEY, TikTokHarness, harness


@pytest.fixture
async def h() -> AsyncIterator[TikTokHarness]:
    async with aiohttp.ClientSession() as session, harness(session) as hh:
        yield hh


def test_implements_the_connector_protocol() -> None:
    assert TikTokConnector.platform == "tiktok" and TikTokConnector.max_text_length == 2000
    assert TikTokConnector.periodic_pull_allowed is True


async def test_is_a_connector(h: TikTokHarness) -> None:
    assert isinstance(h.connector, Connector)


async def test_send_addresses_the_conversation_and_marks_read(h: TikTokHarness) -> None:
    await h.buyer_says("a", "hello?")
    out = h.outbound("a", "สวัสดีค่ะ \"quoted\"", "k1")
    sent = await h.connector.send_text(h.store, out)
    conv = h.conversation("a")
    assert h.sent_texts("a") == [out.text] and sent.message_id == conv.messages[-1].id
    send, read = [s for s in h.emulator.seen if s.endpoint in ("send", "read")]
    assert send.path == f"/customer_service/202309/conversations/{conv.id}/messages"
    assert json.loads(send.body) == {"type": "TEXT",
                                     "content": json.dumps({"content": out.text},
                                                           ensure_ascii=False,
                                                           separators=(",", ":"))}
    assert "สวัสดี".encode() in send.body  # raw UTF-8, signed as sent
    assert send.headers["x-tts-access-token"] == h.store.credentials["access_token"]
    assert "access_token" not in send.query and send.query["app_key"] == APP_KEY
    assert send.query["shop_cipher"] == h.shop.cipher
    assert read.path.endswith(f"/{conv.id}/messages/read") and conv.unread_count == 0


async def test_mark_read_failure_does_not_fail_the_send(h: TikTokHarness) -> None:
    h.emulator.fail_next("read", 36009003)
    sent = await h.connector.send_text(h.store, h.outbound("a", "hi", "k"))
    assert sent.message_id and h.sent_texts("a") == ["hi"]


async def test_timeout_is_outcome_unknown_then_find_sent(h: TikTokHarness) -> None:
    since = datetime.now(UTC)
    out = h.outbound("a", "did it land?", "k")
    h.fail_next_send("timeout")
    with pytest.raises(OutcomeUnknown):
        await h.connector.send_text(h.store, out)
    found = await h.connector.find_sent(h.store, out, since)
    assert found is not None and found.message_id == h.conversation("a").messages[-1].id
    assert await h.connector.find_sent(h.store, h.outbound("a", "never sent", "k2"),
                                       since) is None


async def test_find_sent_ignores_buyer_echo_and_older_messages(h: TikTokHarness) -> None:
    conv = h.conversation("a")
    st = h.emulator.state
    st.add_message(conv, role="SHOP", content={"content": "same"},
                   create_time=st.now() - 3600)
    await h.buyer_says("a", "same")
    assert await h.connector.find_sent(h.store, h.outbound("a", "same", "k"),
                                       datetime.now(UTC) - timedelta(seconds=5)) is None


async def test_gateway_error_after_sending_is_outcome_unknown(h: TikTokHarness) -> None:
    h.emulator.fail_next("send", 502)
    with pytest.raises(OutcomeUnknown):
        await h.connector.send_text(h.store, h.outbound("a", "x", "k"))


async def test_connection_refused_is_transient(h: TikTokHarness) -> None:
    await h.emulator.down()
    try:
        with pytest.raises(TransientError) as err:
            await h.connector.send_text(h.store, h.outbound("a", "x", "k"))
        assert not isinstance(err.value, OutcomeUnknown)
    finally:
        await h.emulator.up()
    await h.connector.send_text(h.store, h.outbound("a", "after", "k"))
    assert h.sent_texts("a") == ["after"]


async def test_too_long_is_refused_before_sending(h: TikTokHarness) -> None:
    with pytest.raises(RuleViolation) as err:
        await h.connector.send_text(h.store, h.outbound("a", "x" * 2001, "k"))
    assert "2000 characters" in err.value.user_message and h.emulator.seen == []
    await h.connector.send_text(h.store, h.outbound("a", "x" * 2000, "k"))


async def test_platform_rule_violations_come_back_as_rule_violation(h: TikTokHarness) -> None:
    h.conversation("a").can_send_message = False
    with pytest.raises(RuleViolation) as err:
        await h.connector.send_text(h.store, h.outbound("a", "hello", "k"))
    assert "reply window" in err.value.user_message
    with pytest.raises(RuleViolation) as err:
        await h.connector.send_text(h.store, h.outbound("b", "a forbiddenword here", "k"))
    assert "sensitive" in err.value.user_message


async def test_connector_offers_the_same_check(h: TikTokHarness) -> None:
    assert h.connector.check_outgoing(h.store, "x " * 1500) == check_outgoing("x " * 1500)


def test_check_outgoing_splits_and_names_the_limit() -> None:
    assert check_outgoing("hi") == ["hi"]
    long = ("word " * 900).strip()
    parts = check_outgoing(long)
    assert len(parts) == 3 and all(text_length(p) <= MAX_TEXT_LENGTH for p in parts)
    assert " ".join(parts) == long
    with pytest.raises(RuleViolation) as err:
        check_outgoing(long, context=SendContext(split=False))
    assert "2000" in err.value.user_message
    with pytest.raises(RuleViolation):
        check_outgoing("   ")
    with pytest.raises(RuleViolation):
        check_outgoing("hi", context=SendContext(can_send_message=False))


def test_emoji_count_as_two_and_are_never_cut_in_half() -> None:
    text = "😀" * 1500
    assert text_length(text) == 3000
    parts = split_text(text)
    assert "".join(parts) == text and all(text_length(p) <= 2000 for p in parts)
