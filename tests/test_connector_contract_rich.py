"""The rich-send and order-action contract, for the same four connectors and
harnesses as ``tests/test_connector_contract.py`` (kept in its own module so the two
grow independently). Retry classes are the text send's: the bot reuses its rules."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from connectors.errors import (
    AuthError,
    OutcomeUnknown,
    PermanentError,
    RuleViolation,
    TransientError,
)
from connectors.media import MediaRefused
from connectors.models import SentMessage
from connectors.orders import OrderActor
from connectors.rich import CardSupport, ChatTarget, RichSender, SentCard
from tests.image_samples import MP4, PDF, png
from tests.test_connector_contract import HARNESSES, Harness, is_aware


@pytest.fixture(params=sorted(HARNESSES))
async def h(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    async with aiohttp.ClientSession() as session, HARNESSES[request.param](session) as h:
        yield h


async def target(h: Harness) -> ChatTarget:
    await h.buyer_says("c1", "Do you have a photo?")
    out = h.outbound("c1", "-", "unused")
    return ChatTarget(out.conversation_id, out.buyer_id)


async def test_satisfies_the_rich_and_action_protocols(h: Harness) -> None:
    assert isinstance(h.connector, RichSender) and isinstance(h.connector, OrderActor)
    assert isinstance(h.connector.cards, CardSupport)


async def test_image_sends_are_new_messages_each_time(h: Harness) -> None:
    to = await target(h)
    first = await h.connector.send_image(h.store, to, png(320, 240), "image/png", "a.png")
    second = await h.connector.send_image(h.store, to, png(320, 240), "image/png", "a.png")
    for sent in (first, second):
        assert isinstance(sent, SentMessage) and sent.message_id and is_aware(sent.sent_at)
    assert first.message_id != second.message_id


@pytest.mark.parametrize("data", [PDF, MP4])
async def test_non_images_are_refused_as_rule_violations(h: Harness, data: bytes) -> None:
    to = await target(h)
    with pytest.raises(MediaRefused) as err:
        await h.connector.send_image(h.store, to, data, "application/octet-stream", "f")
    assert isinstance(err.value, RuleViolation) and err.value.user_message


@pytest.mark.parametrize(("mode", "error"), [("permanent", PermanentError),
                                             ("auth", AuthError),
                                             ("timeout", OutcomeUnknown)])
async def test_image_send_failures_use_the_text_error_classes(
        h: Harness, mode: str, error: type[Exception]) -> None:
    to = await target(h)
    h.fail_next_send(mode)
    with pytest.raises(error):
        await h.connector.send_image(h.store, to, png(16, 16), "image/png", "a.png")


async def test_transient_image_send_failure(h: Harness) -> None:
    to = await target(h)
    h.fail_next_send("transient")
    try:
        sent = await h.connector.send_image(h.store, to, png(16, 16), "image/png", "a.png")
    except TransientError:
        return
    assert sent.message_id  # retried internally and got through


async def test_order_card_support_matches_the_capability(h: Harness) -> None:
    to = await target(h)
    if h.connector.cards.order:
        return  # covered per platform, with the platform's own order ids
    with pytest.raises(RuleViolation):
        await h.connector.send_order_card(h.store, to, "123")
    card = await h.connector.send_order_card(h.store, to, "123", text_fallback=True)
    assert isinstance(card, SentCard) and card.as_text
