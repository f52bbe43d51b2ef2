"""Repair pulls over HTTP: incremental, oldest first, no duplicates; message mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from connectors.lazada.sync import Cursor
from connectors.models import InboundMessage, MessageKind
from tests.emulators.lazada import LazadaHarness, harness
from tests.emulators.lazada_api import MESSAGES, SESSIONS
from tests.emulators.lazada_state import DAY_MS


@pytest.fixture
async def h() -> AsyncIterator[LazadaHarness]:
    async with aiohttp.ClientSession() as http, harness(http, max_fetch_messages=30) as h:
        yield h


async def drain(h: LazadaHarness, cursor: str | None) -> tuple[list[InboundMessage], str | None]:
    got: list[InboundMessage] = []
    for _ in range(50):
        page = await h.connector.fetch_since(h.store, cursor)
        times = [m.sent_at for m in page.messages]
        assert times == sorted(times)  # oldest first within a page
        got.extend(page.messages)
        cursor = page.cursor
        if not page.more:
            return got, cursor
    raise AssertionError("fetch_since never finished")


def list_calls(h: LazadaHarness) -> int:
    return len(h.emulator.calls_to(SESSIONS)) + len(h.emulator.calls_to(MESSAGES))


async def test_incremental_repair_without_duplicates(h: LazadaHarness) -> None:
    state = h.emulator.state
    now = state.now_ms()
    expected: dict[str, list[str]] = {}
    for b in range(27):  # more sessions than one page holds
        session = h.session(f"buyer-{b}")
        expected[session.session_id] = [
            state.add_message(session.session_id, {"txt": f"{b}/{i}"},
                              send_time=now - 100_000 + b * 1000 + i).message_id
            for i in range(1 + b % 3)]
    busy = h.session("busy")
    expected[busy.session_id] = [  # more messages than one page holds
        state.add_message(busy.session_id, {"txt": f"busy {i}"}, from_buyer=i % 4 != 0,
                          send_time=now - 150_000 + i).message_id for i in range(45)]
    old = h.session("old")
    state.add_message(old.session_id, {"txt": "too old"}, send_time=now - 40 * DAY_MS)

    got, cursor = await drain(h, None)
    ids = [m.message_id for m in got]
    assert len(set(ids)) == len(ids) == sum(map(len, expected.values()))
    for session_id, wanted in expected.items():  # each conversation whole and in order
        assert [m.message_id for m in got if m.conversation_id == session_id] == wanted
    assert sum(m.from_seller for m in got) == 12
    calls = h.emulator.calls_to(SESSIONS) + h.emulator.calls_to(MESSAGES)
    assert all(c.method == "GET" and int(c.params["page_size"]) <= 20 for c in calls)
    # One listing of the sessions for the whole scan, one walk per conversation.
    assert len(h.emulator.calls_to(SESSIONS)) == 2
    assert len(h.emulator.calls_to(MESSAGES)) == 27 + 3

    fresh = [state.add_message(busy.session_id, {"txt": "new in busy"}).message_id,
             state.add_message(h.session("newcomer").session_id, {"txt": "hi"}).message_id]
    before = list_calls(h)
    again, cursor = await drain(h, cursor)
    assert [m.message_id for m in again] == fresh
    assert list_calls(h) - before == 3  # sessions once, then only the two active ones
    nothing, same = await drain(h, cursor)
    assert nothing == []
    assert Cursor.resume(same).seen.keys() == Cursor.resume(cursor).seen.keys()


async def test_late_messages_near_the_watermark_are_delivered_once(h: LazadaHarness) -> None:
    state, session = h.emulator.state, h.session("edge")
    at = state.now_ms() - 5_000
    first = {state.add_message(session.session_id, {"txt": str(i)}, send_time=at).message_id
             for i in range(3)}
    got, cursor = await drain(h, None)
    assert {m.message_id for m in got} == first
    # Stamped in the same millisecond, but listed only now (Lazada's clock is its own).
    state.add_message(session.session_id, {"txt": "same ms, later"}, send_time=at)
    more, cursor = await drain(h, cursor)
    assert [m.text for m in more] == ["same ms, later"]
    assert (await drain(h, cursor))[0] == []


async def test_an_unreadable_cursor_starts_over_rather_than_failing(h: LazadaHarness) -> None:
    await h.buyer_says("a", "hello")
    page = await h.connector.fetch_since(h.store, "{not json")
    assert [m.text for m in page.messages] == ["hello"]


WIRE_CASES = [
    (1, {"txt": "Còn size M không?", "translateTxt": "Is size M available?"},
     MessageKind.TEXT, "Còn size M không?", {"translation": "Is size M available?"}),
    (3, {"imgUrl": "https://img.test/a.jpg", "width": "640", "height": "480"},
     MessageKind.IMAGE, "", {"url": "https://img.test/a.jpg", "width": "640"}),
    (4, {"imgUrl": "https://img.test/happy.png", "txt": "[happy]"},
     MessageKind.STICKER, "[happy]", {"url": "https://img.test/happy.png"}),
    (6, {"videoUrl": "https://v.test/1.mp4", "imgUrl": "https://v.test/1.jpg", "videoId": "v1",
         "videoDuration": 12}, MessageKind.VIDEO, "", {"url": "https://v.test/1.mp4",
                                                      "cover_url": "https://v.test/1.jpg"}),
    (10006, {"itemId": "3344", "title": "Áo thun", "price": "99000", "actionUrl": "https://p"},
     MessageKind.PRODUCT, "Áo thun", {"item_id": "3344", "name": "Áo thun", "url": "https://p"}),
    (10007, {"orderId": "5566", "title": "Order 5566", "status": "shipped"},
     MessageKind.ORDER, "Order 5566", {"order_id": "5566", "status": "shipped"}),
    (10008, {"voucherId": "V9", "title": "10% off", "discount": "10%", "currency": "VND"},
     MessageKind.VOUCHER, "10% off", {"voucher_id": "V9", "code": "V9", "discount": "10%"}),
    (10010, {"sellerId": "1", "actionUrl": "https://f"},
     MessageKind.UNKNOWN, "", {"platform_type": "follow_store_invite"}),
    (99999, {"foo": "bar"}, MessageKind.UNKNOWN, "", {"platform_type": "template_99999"}),
]


@pytest.mark.parametrize("template,content,kind,text,attrs", WIRE_CASES,
                         ids=[str(c[0]) for c in WIRE_CASES])
async def test_each_message_type_is_mapped(
    h: LazadaHarness, template: int, content: dict, kind: MessageKind, text: str, attrs: dict
) -> None:
    session = h.session("types")
    wire = h.emulator.state.add_message(session.session_id, content, template_id=template)
    (message,) = (await h.connector.fetch_since(h.store, None)).messages
    assert (message.kind, message.text) == (kind, text)
    assert attrs.items() <= message.attributes.items()
    assert message.buyer.name == "Buyer types" and message.buyer.id == session.buyer_id
    assert message.buyer.avatar_url == session.head_url
    assert message.raw["content"] == wire.content  # kept as received
    headers, body = h.emulator.sign_push(h.emulator.message_payload(wire))
    (pushed,) = h.connector.verify_push(headers, body, "https://x.test").messages
    assert (pushed.kind, pushed.text, pushed.message_id) == (kind, text, message.message_id)


async def test_system_recalled_and_security_flagged_messages(h: LazadaHarness) -> None:
    state, session = h.emulator.state, h.session("flags")
    state.add_message(session.session_id, {"txt": "Buyer recalled a message"}, template_id=2,
                      type=2)
    state.add_message(session.session_id, {"txt": "oops"}, status=1)
    state.add_message(session.session_id, {"txt": "call me on +65…"}, from_buyer=False,
                      process_msg="Contains contact details; only you can see it")
    system, recalled, flagged = (await h.connector.fetch_since(h.store, None)).messages
    assert system.kind is MessageKind.UNKNOWN and system.attributes["platform_type"] == "system"
    assert recalled.attributes["recalled"] is True
    assert flagged.from_seller and "only you" in flagged.attributes["security_notice"]
