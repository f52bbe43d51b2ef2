"""Sending: addressing, mark-read, rules, timeouts and the find_sent lookup."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from connectors.errors import (
    AuthError,
    OutcomeUnknown,
    PermanentError,
    RuleViolation,
    TransientError,
)
from connectors.models import BuyerId, ConversationId, OutboundText
from connectors.shopee import OutgoingContext, check_outgoing
from tests.emulators.shopee import SHOP_ID, Env, harness, shopee_env

BUYER = 1234567


def outbound(env: Env, text: str, key: str = "k1") -> OutboundText:
    conv = env.emulator.conversation(SHOP_ID, BUYER)
    return OutboundText(ConversationId(conv.conversation_id), BuyerId(str(BUYER)), text, key)


async def test_send_addresses_the_buyer_then_marks_read() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.buyer_says(SHOP_ID, BUYER, "hi", push=False)
        out = outbound(env, "Dạ shop đã nhận đơn ạ! 🙏")
        sent = await env.connector.send_text(env.store, out)
        (req,) = env.emulator.called("send_message")
        assert req.body == {"to_id": BUYER, "message_type": "text",
                            "content": {"text": "Dạ shop đã nhận đơn ạ! 🙏"}}
        conv = env.emulator.conversation(SHOP_ID, BUYER)
        stored = conv.messages[-1]
        assert sent.message_id == stored.message_id
        assert sent.sent_at == datetime.fromtimestamp(stored.created_timestamp, UTC)
        assert stored.from_shop_id == SHOP_ID and stored.to_id == BUYER
        (read,) = env.emulator.called("read_conversation")
        assert read.body == {"conversation_id": int(conv.conversation_id),
                             "last_read_message_id": sent.message_id}
        assert conv.unread_count == 0


async def test_mark_read_failure_does_not_fail_the_send() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.fail_next("read_conversation", "error_server")
        sent = await env.connector.send_text(env.store, outbound(env, "ok"))
        assert sent.message_id


async def test_tw_store_cannot_send_through_the_api() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session, region="TW") as env:
        with pytest.raises(RuleViolation) as err:
            await env.connector.send_text(env.store, outbound(env, "hello"))
        assert "Taiwan" in err.value.user_message
        assert env.emulator.called("send_message") == []
        # And if a TW store reached the API anyway, the platform's answer says the same.
        store = replace(env.store, site="SG")
        with pytest.raises(RuleViolation) as err:
            await env.connector.send_text(store, outbound(env, "hello"))
        assert "Taiwan" in err.value.user_message


async def test_length_limit_is_named_and_nothing_is_sent() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        assert env.connector.max_text_length == 1000
        with pytest.raises(RuleViolation) as err:
            await env.connector.send_text(env.store, outbound(env, "x" * 1001))
        assert "1000 characters" in err.value.user_message
        assert env.emulator.called("send_message") == []
        assert len(env.connector.check_outgoing(env.store, "word " * 500)) == 3
    async with aiohttp.ClientSession() as session, shopee_env(
            session, emulator_options={"text_limit": 50}) as env:
        with pytest.raises(RuleViolation) as err:  # the platform's own refusal
            await env.connector.send_text(env.store, outbound(env, "y" * 60))
        assert "longer than Shopee allows" in err.value.user_message


def test_check_outgoing_splits_on_words() -> None:
    ctx = OutgoingContext(site="MY", max_length=20)
    parts = check_outgoing("alpha beta gamma delta epsilon zeta eta theta", context=ctx)
    assert all(len(p) <= 20 for p in parts) and len(parts) == 3
    assert " ".join(parts) == "alpha beta gamma delta epsilon zeta eta theta"
    assert check_outgoing("line one\nline two", context=OutgoingContext("MY", 12)) == [
        "line one", "line two"]
    assert check_outgoing("z" * 45, context=ctx) == ["z" * 20, "z" * 20, "z" * 5]
    with pytest.raises(RuleViolation, match="empty"):
        check_outgoing("   ", context=ctx)
    with pytest.raises(RuleViolation) as err:
        check_outgoing("w " * 100, context=ctx)
    assert "20 characters" in err.value.user_message


async def test_timeout_is_outcome_unknown_then_found() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(
            session, emulator_options={"stall_seconds": 1.0}) as env:
        env.emulator.add_message(SHOP_ID, BUYER, from_buyer=False, push=False,
                                 content={"text": "same words"})  # older: not this send
        env.clock.advance(5)
        since = datetime.fromtimestamp(env.clock(), UTC)
        env.emulator.fail_next("send_message", "timeout")
        out = outbound(env, "same words")
        with pytest.raises(OutcomeUnknown):
            await env.connector.send_text(env.store, out)
        stored = env.emulator.conversation(SHOP_ID, BUYER).messages[-1]
        env.emulator.buyer_says(SHOP_ID, BUYER, "same words", push=False)  # buyer, not us
        found = await env.connector.find_sent(env.store, out, since)
        assert found is not None and found.message_id == stored.message_id
        assert await env.connector.find_sent(env.store, replace(out, text="other"), since) is None
        later = since + timedelta(seconds=10)
        assert await env.connector.find_sent(env.store, out, later) is None


async def test_connection_refused_is_transient_and_recovers() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        await env.emulator.down()
        with pytest.raises(TransientError) as err:
            await env.connector.send_text(env.store, outbound(env, "hi"))
        assert not isinstance(err.value, OutcomeUnknown)
        with pytest.raises(TransientError):
            await env.connector.check(env.store)
        await env.emulator.up()
        await env.connector.send_text(env.store, outbound(env, "hi"))


@pytest.mark.parametrize("failure,expected", [
    ("disconnect", OutcomeUnknown),
    (504, OutcomeUnknown),
    (502, OutcomeUnknown),
    (503, TransientError),
    ("error_server", TransientError),
])
async def test_lost_answers_on_send(failure: str | int, expected: type[Exception]) -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.fail_next("send_message", failure)
        with pytest.raises(expected) as err:
            await env.connector.send_text(env.store, outbound(env, "hi"))
        assert type(err.value) is expected


async def test_non_numeric_buyer_is_permanent() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        with pytest.raises(PermanentError):
            await env.connector.send_text(env.store, replace(outbound(env, "x"),
                                                             buyer_id=BuyerId("abc")))


async def test_harness_contract() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        await h.buyer_says("c1", "where is my parcel?")
        page = await h.connector.fetch_since(h.store, None)
        assert [m.text for m in page.messages] == ["where is my parcel?"]
        headers, body, url = h.signed_push("and now?", "c1")
        (m,) = h.connector.verify_push(headers, body, url).messages
        page2 = await h.connector.fetch_since(h.store, page.cursor)
        assert [x.message_id for x in page2.messages] == [m.message_id]

        await h.connector.send_text(h.store, h.outbound("c1", "today", "k0"))
        expected: dict[str, type[Exception]] = {"transient": TransientError,
                                                "permanent": PermanentError,
                                                "auth": AuthError, "timeout": OutcomeUnknown}
        for mode, exc in expected.items():
            h.fail_next_send(mode)
            with pytest.raises(exc):
                await h.connector.send_text(h.store, h.outbound("c1", f"try {mode}", mode))
        assert h.sent_texts("c1") == ["today", "try timeout"]
        since = datetime.now(UTC) - timedelta(seconds=5)
        found = await h.connector.find_sent(h.store, h.outbound("c1", "try timeout", "t"), since)
        assert found is not None
        await h.connector.send_text(h.store, h.outbound("c1", "after", "k9"))
        assert h.sent_texts("c1")[-1] == "after"
        with pytest.raises(ValueError):
            h.fail_next_send("nope")
