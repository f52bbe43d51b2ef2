"""TikTok Shop images, product/order cards and buyer-request answers, over real HTTP."""

from __future__ import annotations

import json

import aiohttp
import pytest

from connectors.errors import OutcomeUnknown, PermanentError, RuleViolation
from connectors.media import MediaRefused
from connectors.models import BuyerId, ConversationId
from connectors.order_actions import ActionRefused, OrderAction, ReturnDecision
from connectors.rich import ChatTarget
from tests.emulators.tiktok import TikTokHarness, harness
from tests.image_samples import PDF, gif, jpeg, png, webp

CANCEL_ORDER, CANCEL_ID = "578012345678901234", "4035318504086611111"
RETURN_ORDER, RETURN_ID = "577998877665544332", "4035318504086622222"
PLAIN_ORDER = "578123456789012345"
REASON = "seller_reject_apply_you_have_reached_an_agreement_with_the_buyer"


def target(h: TikTokHarness) -> ChatTarget:
    conv = h.conversation("lan")
    return ChatTarget(ConversationId(conv.id), BuyerId(conv.buyer.im_user_id))


def last_sent(h: TikTokHarness) -> tuple[str, dict]:
    msg = [m for m in h.conversation("lan").messages if m.role == "SHOP"][-1]
    return msg.type, json.loads(msg.content)


@pytest.mark.parametrize("image", [png(800, 600), jpeg(800, 600), gif(800, 600),
                                   webp(800, 600)])
async def test_image_upload_is_multipart_unsigned_body_then_image_message(image: bytes
                                                                          ) -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        sent = await h.connector.send_image(h.store, target(h), image, "", "photo")
        kind, content = last_sent(h)
        assert kind == "IMAGE" and content["url"] in h.emulator.rich.uploads
        assert (content["width"], content["height"]) == (800, 600)
        assert sent.message_id == h.conversation("lan").messages[-1].id
        (up,) = [s for s in h.emulator.seen if s.endpoint == "image_upload"]
        assert up.headers["Content-Type"].startswith("multipart/form-data")


async def test_refused_files_never_reach_tiktok() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        with pytest.raises(MediaRefused) as err:
            await h.connector.send_image(h.store, target(h), PDF, "application/pdf", "a.pdf")
        assert "PDF" in err.value.user_message and "TikTok Shop" in err.value.user_message
        with pytest.raises(MediaRefused) as err:
            await h.connector.send_image(h.store, target(h), png(10, 10, pad=11 * 1024 * 1024),
                                         "image/png", "big.png")
        assert "up to 10.0 MB" in err.value.user_message
        assert not [s for s in h.emulator.seen if s.endpoint == "image_upload"]


async def test_platform_refusal_and_lost_answer_on_image_send() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.rich.upload_limit = 10
        with pytest.raises(PermanentError):
            await h.connector.send_image(h.store, target(h), png(8, 8), "", "a.png")
        h.emulator.rich.upload_limit = 10 * 1024 * 1024
        h.emulator.fail_next("send", "timeout")
        with pytest.raises(OutcomeUnknown):
            await h.connector.send_image(h.store, target(h), png(8, 8), "", "a.png")


async def test_products_by_name_and_id_and_cards() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        rich = h.emulator.rich
        rich.add_product(h.shop.id, "1729592969712207008", "Ví da nam mini", price="189000")
        rich.add_product(h.shop.id, "1729592969712207009", "Ví da nữ", status="SELLER_DEACTIVATED")
        rich.add_product(h.shop.id, "1729592969712207010", "Thắt lưng da")
        found = await h.connector.search_products(h.store, "VÍ DA")
        assert [(p.product_id, p.price, p.currency) for p in found] == [
            ("1729592969712207008", "189000", "VND")]
        by_id = await h.connector.search_products(h.store, "1729592969712207010")
        assert [p.name for p in by_id] == ["Thắt lưng da"]
        assert await h.connector.search_products(h.store, "999") == []
        card = await h.connector.send_product_card(h.store, target(h), "1729592969712207008")
        assert not card.as_text
        assert last_sent(h) == ("PRODUCT_CARD", {"product_id": "1729592969712207008"})
        with pytest.raises(PermanentError):  # not the shop's product
            await h.connector.send_product_card(h.store, target(h), "42")
        with pytest.raises(RuleViolation):
            await h.connector.send_order_card(h.store, target(h), "abc")
        h.emulator.orders.seed_samples(h.shop.id)
        await h.connector.send_order_card(h.store, target(h), PLAIN_ORDER)
        assert last_sent(h) == ("ORDER_CARD", {"order_id": PLAIN_ORDER})


async def test_cancellation_reject_with_a_platform_reason_then_wrong_state() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.orders.seed_samples(h.shop.id)
        (order,) = await h.connector.get_orders(h.store, [CANCEL_ORDER])
        assert h.connector.allowed_actions(order) >= {OrderAction.CANCEL_ACCEPT,
                                                      OrderAction.CANCEL_REJECT}
        reasons = await h.connector.refusal_reasons(h.store, CANCEL_ORDER, "cancel")
        assert REASON in [r.code for r in reasons]
        with pytest.raises(ActionRefused) as err:
            await h.connector.answer_cancellation(h.store, CANCEL_ORDER, False, "because")
        assert err.value.user_message.startswith("TikTok Shop refused: Unknown return reason")
        result = await h.connector.answer_cancellation(h.store, CANCEL_ORDER, False, REASON)
        assert result.request_id == CANCEL_ID and result.action is OrderAction.CANCEL_REJECT
        cancel = h.emulator.orders.book(h.shop.id).cancellations[CANCEL_ID]
        assert cancel["cancel_status"] == "CANCELLATION_REQUEST_CANCEL"
        with pytest.raises(ActionRefused) as err:
            await h.connector.answer_cancellation(h.store, CANCEL_ORDER, True)
        assert "no pending cancellation" in err.value.user_message


async def test_cancellation_accept() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.orders.seed_samples(h.shop.id)
        await h.connector.answer_cancellation(h.store, CANCEL_ORDER, True)
        assert h.emulator.orders.book(h.shop.id).orders[CANCEL_ORDER]["status"] == "CANCELLED"


async def test_return_partial_refund_refuse_and_accept() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.orders.seed_samples(h.shop.id)
        row = h.emulator.orders.book(h.shop.id).returns[RETURN_ID]
        (order,) = await h.connector.get_orders(h.store, [RETURN_ORDER])
        assert OrderAction.RETURN_PARTIAL_REFUND in h.connector.allowed_actions(order, RETURN_ID)
        with pytest.raises(ActionRefused) as err:
            await h.connector.answer_return(h.store, RETURN_ORDER, RETURN_ID,
                                            ReturnDecision.PARTIAL_REFUND, amount="999999")
        assert "ReverseInvalidStatusPartialRefund" in err.value.user_message
        with pytest.raises(ActionRefused):
            await h.connector.answer_return(h.store, RETURN_ORDER, RETURN_ID,
                                            ReturnDecision.REFUSE, reason="nope")
        result = await h.connector.answer_return(h.store, RETURN_ORDER, RETURN_ID,
                                                 ReturnDecision.REFUSE, reason=REASON,
                                                 comment="Seal intact on pickup")
        assert result.action is OrderAction.RETURN_REFUSE
        assert row["return_status"] == "REFUND_OR_RETURN_REQUEST_REJECT"
        body = json.loads([s for s in h.emulator.seen if s.endpoint == "return_reject"][-1].body)
        assert body == {"decision": "REJECT_REFUND", "reject_reason": REASON,
                        "comment": "Seal intact on pickup"}
        with pytest.raises(ActionRefused) as err:
            await h.connector.answer_return(h.store, RETURN_ORDER, RETURN_ID,
                                            ReturnDecision.ACCEPT)
        assert "cannot approve" in err.value.user_message


async def test_return_offer_and_deadline_passed() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.orders.seed_samples(h.shop.id)
        row = h.emulator.orders.book(h.shop.id).returns[RETURN_ID]
        await h.connector.answer_return(h.store, RETURN_ORDER, RETURN_ID,
                                        ReturnDecision.PARTIAL_REFUND, amount="50000")
        assert row["partial_refund"] == {"currency": "VND", "amount": "50000"}
        row.update(return_status="RETURN_OR_REFUND_REQUEST_PENDING")
        row["seller_next_action_response"] = [{"action": "SELLER_RESPOND_REFUND",
                                               "deadline": int(h.emulator.state.now()) - 60}]
        (order,) = await h.connector.get_orders(h.store, [RETURN_ORDER])
        assert h.connector.allowed_actions(order, RETURN_ID) == frozenset()
        with pytest.raises(ActionRefused) as err:
            await h.connector.answer_return(h.store, RETURN_ORDER, RETURN_ID,
                                            ReturnDecision.REFUSE, reason=REASON)
        assert err.value.user_message == ("TikTok Shop refused: Aftersales has been approved "
                                          "and cannot be rejected.")
