"""Shopee images, product/order cards and buyer-request answers, over real HTTP."""

from __future__ import annotations

from dataclasses import replace

import aiohttp
import pytest

from connectors.errors import OutcomeUnknown, PermanentError, RuleViolation
from connectors.media import MediaRefused
from connectors.models import BuyerId, ConversationId
from connectors.order_actions import ActionRefused, OrderAction, ReturnDecision
from connectors.orders import OrderActor
from connectors.rich import ChatTarget, RichSender
from tests.emulators.shopee import SHOP_ID, Env, shopee_env
from tests.image_samples import MP4, PDF, gif, jpeg, png

BUYER = 165105353
A, B, C = "231115A7K2QW9N", "231114B3M8XR2P", "231101C5T4HV7D"
RETURN = "2311150RQ7XK0D1"


def target(env: Env) -> ChatTarget:
    conv = env.emulator.conversation(SHOP_ID, BUYER)
    return ChatTarget(ConversationId(conv.conversation_id), BuyerId(str(BUYER)))


def seeded(env: Env) -> None:
    # Samples are dated 2023: shift them so the return's due_date is in the future.
    env.emulator.seed_order_samples(SHOP_ID, shift=int(env.clock()) - 1699996000)


async def test_image_is_checked_uploaded_then_sent_as_an_image_message() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        assert isinstance(env.connector, RichSender) and isinstance(env.connector, OrderActor)
        sent = await env.connector.send_image(env.store, target(env), png(640, 480),
                                              "image/png", "size-chart.png")
        (up,) = env.emulator.called("upload_image")
        assert up.body["file"][0] == "size-chart.png" and up.body["file"][2] == "image/png"
        (send,) = env.emulator.called("send_message")
        assert send.body["message_type"] == "image" and send.body["to_id"] == BUYER
        assert send.body["content"]["image_url"] in env.emulator.rich.uploads
        stored = env.emulator.conversation(SHOP_ID, BUYER).messages[-1]
        assert sent.message_id == stored.message_id
        # A second identical send is a second message: nothing de-duplicates sends.
        again = await env.connector.send_image(env.store, target(env), png(640, 480),
                                               "image/png", "size-chart.png")
        assert again.message_id != sent.message_id


@pytest.mark.parametrize(("data", "name", "words"), [
    (PDF, "invoice.pdf", "is a PDF document, not an image Shopee can show"),
    (MP4, "unboxing.mp4", "a video"),
    (gif(10, 10), "smile.gif", "GIF image; Shopee chat takes JPEG, PNG only"),
    (jpeg(10, 10, pad=11 * 1024 * 1024), "huge.jpg", "Shopee takes images up to 10.0 MB"),
    (b"", "empty.png", "empty.png is empty"),
])
async def test_files_shopee_cannot_take_are_refused_before_any_upload(
        data: bytes, name: str, words: str) -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        with pytest.raises(MediaRefused) as err:
            await env.connector.send_image(env.store, target(env), data, "image/png", name)
        assert words in err.value.user_message
        assert env.emulator.called("upload_image") == []


async def test_platform_upload_refusal_and_lost_send_answer() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.rich.upload_limit = 50  # the platform is stricter than we thought
        with pytest.raises(PermanentError):
            await env.connector.send_image(env.store, target(env), png(64, 64), "", "a.png")
        assert env.emulator.called("send_message") == []
        env.emulator.rich.upload_limit = 10 * 1024 * 1024
        env.emulator.fail_next("send_message", "timeout")
        with pytest.raises(OutcomeUnknown):
            await env.connector.send_image(env.store, target(env), png(64, 64), "", "a.png")


async def test_product_search_by_name_and_id_then_cards() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session, region="VN") as env:
        env.emulator.add_item(SHOP_ID, 23620853590, "Mũ lưỡi trai thêu logo", price=150000,
                              currency="VND")
        env.emulator.add_item(SHOP_ID, 23620853591, "Túi tote canvas", price=99000,
                              currency="VND")
        env.emulator.add_item(SHOP_ID, 23620853592, "Mũ bucket (ẩn)", status="UNLIST")
        found = await env.connector.search_products(env.store, "mũ")
        assert [p.product_id for p in found] == ["23620853590"]
        assert found[0].price == "150000" and found[0].currency == "VND"
        assert found[0].url == f"https://shopee.vn/product/{SHOP_ID}/23620853590"
        by_id = await env.connector.search_products(env.store, "23620853591")
        assert [p.name for p in by_id] == ["Túi tote canvas"]
        assert await env.connector.search_products(env.store, "nothing like it") == []
        assert env.connector.cards.product and env.connector.cards.order
        card = await env.connector.send_product_card(env.store, target(env), "23620853591")
        assert not card.as_text
        assert env.emulator.called("send_message")[-1].body["content"] == {
            "item_id": 23620853591}
        with pytest.raises(PermanentError) as err:  # not this shop's product
            await env.connector.send_product_card(env.store, target(env), "999")
        assert "Product not found" in str(err.value)
        with pytest.raises(RuleViolation):
            await env.connector.send_product_card(env.store, target(env), "abc")
        seeded(env)
        await env.connector.send_order_card(env.store, target(env), A)
        assert env.emulator.called("send_message")[-1].body == {
            "to_id": BUYER, "message_type": "order", "content": {"order_sn": A}}


async def test_buyer_cancellation_accept_reject_and_wrong_state() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session, region="VN") as env:
        seeded(env)
        (order_b,) = await env.connector.get_orders(env.store, [B])
        assert env.connector.allowed_actions(order_b) >= {OrderAction.CANCEL_ACCEPT,
                                                          OrderAction.CANCEL_REJECT}
        assert await env.connector.refusal_reasons(env.store, B, "cancel") == []
        result = await env.connector.answer_cancellation(env.store, B, accept=False)
        assert result.action is OrderAction.CANCEL_REJECT and result.order_id == B
        assert env.emulator.order(SHOP_ID, B)["order_status"] == "READY_TO_SHIP"
        (order_b,) = await env.connector.get_orders(env.store, [B])
        assert not env.connector.allowed_actions(order_b) & {OrderAction.CANCEL_ACCEPT}
        with pytest.raises(ActionRefused) as err:
            await env.connector.answer_cancellation(env.store, B, accept=True)
        assert err.value.user_message == ("Shopee refused: Invalid order_status.The order "
                                          "status should be IN_CANCEL.")
        env.emulator.request_cancel(SHOP_ID, A)
        done = await env.connector.answer_cancellation(env.store, A, accept=True)
        assert done.platform_status == "CANCELLED"
        assert env.emulator.order(SHOP_ID, A)["order_status"] == "CANCELLED"


async def test_return_accept_partial_refund_and_dispute() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session, region="VN") as env:
        seeded(env)
        (order_c,) = await env.connector.get_orders(env.store, [C])
        assert env.connector.allowed_actions(order_c, RETURN) == {
            OrderAction.RETURN_ACCEPT, OrderAction.RETURN_REFUSE,
            OrderAction.RETURN_PARTIAL_REFUND}
        with pytest.raises(ActionRefused) as err:
            await env.connector.answer_return(env.store, C, RETURN,
                                              ReturnDecision.PARTIAL_REFUND, amount="999999")
        assert "can not exceed max refund amount" in err.value.user_message
        with pytest.raises(RuleViolation):
            await env.connector.answer_return(env.store, C, RETURN,
                                              ReturnDecision.PARTIAL_REFUND, amount="-5")
        await env.connector.answer_return(env.store, C, RETURN, ReturnDecision.PARTIAL_REFUND,
                                          amount="50000")
        ret = env.emulator.order_book.returns[SHOP_ID][RETURN]
        assert ret["negotiation"]["latest_offer_amount"] == 50000
        reasons = await env.connector.refusal_reasons(env.store, RETURN, "return")
        assert reasons[0].code == "50"
        with pytest.raises(RuleViolation) as rv:  # no e-mail configured for the store
            await env.connector.answer_return(env.store, C, RETURN, ReturnDecision.REFUSE,
                                              reason="50")
        assert "dispute_email" in rv.value.user_message
        store = replace(env.store, dispute_email="ops@kopi.test")
        with pytest.raises(ActionRefused) as err:
            await env.connector.answer_return(store, C, RETURN, ReturnDecision.REFUSE,
                                              reason="7")
        assert err.value.user_message == "Shopee refused: invalid dispute_reason."
        result = await env.connector.answer_return(store, C, RETURN, ReturnDecision.REFUSE,
                                                   reason="50", comment="Item was intact")
        assert result.action is OrderAction.RETURN_REFUSE and result.request_id == RETURN
        assert ret["status"] == "JUDGING"
        body = env.emulator.called("returns/dispute")[-1].body
        assert body["email"] == "ops@kopi.test" and body["dispute_text_reason"] == (
            "Item was intact")


async def test_return_past_its_deadline_is_refused_and_not_offered() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session, region="VN") as env:
        seeded(env)
        (order_c,) = await env.connector.get_orders(env.store, [C])
        env.clock.advance(3 * 86400)  # due_date passed: Shopee auto-accepted it
        assert env.connector.allowed_actions(order_c, RETURN) == frozenset()
        with pytest.raises(ActionRefused) as err:
            await env.connector.answer_return(env.store, C, RETURN, ReturnDecision.ACCEPT)
        assert "Invalid return status: ACCEPTED" in err.value.user_message
