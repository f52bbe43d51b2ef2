"""Shopee push verification and parsing, and the emulator's delivery/ack contract."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict

from connectors.errors import PushRejected
from connectors.models import InboundMessage, MessageKind
from connectors.shopee import ShopeeConnector
from connectors.shopee.push import verify_push
from tests.emulators.shopee import CALLBACK_URL, PARTNER_KEY, SHOP_ID, harness, shopee_env
from tests.emulators.shopee_push import compact, push_authorization, webchat_payload

VECTORS = json.loads((Path(__file__).resolve().parent / "fixtures" / "sign-vectors.json")
                     .read_text("utf-8"))["shopee"]


def signed(body: bytes, url: str = CALLBACK_URL, key: str = PARTNER_KEY) -> dict[str, str]:
    return {"Authorization": push_authorization(key, url, body)}


async def test_buyer_push_parses_into_one_message() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        headers, body, url = h.signed_push("Xin chào shop 🙏", "c1")
        batch = h.connector.verify_push(headers, body, url)
        assert batch.ignored == ()
        (m,) = batch.messages
        assert m.text == "Xin chào shop 🙏" and m.kind is MessageKind.TEXT
        assert not m.from_seller
        assert m.shop_id == str(SHOP_ID)
        assert m.buyer.name == "buyer_c1" and m.buyer.id == h.outbound("c1", "x", "k").buyer_id
        assert m.conversation_id == h.outbound("c1", "x", "k").conversation_id


def test_vector_push_body_parses() -> None:
    v = VECTORS[5]
    body = v["inputs"]["raw_body_utf8"].encode()
    batch = verify_push(v["inputs"]["partner_key"], {"authorization": v["signature"]}, body,
                        v["inputs"]["callback_url"])
    (m,) = batch.messages
    assert m.message_id == "2302748948493123953"
    assert m.conversation_id == "709122092476686867"
    assert m.buyer.id == "165105353" and m.buyer.name == "nguoimua_test"
    assert m.text == "Chào shop, đơn hàng của mình khi nào giao vậy ạ?"
    assert m.sent_at.timestamp() == 1700000000 and not m.from_seller


def test_doc_example_push_is_an_ignored_type() -> None:
    v = VECTORS[6]
    batch = verify_push(v["inputs"]["partner_key"], {"Authorization": v["signature"]},
                        v["inputs"]["raw_body_utf8"].encode(), v["inputs"]["callback_url"])
    assert batch.messages == () and batch.ignored == ("shop_authorization_push",)


async def test_seller_echo_is_marked_from_seller() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        out = h.outbound("c1", "We ship today", "k1")
        await h.connector.send_text(h.store, out)
        conv = h.emulator.conversation(SHOP_ID, int(out.buyer_id))
        body = h.emulator.push_body(conv.messages[-1])
        (m,) = h.connector.verify_push(signed(body), body, CALLBACK_URL).messages
        assert m.from_seller and m.text == "We ship today"
        assert m.buyer.id == out.buyer_id  # the buyer is the recipient of a seller message


@pytest.mark.parametrize("headers,status,reason", [
    ({}, 401, "missing"),
    ({"Authorization": ""}, 401, "missing"),
    ({"Authorization": "0" * 64}, 401, "does not match"),
    ({"Authorization": "Bearer abc"}, 401, "does not match"),
])
async def test_unsigned_and_forged_are_401(headers: dict[str, str], status: int,
                                            reason: str) -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        _, body, url = h.signed_push("hi", "c1")
        with pytest.raises(PushRejected) as err:
            h.connector.verify_push(headers, body, url)
        assert err.value.status == status and reason in err.value.reason


async def test_signature_binds_url_and_body() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        body = compact({"code": 3, "shop_id": SHOP_ID, "data": {}, "timestamp": 1})
        good = signed(body)
        c = env.connector  # no configured callback URL: the url argument is signed
        assert c.verify_push(good, body, CALLBACK_URL).ignored == ("order_status_push",)
        for url, raw in ((CALLBACK_URL + "/", body), (CALLBACK_URL, body + b" ")):
            with pytest.raises(PushRejected) as err:
                c.verify_push(good, raw, url)
            assert err.value.status == 401


def test_header_lookup_is_case_insensitive() -> None:
    body = compact({"code": 3, "shop_id": 1, "data": {}, "timestamp": 1})
    sig = push_authorization(PARTNER_KEY, CALLBACK_URL, body)
    for headers in ({"authorization": sig}, {"AUTHORIZATION": sig},
                    CIMultiDict({"Authorization": sig})):
        assert verify_push(PARTNER_KEY, headers, body, CALLBACK_URL).ignored


@pytest.mark.parametrize("body,reason", [
    (b"not json", "not UTF-8 JSON"),
    (b"\xff\xfe", "not UTF-8 JSON"),
    (b"[1,2]", "not a JSON object"),
    (b'{"shop_id":1}', "no integer code"),
    (b'{"code":"10"}', "no integer code"),
    (b'{"code":true}', "no integer code"),
    (b'{"code":10,"shop_id":1}', "no data object"),
    (b'{"code":10,"shop_id":1,"data":{"type":"message"}}', "no data.content"),
    (b'{"code":10,"shop_id":1,"data":{"type":"message","content":{"message_id":"1"}}}',
     "lacks message_id or conversation_id"),
    (b'{"code":10,"data":{"type":"message","content":{"message_id":"1",'
     b'"conversation_id":"2"}}}', "names no shop"),
])
def test_malformed_signed_bodies_are_400(body: bytes, reason: str) -> None:
    with pytest.raises(PushRejected) as err:
        verify_push(PARTNER_KEY, signed(body), body, CALLBACK_URL)
    assert err.value.status == 400 and reason in err.value.reason


def test_unused_push_types_are_ignored() -> None:
    cases = {
        compact({"code": 3, "shop_id": 1, "data": {"ordersn": "X"}, "timestamp": 1}):
            "order_status_push",
        compact({"code": 99, "shop_id": 1, "data": {}, "timestamp": 1}): "push_code_99",
        compact(webchat_payload({"type": "mark_as_replied", "conversation_id": "1"}, 1, "SG",
                                1, data_type="notification")):
            "webchat_notification:mark_as_replied",
    }
    for body, name in cases.items():
        batch = verify_push(PARTNER_KEY, signed(body), body, CALLBACK_URL)
        assert batch.messages == () and batch.ignored == (name,)


def test_any_bytes_give_push_rejected_or_a_batch() -> None:
    rng = random.Random(7)
    samples = [bytes(rng.randrange(256) for _ in range(rng.randrange(64))) for _ in range(300)]
    samples += [b'{"code":10,"shop_id":1,"data":{"type":"message","content":{"message_id":{},'
                b'"conversation_id":[],"created_timestamp":"x","content":5}}}',
                b'{"code":10,"shop_id":1,"data":{"type":"message","content":{"message_id":1,'
                b'"conversation_id":2,"created_timestamp":1e400}}}']
    for body in samples:
        for headers in ({}, signed(body), {"Authorization": body.decode("latin-1")}):
            try:
                verify_push(PARTNER_KEY, headers, body, CALLBACK_URL)
            except PushRejected as exc:
                assert exc.status in (400, 401)


RECEIVED = web.AppKey("received", list[InboundMessage])


def push_server(connector: ShopeeConnector, answer: bytes = b"", delay: float = 0.0
                ) -> web.Application:
    received: list[InboundMessage] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            batch = connector.verify_push(request.headers, body, CALLBACK_URL)
        except PushRejected as exc:
            return web.Response(status=exc.status, text=exc.reason)
        received.extend(batch.messages)
        await asyncio.sleep(delay)
        ack = connector.push_ack
        return web.Response(status=ack.status, body=answer or ack.body)

    app = web.Application()
    app.router.add_post("/webhooks/shopee", hook)
    app[RECEIVED] = received
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/webhooks/shopee"


async def test_emulator_delivers_signed_push_and_accepts_empty_ack() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        assert env.connector.push_ack.status == 200 and env.connector.push_ack.body == b""
        app = push_server(env.connector)
        runner, url = await serve(app)
        try:
            push = env.emulator.configure_push(CALLBACK_URL, deliver_to=url)
            env.emulator.buyer_says(SHOP_ID, 1234567, "Còn hàng không ạ?")
            await env.emulator.settle()
            (delivery,) = push.deliveries
            assert delivery.ok and len(delivery.attempts) == 1
            (m,) = app[RECEIVED]
            assert m.text == "Còn hàng không ạ?" and not env.emulator.lost
        finally:
            await runner.cleanup()


@pytest.mark.parametrize("answer,delay", [(b'{"ok":true}', 0.0), (b"", 0.3)])
async def test_bad_ack_is_retried_then_lost_then_repaired(answer: bytes, delay: float) -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        app = push_server(env.connector, answer=answer, delay=delay)
        runner, url = await serve(app)
        try:
            push = env.emulator.configure_push(CALLBACK_URL, deliver_to=url, timeout=0.2,
                                               retry_delays=(0.01, 0.02, 0.03))
            msg = env.emulator.buyer_says(SHOP_ID, 1234567, "hello?")
            await env.emulator.settle()
            (delivery,) = push.deliveries
            assert not delivery.ok and len(delivery.attempts) == 4  # first + 3 retries
            assert len(env.emulator.lost) == 1 and not env.emulator.lost[0]["consumed"]
            page = await env.connector.fetch_since(env.store, None)
            assert [m.message_id for m in page.messages] == [msg.message_id]
            assert env.emulator.lost[0]["consumed"]
            assert env.emulator.called("confirm_consumed_lost_push_message")[0].body == {
                "last_message_id": env.emulator.lost[0]["id"]}
        finally:
            await runner.cleanup()


async def test_low_success_rate_suspends_push() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        app = push_server(env.connector, answer=b"nope")
        runner, url = await serve(app)
        try:
            push = env.emulator.configure_push(CALLBACK_URL, deliver_to=url, retry_delays=(),
                                               health_min_pushes=3)
            for i in range(5):
                env.emulator.buyer_says(SHOP_ID, 1234567, f"m{i}")
                await env.emulator.settle()
            assert push.live_push_status == "Suspended"
            assert len(push.deliveries) == 4  # the 5th push was never attempted
        finally:
            await runner.cleanup()
