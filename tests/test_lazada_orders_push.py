"""Lazada order pushes (types 0, 10, 14): the SIGNED samples verify and map; forgeries
are refused; the emulator delivers signed order pushes the connector accepts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from connectors.errors import PushRejected
from connectors.lazada.connector import LazadaConnector
from connectors.lazada.signing import push_signature
from connectors.orders import OrderEvent
from tests.emulators.lazada import running
from tests.emulators.tokens import MemoryTokenStore

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "platform-orders-samples.json"
LZ: dict[str, Any] = json.loads(SAMPLES.read_text(encoding="utf-8"))["lazada"]
KEY, SECRET = LZ["_context"]["app_key"], LZ["_context"]["app_secret"]
SELLER = LZ["_context"]["seller_id"]
URL = "https://storebridge.example.test/webhooks/lazada"

#: sample -> (order, kind, platform status, status_update_time)
EXPECTED = {
    "type_0_new_order_unpaid": ("832145679012345", "status", "unpaid", 1699990000),
    "type_0_paid_pending": ("832145679012345", "status", "pending", 1699990040),
    "type_0_paid_pending_second_line": ("832145679012345", "status", "pending", 1699990040),
    "type_0_reverse_variant": ("832031234567890", "cancellation", "canceled", 1699999000),
    "type_10_reverse_cancel_init": ("832031234567890", "cancellation", "CANCEL_INIT",
                                    1699994000),
    "type_10_reverse_rtm_init": ("829876543210987", "return", "RTM_INIT", 1699993000),
    "type_14_fulfillment_update": ("829876543210987", "status", "DELIVERED", 1699730800),
}


@pytest.fixture
def connector() -> LazadaConnector:
    return LazadaConnector(None, app_key=KEY, app_secret=SECRET,  # type: ignore[arg-type]
                           tokens=MemoryTokenStore())


def test_every_order_push_sample_is_covered() -> None:
    assert set(EXPECTED) == set(LZ["pushes"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_signed_sample_verifies_and_maps(connector: LazadaConnector, name: str) -> None:
    sample = LZ["pushes"][name]
    batch = connector.verify_push(sample["headers"], sample["raw_body"].encode("utf-8"), URL)
    assert batch.messages == () and batch.ignored == ()
    (event,) = batch.order_events
    assert isinstance(event, OrderEvent)
    order_id, kind, status, at = EXPECTED[name]
    assert (event.shop_id, event.order_id, event.kind, event.platform_status) == (
        SELLER, order_id, kind, status)
    # status_update_time is seconds; the envelope timestamp (ms for 0, s for 10/14) is not used
    assert event.at == datetime.fromtimestamp(at, UTC)
    assert event.raw == sample["body"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_forged_order_push_is_401(connector: LazadaConnector, name: str) -> None:
    sample = LZ["pushes"][name]
    body = sample["raw_body"].encode("utf-8")
    tampered = body.replace(b"1000114855", b"1000114856", 1)
    for headers, raw in (({"Authorization": sample["headers"]["Authorization"]}, tampered),
                         ({"Authorization": push_signature(KEY, "wrong-secret", body)}, body),
                         ({"Authorization": push_signature("100002", SECRET, body)}, body),
                         ({}, body)):
        with pytest.raises(PushRejected) as caught:
            connector.verify_push(headers, raw, URL)
        assert caught.value.status == 401


def test_fulfillment_logistics_news_is_a_tracking_event(connector: LazadaConnector) -> None:
    payload = {**LZ["pushes"]["type_14_fulfillment_update"]["body"]}
    payload["data"] = {**payload["data"], "status": "READY_TO_SHIP"}
    body = json.dumps(payload).encode()
    (event,) = connector.verify_push({"Authorization": push_signature(KEY, SECRET, body)},
                                     body, URL).order_events
    assert (event.kind, event.platform_status) == ("tracking", "READY_TO_SHIP")


def test_order_push_naming_no_order_is_acknowledged_and_dropped(
    connector: LazadaConnector,
) -> None:
    for kind, name in ((0, "0:trade_order"), (10, "10:reverse_order"),
                       (14, "14:fulfillment_order")):
        body = json.dumps({"seller_id": SELLER, "message_type": kind,
                           "data": {"order_status": "pending"}}).encode()
        batch = connector.verify_push({"Authorization": push_signature(KEY, SECRET, body)},
                                      body, URL)
        assert batch.ignored == (name,) and batch.order_events == ()


@pytest.fixture
async def receiver(connector: LazadaConnector) -> AsyncIterator[tuple[str, list[Any]]]:
    received: list[Any] = []

    async def webhook(request: web.Request) -> web.Response:
        try:
            batch = connector.verify_push(request.headers, await request.read(), URL)
        except PushRejected as exc:
            return web.Response(status=exc.status)
        received.extend(batch.order_events)
        return web.Response(status=connector.push_ack.status, body=connector.push_ack.body)

    app = web.Application()
    app.router.add_post("/webhooks/lazada", webhook)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/webhooks/lazada", received
    await runner.cleanup()


async def test_emulator_sends_the_samples_byte_for_byte(
    receiver: tuple[str, list[Any]],
) -> None:
    url, received = receiver
    async with running() as emu:
        for name in sorted(EXPECTED):
            assert await emu.push_sample(name, url), name
            body = LZ["pushes"][name]["raw_body"].encode("utf-8")
            assert emu._push_headers(body)["Authorization"] == (
                LZ["pushes"][name]["headers"]["Authorization"])
    assert sorted((e.order_id, e.kind, e.platform_status) for e in received) == sorted(
        v[:3] for v in EXPECTED.values())


async def test_status_change_pushes_one_signed_push_per_order_line(
    receiver: tuple[str, list[Any]],
) -> None:
    url, received = receiver
    async with running(push_url=url) as emu:
        emu.state.add_seller(SELLER, country="th")
        emu.orders.seed_samples(SELLER)
        emu.set_order_status(SELLER, "832145679012345", "packed")
        for _ in range(100):
            if len(emu.push_log) >= 2:
                break
            await asyncio.sleep(0.01)
        assert [a.ok for a in emu.push_log] == [True, True]
        lines = {a.payload["data"]["trade_order_line_id"] for a in emu.push_log}
        assert lines == {"832145679112345", "832145679212345"}
        assert all(a.payload["timestamp"] > 10**12 for a in emu.push_log)  # ms for type 0
    assert [(e.order_id, e.kind, e.platform_status) for e in received] == [
        ("832145679012345", "status", "packed")] * 2


async def test_emulator_reverse_push_is_accepted(receiver: tuple[str, list[Any]]) -> None:
    url, received = receiver
    async with running() as emu:
        emu.state.add_seller(SELLER, country="th")
        emu.orders.seed_samples(SELLER)
        reverse = emu.orders.reverses[(SELLER, "705112233445566")]
        assert await emu.push(emu.reverse_push_payload(reverse, "RTM_RECEIVE_ITEM"), url)
    (event,) = received
    assert (event.order_id, event.kind, event.platform_status) == (
        "829876543210987", "return", "RTM_RECEIVE_ITEM")
