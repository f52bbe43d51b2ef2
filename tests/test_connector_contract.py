"""One contract, four connectors: sandbox, Shopee, Lazada and TikTok Shop.

Every assertion here runs against each platform's emulator over real HTTP through
the ``harness(session)`` of ``tests/emulators/<platform>.py``. A platform that
fails one of them breaks the promise :class:`~connectors.base.Connector` makes to
the bot; fix the connector, never the assertion.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from connectors.base import Connector, PushAck
from connectors.errors import (
    AuthError,
    OutcomeUnknown,
    PermanentError,
    PushRejected,
    TransientError,
)
from connectors.models import FetchPage, InboundMessage, PushBatch, SentMessage, StoreAccount
from tests.emulators import lazada, sandbox, shopee, tiktok

Harness = Any  # each emulator module has its own harness class; all share one shape
HarnessFactory = Callable[[aiohttp.ClientSession], AbstractAsyncContextManager[Harness]]

#: Each harness with the fastest settings it accepts (short timeouts and backoffs).
HARNESSES: dict[str, HarnessFactory] = {
    "sandbox": lambda s: sandbox.harness(s, send_timeout=0.2, timeout_delay=0.5),
    "shopee": shopee.harness,  # already fast: 0.5 s send timeout, 10 ms backoff
    "lazada": lambda s: lazada.harness(s, read_timeout=0.2),
    "tiktok": tiktok.harness,  # already fast: 0.5 s request timeout, 10 ms backoff
}

MAX_PAGES = 100  # a pull that needs more pages than this is not terminating


@pytest.fixture(params=sorted(HARNESSES))
async def h(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    async with aiohttp.ClientSession() as session, HARNESSES[request.param](session) as h:
        yield h


def a_minute_ago() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=1)


def is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.tzinfo.utcoffset(moment) is not None


async def pull_all(connector: Connector, store: StoreAccount,
                   cursor: str | None) -> tuple[list[InboundMessage], str | None]:
    """Page from ``cursor`` until ``more`` is False: (every message, the final cursor)."""
    messages: list[InboundMessage] = []
    for _ in range(MAX_PAGES):
        page = await connector.fetch_since(store, cursor)
        assert isinstance(page, FetchPage)
        messages.extend(page.messages)
        cursor = page.cursor
        if not page.more:
            return messages, cursor
    raise AssertionError(f"fetch_since still says more=True after {MAX_PAGES} pages")


def buyer_ids(messages: list[InboundMessage]) -> list[str]:
    return [m.message_id for m in messages if not m.from_seller]


# -- shape ---------------------------------------------------------------------------------


async def test_satisfies_the_protocol(h: Harness) -> None:
    c = h.connector
    assert isinstance(c, Connector)
    assert isinstance(c.platform, str) and c.platform == h.store.platform
    assert isinstance(c.push_ack, PushAck)
    assert 200 <= c.push_ack.status < 300
    assert isinstance(c.push_ack.body, bytes)
    assert c.push_ack.content_type is None or isinstance(c.push_ack.content_type, str)
    assert isinstance(c.max_text_length, int) and c.max_text_length > 0
    assert isinstance(c.periodic_pull_allowed, bool)


# -- pushes --------------------------------------------------------------------------------


async def test_verify_push_accepts_a_signed_push(h: Harness) -> None:
    text = "Is the blue one still in stock?"
    headers, body, url = h.signed_push(text, "push")
    batch = h.connector.verify_push(headers, body, url)
    assert isinstance(batch, PushBatch)
    assert len(batch.messages) == 1, batch
    (msg,) = batch.messages
    assert isinstance(msg, InboundMessage)
    assert msg.text == text
    assert msg.from_seller is False
    assert isinstance(msg.sent_at, datetime) and is_aware(msg.sent_at)
    assert abs(msg.sent_at - datetime.now(UTC)) < timedelta(hours=1)
    assert msg.message_id and msg.conversation_id and msg.buyer.id and msg.shop_id
    assert msg.shop_id == h.store.shop_id
    # A reply to this message goes to the conversation the harness names.
    assert msg.conversation_id == h.outbound("push", "reply", "k").conversation_id
    # The web server hands headers over case-insensitively; that verifies the same.
    again = h.connector.verify_push(CIMultiDictProxy(CIMultiDict(headers)), body, url)
    assert [m.message_id for m in again.messages] == [msg.message_id]


async def test_verify_push_rejects_a_changed_byte(h: Harness) -> None:
    headers, body, url = h.signed_push("Please ship it today", "push")
    at = body.index(b"today")  # still valid JSON: only the signature can tell
    tampered = body[:at] + b"T" + body[at + 1:]
    with pytest.raises(PushRejected) as rejected:
        h.connector.verify_push(headers, tampered, url)
    assert rejected.value.status == 401


async def test_verify_push_rejects_an_unsigned_broken_body(h: Harness) -> None:
    headers, _, url = h.signed_push("hello", "push")
    unsigned = {"Content-Type": headers.get("Content-Type", "application/json")}
    with pytest.raises(PushRejected) as rejected:
        h.connector.verify_push(unsigned, b"{", url)
    assert rejected.value.status in (400, 401)
    # The genuine signature headers over other bytes are no better.
    with pytest.raises(PushRejected) as rejected:
        h.connector.verify_push(headers, b"{", url)
    assert rejected.value.status in (400, 401)


async def test_verify_push_raises_only_push_rejected_on_garbage(h: Harness) -> None:
    headers, body, url = h.signed_push("fuzz me", "push")
    rng = random.Random(20240611)
    bodies = [b"", b"{", b"}", b"null", b"[]", b"0", b'"text"', b"{}", b'{"data":null}',
              b"\xff\xfe\x00garbage", body[: len(body) // 2], body + b"x", b" " + body,
              bytes(rng.randrange(256) for _ in range(512))]
    # Broken headers are refused whatever the body, the genuine one included.
    header_sets: list[dict[str, str]] = [
        {},
        {"Content-Type": "application/json"},
        {k: "" for k in headers},
        {k: "x" for k in headers},
        {k: "0" * 64 for k in headers},
        {k: "é\u0000\u202e" for k in headers},
        {k: v + "0" for k, v in headers.items()},
        {k: v[:-1] for k, v in headers.items()},
        {k.lower(): v[::-1] for k, v in headers.items()},
    ]
    for bad_headers in header_sets:
        for bad_body in (*bodies, body):
            for bad_url in (url, "", "https://evil.example/webhook?x=1"):
                try:
                    h.connector.verify_push(bad_headers, bad_body, bad_url)
                except PushRejected as rejected:
                    assert rejected.status in (400, 401), (bad_headers, bad_body, rejected)
                else:
                    raise AssertionError(f"accepted {bad_body[:60]!r} with {bad_headers}")
    # The genuine headers with a garbage body: rejected, never crashing.
    for bad_body in bodies:
        with pytest.raises(PushRejected):
            h.connector.verify_push(headers, bad_body, url)


# -- pulls ---------------------------------------------------------------------------------


async def test_fetch_since_returns_each_buyer_message_once(h: Harness) -> None:
    said: list[str] = []
    for conv in ("alpha", "bravo", "charlie"):
        for n in range(22):
            text = f"{conv} message {n:02d}"
            await h.buyer_says(conv, text)
            said.append(text)
    messages, cursor = await pull_all(h.connector, h.store, None)
    ids = buyer_ids(messages)
    assert len(ids) == len(set(ids)), "a message id came back twice"
    assert sorted(m.text for m in messages if not m.from_seller) == sorted(said)
    for m in messages:
        assert is_aware(m.sent_at) and m.message_id and m.conversation_id

    again, cursor = await pull_all(h.connector, h.store, cursor)
    repeated = set(ids) & set(buyer_ids(again))
    assert not repeated, f"a second pass returned {len(repeated)} known messages again"

    await h.buyer_says("bravo", "one more thing")
    latest, _ = await pull_all(h.connector, h.store, cursor)
    assert [m.text for m in latest if not m.from_seller] == ["one more thing"]


# -- sending -------------------------------------------------------------------------------


async def test_send_text_and_find_sent(h: Harness) -> None:
    await h.buyer_says("c1", "Can you ship today?")
    since = a_minute_ago()
    out = h.outbound("c1", "Yes, it ships this afternoon.", "contract-send-1")
    sent = await h.connector.send_text(h.store, out)
    assert isinstance(sent, SentMessage)
    assert sent.message_id and is_aware(sent.sent_at)
    assert h.sent_texts("c1") == [out.text]

    found = await h.connector.find_sent(h.store, out, since)
    assert isinstance(found, SentMessage)
    assert found.message_id == sent.message_id

    never = h.outbound("c1", "This was never sent.", "contract-never-sent")
    assert await h.connector.find_sent(h.store, never, since) is None


async def test_transient_failure(h: Harness) -> None:
    await h.buyer_says("c1", "Hello?")
    out = h.outbound("c1", "Hello, how can I help?", "contract-transient")
    h.fail_next_send("transient")
    try:
        await h.connector.send_text(h.store, out)
    except TransientError:
        assert h.sent_texts("c1") == []
    else:  # the connector retried internally and got through: exactly once
        assert h.sent_texts("c1") == [out.text]


async def test_permanent_failure(h: Harness) -> None:
    await h.buyer_says("c1", "Hello?")
    out = h.outbound("c1", "Sorry, we cannot do that.", "contract-permanent")
    h.fail_next_send("permanent")
    with pytest.raises(PermanentError):
        await h.connector.send_text(h.store, out)
    assert h.sent_texts("c1") == []


async def test_auth_failure(h: Harness) -> None:
    await h.buyer_says("c1", "Hello?")
    out = h.outbound("c1", "Let me check.", "contract-auth")
    h.fail_next_send("auth")
    with pytest.raises(AuthError):
        await h.connector.send_text(h.store, out)
    assert h.sent_texts("c1") == []


async def test_timeout_is_outcome_unknown_and_found_later(h: Harness) -> None:
    await h.buyer_says("c1", "Hello?")
    since = a_minute_ago()
    out = h.outbound("c1", "This answer arrives late.", "contract-timeout")
    h.fail_next_send("timeout")
    with pytest.raises(OutcomeUnknown):
        await h.connector.send_text(h.store, out)
    found = await h.connector.find_sent(h.store, out, since)
    assert isinstance(found, SentMessage), "the message was stored but find_sent missed it"
    assert h.sent_texts("c1") == [out.text]
