"""verify_push on the raw bytes, and the emulator's webhook delivery and ack check."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from connectors.errors import PushRejected
from connectors.models import MessageKind
from tests.emulators.tiktok import APP_KEY, APP_SECRET, TikTokHarness, harness
from tests.emulators.tiktok_push import RETRY_SCHEDULE, sign


@pytest.fixture
async def h() -> AsyncIterator[TikTokHarness]:
    async with aiohttp.ClientSession() as session, harness(session) as hh:
        yield hh


def signed(doc: object) -> tuple[dict[str, str], bytes]:
    body = json.dumps(doc, separators=(",", ":")).encode()
    return {"Authorization": sign(APP_KEY, APP_SECRET, body)}, body


def reject_status(h: TikTokHarness, headers: dict[str, str], body: bytes) -> int:
    with pytest.raises(PushRejected) as err:
        h.connector.verify_push(headers, body, "https://x/webhooks/tiktok")
    return err.value.status


async def test_buyer_push_is_parsed(h: TikTokHarness) -> None:
    headers, body, url = h.signed_push("Cho mình hỏi đơn hàng?", "a")
    batch = h.connector.verify_push(headers, body, url)
    (m,) = batch.messages
    conv = h.conversation("a")
    assert (m.text, m.kind, m.from_seller) == ("Cho mình hỏi đơn hàng?", MessageKind.TEXT, False)
    assert m.conversation_id == conv.id and m.shop_id == h.store.shop_id
    assert m.buyer.id == conv.buyer.im_user_id  # the IM id, not the order user_id
    assert m.message_id == conv.messages[-1].id and batch.ignored == ()


async def test_header_lookup_ignores_case(h: TikTokHarness) -> None:
    headers, body, url = h.signed_push("hi", "a")
    lower = {"authorization": headers["Authorization"]}
    assert len(h.connector.verify_push(lower, body, url).messages) == 1


async def test_seller_own_message_comes_back_marked(h: TikTokHarness) -> None:
    conv = h.conversation("a")
    msg = h.emulator.state.add_message(conv, role="SHOP", content={"content": "ours"})
    headers, body = h.emulator.push.new_message(conv, msg)
    (m,) = h.connector.verify_push(headers, body, "u").messages
    assert m.from_seller and m.text == "ours"


async def test_unsigned_and_forged_are_401(h: TikTokHarness) -> None:
    headers, body, _ = h.signed_push("hi", "a")
    assert reject_status(h, {}, body) == 401
    assert reject_status(h, {"Authorization": ""}, body) == 401
    assert reject_status(h, headers, body.replace(b"hi", b"ho")) == 401
    wrong_key = sign(APP_KEY, "not-the-secret", body)
    assert reject_status(h, {"Authorization": wrong_key}, body) == 401
    assert reject_status(h, {"Authorization": "Bearer " + headers["Authorization"]}, body) == 401
    assert reject_status(h, {"Authorization": "é" * 64}, body) == 401


@pytest.mark.parametrize("body", [b"not json", b"[1,2]", b'{"data":{}}', b'{"type":"14"}',
                                  b'{"type":14,"shop_id":"1","data":{"conversation_id":"2"}}',
                                  b'{"type":14,"shop_id":"1","data":[]}',
                                  b'{"type":14,"shop_id":"1","data":{"message_id":"3",'
                                  b'"conversation_id":"2","create_time":"soon"}}',
                                  b"\xff\xfe\x00"])
async def test_malformed_signed_bodies_are_400(h: TikTokHarness, body: bytes) -> None:
    headers = {"Authorization": sign(APP_KEY, APP_SECRET, body)}
    assert reject_status(h, headers, body) == 400


async def test_unused_push_types_are_ignored(h: TikTokHarness) -> None:
    order = {"type": 1, "tts_notification_id": "1", "shop_id": "9", "timestamp": 1,
             "data": {"order_id": "5"}}
    batch = h.connector.verify_push(*signed(order), "u")  # order pushes are used now
    assert batch.ignored == ()
    assert [(e.order_id, e.kind) for e in batch.order_events] == [("5", "status")]
    headers, body = h.emulator.push.new_conversation(h.conversation("a"))
    batch = h.connector.verify_push(headers, body, "u")
    assert batch.messages == () and batch.ignored == ("NEW_CONVERSATION(13)",)
    assert h.connector.verify_push(*signed({**order, "type": 99}), "u").ignored == ("type 99",)


async def test_invisible_system_item_is_ignored(h: TikTokHarness) -> None:
    conv = h.conversation("a")
    msg = h.emulator.state.add_message(conv, role="SYSTEM", type_="NOTIFICATION",
                                       content={"content": "rate us"}, visible=False)
    batch = h.connector.verify_push(*h.emulator.push.new_message(conv, msg), "u")
    assert batch.messages == () and batch.ignored


async def test_arbitrary_bytes_raise_only_push_rejected(h: TikTokHarness) -> None:
    samples = [b"", b"{", b"null", b'{"type":14}', bytes(range(256)), b'{"type":true}']
    for body in samples:
        for headers in ({}, {"Authorization": sign(APP_KEY, APP_SECRET, body)},
                        {"Authorization": "zz"}):
            with pytest.raises(PushRejected):
                h.connector.verify_push(headers, body, "u")


def test_push_ack_is_empty_200() -> None:
    from connectors.tiktok import TikTokConnector

    assert TikTokConnector.push_ack.status == 200 and TikTokConnector.push_ack.body == b""


# -- the emulator delivers pushes the way TikTok does --------------------------------------

async def receiver(h: TikTokHarness, reply: str = "ack",
                   delay: float = 0.0) -> tuple[web.AppRunner, list[int]]:
    got: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        await asyncio.sleep(delay)
        try:
            batch = h.connector.verify_push(request.headers, raw, str(request.url))
        except PushRejected as exc:
            return web.Response(status=exc.status, text=exc.reason)
        got.append(len(batch.messages))
        if reply == "chatty":
            return web.Response(text="ok")
        return web.Response(status=h.connector.push_ack.status, body=h.connector.push_ack.body)

    app = web.Application()
    app.router.add_post("/webhooks/tiktok", hook)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    h.emulator.push.url = f"http://127.0.0.1:{port}/webhooks/tiktok"
    return runner, got


async def test_delivery_acked_by_our_verifier(h: TikTokHarness) -> None:
    runner, got = await receiver(h)
    try:
        await h.emulator.buyer_says(h.conversation("a"), "hello", push=True)
        (delivery,) = h.emulator.push.deliveries
        assert delivery.acked and delivery.next_due is None and got == [1]
    finally:
        await runner.cleanup()


async def test_non_empty_ack_body_counts_as_failure_and_is_retried(h: TikTokHarness) -> None:
    runner, _ = await receiver(h, reply="chatty")
    try:
        await h.emulator.buyer_says(h.conversation("a"), "hello", push=True)
        (delivery,) = h.emulator.push.deliveries
        assert not delivery.acked
        start = h.emulator.state.clock()
        assert delivery.next_due == pytest.approx(start + RETRY_SCHEDULE[0], abs=2)
        assert await h.emulator.push.run_due() == []  # not yet due
        redone = await h.emulator.push.run_due(now=start + 10**6)
        assert redone == [delivery] and len(delivery.attempts) == 2
    finally:
        await runner.cleanup()


async def test_forged_push_gets_401_which_tiktok_accepts_as_answer(h: TikTokHarness) -> None:
    runner, got = await receiver(h)
    try:
        headers, body = h.emulator.push.new_conversation(h.conversation("a"))
        delivery = await h.emulator.push.deliver({"Authorization": "0" * 64}, body)
        assert delivery.attempts[0].status == 401 and got == []
    finally:
        await runner.cleanup()


async def test_slow_ack_is_a_failure(h: TikTokHarness) -> None:
    h.emulator.push.ack_timeout = 0.2
    runner, _ = await receiver(h, delay=0.5)
    try:
        await h.emulator.buyer_says(h.conversation("a"), "hello", push=True)
        (delivery,) = h.emulator.push.deliveries
        assert not delivery.acked and delivery.attempts[0].error
    finally:
        await runner.cleanup()


async def test_shop_reply_is_pushed_back_as_seller_message(h: TikTokHarness) -> None:
    runner, got = await receiver(h)
    h.emulator.auto_push = True
    try:
        await h.connector.send_text(h.store, h.outbound("a", "on its way", "k"))
        await h.emulator.drain_pushes()
        (delivery,) = h.emulator.push.deliveries
        doc = json.loads(delivery.body)
        assert doc["type"] == 14 and doc["data"]["sender"]["role"] == "SHOP"
        (m,) = h.connector.verify_push(delivery.headers, delivery.body, "u").messages
        assert m.from_seller and m.text == "on its way" and got == [1]
    finally:
        await runner.cleanup()
