"""Lazada images, product/order cards and buyer-request answers, over real HTTP."""

from __future__ import annotations

import json

import aiohttp
import pytest

from connectors.errors import OutcomeUnknown, PermanentError, RuleViolation
from connectors.media import MediaRefused
from connectors.models import BuyerId, ConversationId
from connectors.order_actions import ActionRefused, OrderAction, ReturnDecision
from connectors.rich import ChatTarget
from tests.emulators.lazada import SEND, LazadaHarness, harness
from tests.image_samples import MP4, gif, jpeg, png

CANCEL_ORDER, CANCEL_REVERSE = "832031234567890", "704947701379284"
RETURN_ORDER, RETURN_REVERSE, RETURN_LINE = "829876543210987", "705112233445566", (
    "705112233545566")


def target(h: LazadaHarness) -> ChatTarget:
    session = h.session("somchai")
    return ChatTarget(ConversationId(session.session_id), BuyerId(session.buyer_id))


def last_sent(h: LazadaHarness) -> tuple[int, dict]:
    msg = h.emulator.state.sessions[h.session("somchai").session_id].messages[-1]
    return msg.template_id, json.loads(msg.content)


async def test_image_upload_unsigned_file_then_template_3() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        sent = await h.connector.send_image(h.store, target(h), jpeg(1200, 900), "", "box.jpg")
        template, content = last_sent(h)
        assert template == 3 and (content["width"], content["height"]) == (1200, 900)
        assert content["imgUrl"] in h.emulator.rich["uploads"]
        assert sent.message_id
        (up,) = h.emulator.calls_to("/image/upload")
        assert "image" not in up.params  # the file travelled as a part, not a parameter


@pytest.mark.parametrize(("data", "words"), [
    (gif(10, 10), "GIF image; Lazada chat takes JPEG, PNG only"),
    (png(10, 10, pad=2 * 1024 * 1024), "Lazada takes images up to 1.0 MB"),
    (png(6000, 100), "at most 5000 pixels a side"),
    (MP4, "a video (MP4/MOV)"),
])
async def test_lazada_limits_refuse_before_upload(data: bytes, words: str) -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        with pytest.raises(MediaRefused) as err:
            await h.connector.send_image(h.store, target(h), data, "image/png", "x")
        assert words in err.value.user_message
        assert h.emulator.calls_to("/image/upload") == []


async def test_platform_refusal_and_lost_answer() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.upload_limit = 20
        with pytest.raises(PermanentError):
            await h.connector.send_image(h.store, target(h), png(8, 8), "", "a.png")
        h.emulator.upload_limit = 1024 * 1024
        h.emulator.delay_next(SEND, h.answer_delay)
        with pytest.raises(OutcomeUnknown):
            await h.connector.send_image(h.store, target(h), png(8, 8), "", "a.png")


async def test_products_and_cards() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.add_product(h.seller_id, 180226526, "Bamboo cutting board", price=32.0)
        h.emulator.add_product(h.seller_id, 180226527, "Bamboo spoon set", status="InActive")
        found = await h.connector.search_products(h.store, "bamboo")
        assert [(p.product_id, p.price) for p in found] == [("180226526", "32.0")]
        assert found[0].url == "https://www.lazada.sg/-i180226526.html"
        assert [p.name for p in await h.connector.search_products(h.store, "180226527")] == [
            "Bamboo spoon set"]
        await h.connector.send_product_card(h.store, target(h), "180226526")
        assert last_sent(h) == (10006, {"itemId": "180226526",
                                        "title": "Bamboo cutting board"})
        with pytest.raises(PermanentError):
            await h.connector.send_product_card(h.store, target(h), "1")
        h.emulator.orders.seed_samples(h.seller_id)
        await h.connector.send_order_card(h.store, target(h), RETURN_ORDER)
        assert last_sent(h) == (10007, {"orderId": RETURN_ORDER})
        with pytest.raises(RuleViolation):
            await h.connector.send_order_card(h.store, target(h), "#1")


async def test_cancellation_reject_with_reason_then_not_pending() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.orders.seed_samples(h.seller_id)
        (order,) = await h.connector.get_orders(h.store, [CANCEL_ORDER])
        assert h.connector.allowed_actions(order) == {OrderAction.CANCEL_ACCEPT,
                                                      OrderAction.CANCEL_REJECT}
        reasons = await h.connector.refusal_reasons(h.store, CANCEL_ORDER, "cancel")
        assert [r.code for r in reasons] == ["1000017", "1000021"]
        with pytest.raises(ActionRefused) as err:
            await h.connector.answer_cancellation(h.store, CANCEL_ORDER, False, "42")
        assert err.value.user_message.startswith("Lazada refused: E0108")
        result = await h.connector.answer_cancellation(h.store, CANCEL_ORDER, False, "1000017")
        assert result.request_id == CANCEL_REVERSE
        with pytest.raises(ActionRefused) as err:
            await h.connector.answer_cancellation(h.store, CANCEL_ORDER, True)
        assert "no pending cancellation" in err.value.user_message


async def test_cancellation_accept_and_deadline_passed() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.orders.seed_samples(h.seller_id)
        await h.connector.answer_cancellation(h.store, CANCEL_ORDER, True)
        order = h.emulator.orders.order(h.seller_id, CANCEL_ORDER)
        assert [i["status"] for i in order.items] == ["canceled"]
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.orders.seed_samples(h.seller_id)
        reverse = h.emulator.orders.reverses[(h.seller_id, CANCEL_REVERSE)]
        reverse.body["reverse_order_lines"][0]["sla"] = h.emulator.state.now_ms() - 1000
        with pytest.raises(ActionRefused) as err:
            await h.connector.answer_cancellation(h.store, CANCEL_ORDER, True)
        assert err.value.user_message == ("Lazada refused: E0114: this reverse does not "
                                          "support this action")


async def test_return_refuse_needs_reason_and_comment_then_accept_is_refused() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.orders.seed_samples(h.seller_id)
        (order,) = await h.connector.get_orders(h.store, [RETURN_ORDER])
        assert h.connector.allowed_actions(order, RETURN_REVERSE) == {
            OrderAction.RETURN_ACCEPT, OrderAction.RETURN_REFUSE}  # no partial refund API
        with pytest.raises(RuleViolation):
            await h.connector.answer_return(h.store, RETURN_ORDER, RETURN_REVERSE,
                                            ReturnDecision.PARTIAL_REFUND, amount="10")
        with pytest.raises(RuleViolation):
            await h.connector.answer_return(h.store, RETURN_ORDER, RETURN_REVERSE,
                                            ReturnDecision.REFUSE, reason="1000021")
        await h.connector.answer_return(h.store, RETURN_ORDER, RETURN_REVERSE,
                                        ReturnDecision.REFUSE, reason="1000021",
                                        comment="Tag still attached, unused")
        (call,) = [c for c in h.emulator.calls_to("/order/reverse/return/update")]
        assert call.params["action"] == "refuseReturn"
        assert call.params["reverse_order_item_ids"] == f"[{RETURN_LINE}]"
        line = h.emulator.orders.reverses[(h.seller_id, RETURN_REVERSE)].body[
            "reverse_order_lines"][0]
        assert line["reverse_status"] == "REQUEST_REJECT"
        with pytest.raises(ActionRefused) as err:
            await h.connector.answer_return(h.store, RETURN_ORDER, RETURN_REVERSE,
                                            ReturnDecision.ACCEPT)
        assert "E0114" in err.value.user_message


async def test_return_accept() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        h.emulator.orders.seed_samples(h.seller_id)
        result = await h.connector.answer_return(h.store, RETURN_ORDER, RETURN_REVERSE,
                                                 ReturnDecision.ACCEPT)
        assert result.action is OrderAction.RETURN_ACCEPT
        line = h.emulator.orders.reverses[(h.seller_id, RETURN_REVERSE)].body[
            "reverse_order_lines"][0]
        assert line["reverse_status"] == "AGREE_RETURN"
