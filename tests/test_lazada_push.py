"""Lazada pushes: verification, parsing, and delivery judged like Lazada does."""

from __future__ import annotations

import asyncio
import json
import random

import aiohttp
import pytest
from aiohttp import web

from connectors.errors import PushRejected
from connectors.lazada.connector import LazadaConnector
from connectors.lazada.signing import push_signature
from connectors.models import BuyerId, ConversationId, MessageKind, OutboundText
from tests.emulators.lazada import running, store_for
from tests.emulators.tokens import MemoryTokenStore

KEY, SECRET = "100001", "MockLazadaSecretForTestsOnly0001"
URL = "https://storebridge.example.test/webhooks/lazada"


@pytest.fixture
def connector() -> LazadaConnector:
    return LazadaConnector(None, app_key=KEY, app_secret=SECRET,  # type: ignore[arg-type]
                           tokens=MemoryTokenStore())


def signed(payload: object) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return {"Authorization": push_signature(KEY, SECRET, body)}, body


def im_push(**data: object) -> dict:
    base = {"session_id": "100094063_2_1011822749_1_103", "message_id": "1zYOS7N0cuIqw96026",
            "content": "{\"txt\":\"hello world!\"}", "from_account_id": "1011822749",
            "from_account_type": 1, "send_time": 1596550789323, "template_id": 1,
            "to_account_id": "100094063", "to_account_type": 2, "type": 1, "site_id": "SG",
            "process_msg": "", "auto_reply": False, "status": 0}
    return {"seller_id": "100094063", "message_type": 2, "data": {**base, **data}}


def test_buyer_message_push(connector: LazadaConnector) -> None:
    headers, body = signed(im_push())
    (message,) = connector.verify_push(headers, body, URL).messages
    assert (message.kind, message.text, message.from_seller) == (MessageKind.TEXT,
                                                                  "hello world!", False)
    assert message.sent_at.timestamp() == 1596550789.323
    assert message.raw["message_id"] == "1zYOS7N0cuIqw96026"


def test_seller_echo_is_marked_from_seller(connector: LazadaConnector) -> None:
    headers, body = signed(im_push(from_account_type=2, from_account_id="100094063",
                                   to_account_type=1, to_account_id="1011822749"))
    (message,) = connector.verify_push(headers, body, URL).messages
    assert message.from_seller and message.buyer.id == "1011822749"


def test_header_lookup_is_case_insensitive(connector: LazadaConnector) -> None:
    headers, body = signed(im_push())
    for name in ("authorization", "AUTHORIZATION"):
        assert connector.verify_push({name: headers["Authorization"]}, body, URL).messages


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}, {"Authorization": "  "}])
def test_unsigned_push_is_401(connector: LazadaConnector, headers: dict) -> None:
    _, body = signed(im_push())
    with pytest.raises(PushRejected) as caught:
        connector.verify_push(headers, body, URL)
    assert caught.value.status == 401


def test_forged_push_is_401(connector: LazadaConnector) -> None:
    headers, body = signed(im_push())
    tampered = body.replace(b"hello", b"HELLO")
    for h, b in ((headers, tampered), ({"Authorization": "0" * 64}, body),
                 ({"Authorization": push_signature(KEY, "wrong", body)}, body),
                 ({"Authorization": "Bearer " + headers["Authorization"]}, body),
                 ({"Authorization": "ñ" * 64}, body)):
        with pytest.raises(PushRejected) as caught:
            connector.verify_push(h, b, URL)
        assert caught.value.status == 401


@pytest.mark.parametrize("payload", [
    b"not json", b"[1,2]", b"\xff\xfe", b'{"message_type": "two"}', b'{"data": {}}',
    b'{"message_type": 2, "seller_id": "1"}', b'{"message_type": 2, "data": {}, "seller_id": "1"}',
    b'{"message_type": true}',
])
def test_malformed_signed_push_is_400(connector: LazadaConnector, payload: bytes) -> None:
    with pytest.raises(PushRejected) as caught:
        connector.verify_push({"Authorization": push_signature(KEY, SECRET, payload)}, payload,
                              URL)
    assert caught.value.status == 400


@pytest.mark.parametrize("kind,name", [(19, "19:session_update"), (0, "0:trade_order"),
                                       (8, "8:token_expiry_alert"), (77, "77:unknown")])
def test_unused_push_types_are_ignored(connector: LazadaConnector, kind: int, name: str) -> None:
    headers, body = signed({"seller_id": "1", "message_type": kind, "data": {"x": 1}})
    batch = connector.verify_push(headers, body, URL)
    assert batch.messages == () and batch.ignored == (name,)


def test_random_bytes_only_ever_raise_push_rejected(connector: LazadaConnector) -> None:
    rng = random.Random(7)
    for _ in range(300):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
        if rng.random() < 0.5:
            body = json.dumps({"message_type": 2, "seller_id": rng.random(),
                               "data": rng.choice([None, [], {"message_id": 1}, "x"])}).encode()
        headers = rng.choice([{}, {"Authorization": push_signature(KEY, SECRET, body)}])
        try:
            connector.verify_push(headers, body, URL)
        except PushRejected as exc:
            assert exc.status in (400, 401)


async def _receiver(connector: LazadaConnector, delay: float = 0.0):
    received: list = []

    async def webhook(request: web.Request) -> web.Response:
        batch = connector.verify_push(request.headers, await request.read(), str(request.url))
        received.extend(batch.messages)
        await asyncio.sleep(delay)
        return web.Response(status=connector.push_ack.status, body=connector.push_ack.body)

    app = web.Application()
    app.router.add_post("/webhooks/lazada", webhook)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/webhooks/lazada", received


async def test_emulator_delivers_signed_pushes_the_connector_accepts(
    connector: LazadaConnector,
) -> None:
    runner, url, received = await _receiver(connector)
    try:
        async with running(push_url=url) as emu:
            emu.state.add_seller("100094063")
            session = emu.state.open_session("100094063", "1011822749", "Somchai")
            message = emu.state.add_message(session.session_id, {"txt": "มีสีดำไหมคะ"})
            assert await emu.push(emu.message_payload(message))
            assert await emu.push(emu.session_update_payload(session))
            assert [a.ok for a in emu.push_log] == [True, True]
    finally:
        await runner.cleanup()
    assert [m.text for m in received] == ["มีสีดำไหมคะ"]


async def test_a_slow_ack_counts_as_failed_and_is_retried(connector: LazadaConnector) -> None:
    runner, url, received = await _receiver(connector, delay=0.6)
    try:
        async with running(push_url=url) as emu:
            emu.state.add_seller("100094063")
            session = emu.state.open_session("100094063", "1011822749")
            message = emu.state.add_message(session.session_id, {"txt": "hi"})
            assert not await emu.push(emu.message_payload(message))
            assert emu.push_log[-1].ok is False
            assert await emu.retry_pushes(url.replace("/webhooks", "/missing")) == 0
            assert emu.push_log[-1].status == 404 and emu.push_log[-1].attempt == 2
    finally:
        await runner.cleanup()
    assert len(received) == 1  # processed, but too late for Lazada: it will come again


async def test_sending_pushes_the_sellers_own_message_back(
    connector: LazadaConnector,
) -> None:
    runner, url, received = await _receiver(connector)
    try:
        async with running(push_url=url) as emu, aiohttp.ClientSession() as http:
            emu.state.add_seller("100094063")
            grant = emu.grant("100094063")
            session = emu.state.open_session("100094063", "1011822749")
            emu.state.add_message(session.session_id, {"txt": "hi"})
            live = LazadaConnector(http, app_key=KEY, app_secret=SECRET, tokens=MemoryTokenStore(),
                                   api_url=emu.rest_url)
            out = OutboundText(ConversationId(session.session_id), BuyerId("1011822749"),
                               "hello", "k1")
            sent = await live.send_text(store_for(emu, grant), out)
            for _ in range(50):
                if len(emu.push_log) >= 2:
                    break
                await asyncio.sleep(0.02)
    finally:
        await runner.cleanup()
    assert [m.message_id for m in received] == [sent.message_id]
    assert received[0].from_seller
