"""Sandbox marketplace: images, product cards, the order card's text fallback."""

from __future__ import annotations

import aiohttp
import pytest

from connectors.errors import OutcomeUnknown, PermanentError, RuleViolation
from connectors.media import MediaRefused
from connectors.models import BuyerId, ConversationId
from connectors.rich import ChatTarget
from tests.emulators.sandbox import SHOP_ID, SandboxHarness, harness
from tests.image_samples import PDF, png, webp


def target(h: SandboxHarness) -> ChatTarget:
    buyer = h.buyer("ana")
    return ChatTarget(ConversationId(h.market.conversation_id(SHOP_ID, buyer.buyer_id)),
                      BuyerId(buyer.buyer_id))


def sent(h: SandboxHarness) -> list[dict]:
    return h.market.sent_messages(SHOP_ID, target(h).conversation_id)


async def test_image_upload_signed_raw_body_then_image_message_never_deduplicated() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        first = await h.connector.send_image(h.store, target(h), webp(640, 640), "", "a.webp")
        second = await h.connector.send_image(h.store, target(h), webp(640, 640), "", "a.webp")
        assert first.message_id != second.message_id
        images = [m for m in sent(h) if m["type"] == "image"]
        assert len(images) == 2 and images[0]["content"]["width"] == 640
        # Pulled back, our own image reads as an image message with its url.
        page = await h.connector.fetch_since(h.store, None)
        ours = [m for m in page.messages if m.message_id == first.message_id]
        assert ours[0].kind.value == "image" and ours[0].attributes["url"].startswith("https")


async def test_refusals_local_and_from_the_marketplace() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        with pytest.raises(MediaRefused) as err:
            await h.connector.send_image(h.store, target(h), PDF, "application/pdf", "q.pdf")
        assert "q.pdf is a PDF document" in err.value.user_message
        with pytest.raises(MediaRefused) as err:
            await h.connector.send_image(h.store, target(h), png(5000, 10), "", "wide.png")
        assert "at most 4096 pixels a side" in err.value.user_message
        assert sent(h) == []
        h.market.fail_next_send("permanent")
        with pytest.raises(PermanentError):
            await h.connector.send_image(h.store, target(h), png(8, 8), "", "a.png")
        h.market.fail_next_send("timeout")
        with pytest.raises(OutcomeUnknown):
            await h.connector.send_image(h.store, target(h), png(8, 8), "", "a.png")


async def test_products_cards_and_order_text_fallback() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.market.shelf.add_product(SHOP_ID, "p100", "Linen shirt", "29.90", "SGD")
        h.market.shelf.add_product(SHOP_ID, "p101", "Linen trousers", "39.90", "SGD")
        found = await h.connector.search_products(h.store, "linen s")
        assert [(p.product_id, p.price) for p in found] == [("p100", "29.90")]
        assert [p.product_id for p in await h.connector.search_products(h.store, "LINEN")] == [
            "p100", "p101"]  # a one-word query is tried as an id first, then as a name
        assert [p.name for p in await h.connector.search_products(h.store, "p101")] == [
            "Linen trousers"]
        card = await h.connector.send_product_card(h.store, target(h), "p101")
        assert not card.as_text and sent(h)[-1]["type"] == "product"
        with pytest.raises(PermanentError):
            await h.connector.send_product_card(h.store, target(h), "nope")
        assert h.connector.cards.product and not h.connector.cards.order
        with pytest.raises(RuleViolation):
            await h.connector.send_order_card(h.store, target(h), "SO-1")
        as_text = await h.connector.send_order_card(h.store, target(h), "SO-1",
                                                    text_fallback=True)
        assert as_text.as_text and sent(h)[-1]["content"] == {"text": "Order SO-1"}
