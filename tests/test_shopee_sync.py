"""Repair sync over HTTP: incremental, oldest first, never a duplicate."""

from __future__ import annotations

import aiohttp
import pytest

from connectors.models import InboundMessage
from connectors.shopee import SyncSettings
from tests.emulators.shopee import SHOP_ID, Env, shopee_env


async def drain(env: Env, cursor: str | None, limit: int = 20
                ) -> tuple[list[InboundMessage], str | None]:
    out: list[InboundMessage] = []
    for _ in range(limit):
        page = await env.connector.fetch_since(env.store, cursor)
        out.extend(page.messages)
        cursor = page.cursor
        if not page.more:
            return out, cursor
    raise AssertionError("fetch_since never finished")


def seed(env: Env, conversations: int = 30, long_one: int = 60) -> list[str]:
    ids = []
    for b in range(conversations):
        buyer = 5_000_000 + b
        ids.append(env.emulator.buyer_says(SHOP_ID, buyer, f"q{b}", push=False).message_id)
        ids.append(env.emulator.add_message(SHOP_ID, buyer, from_buyer=False, push=False,
                                            content={"text": f"a{b}"}).message_id)
        env.clock.advance(1)
    for i in range(long_one):
        ids.append(env.emulator.buyer_says(SHOP_ID, 4_000_000, f"long{i}",
                                           push=False).message_id)
    return ids


def assert_once_oldest_first(messages: list[InboundMessage], expected: list[str]) -> None:
    got = [m.message_id for m in messages]
    assert len(got) == len(set(got)), "duplicate message"
    assert sorted(got) == sorted(expected)
    times = [(m.sent_at, int(m.message_id)) for m in messages]
    assert times == sorted(times)


@pytest.mark.parametrize("semantics", ["field", "documented"])
async def test_full_then_incremental(semantics: str) -> None:
    async with aiohttp.ClientSession() as session, shopee_env(
            session, emulator_options={"direction_semantics": semantics}) as env:
        expected = seed(env)
        messages, cursor = await drain(env, None)
        assert_once_oldest_first(messages, expected)
        assert len(env.emulator.called("get_conversation_list")) >= 2  # > 25 conversations
        assert all(int(r.query["page_size"]) <= 25 for r in env.emulator.requests
                   if r.name.endswith("get_conversation_list"))
        by_id = {m.message_id: m for m in messages}
        assert by_id[expected[1]].from_seller and not by_id[expected[0]].from_seller
        assert by_id[expected[0]].buyer.name == "buyer5000000"

        again, cursor = await drain(env, cursor)
        assert again == []
        env.clock.advance(5)
        new = [env.emulator.buyer_says(SHOP_ID, 5_000_003, "more?", push=False).message_id,
               env.emulator.buyer_says(SHOP_ID, 4_000_000, "hello again", push=False).message_id,
               env.emulator.add_message(SHOP_ID, 5_000_003, from_buyer=False, push=False,
                                        content={"text": "sure"}).message_id]
        later, cursor = await drain(env, cursor)
        assert_once_oldest_first(later, new)
        assert (await drain(env, cursor))[0] == []


async def test_walk_split_over_calls_with_a_conversation_jumping() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(
            session, sync=SyncSettings(max_list_pages=1, conversation_page_size=10)) as env:
        expected = seed(env, conversations=35, long_one=3)
        first = await env.connector.fetch_since(env.store, None)
        assert first.more
        # A conversation the walk has not reached yet gets a new message and jumps to
        # the top, out of the pages still to come.
        env.clock.advance(1)
        expected.append(env.emulator.buyer_says(SHOP_ID, 5_000_001, "jump!",
                                                push=False).message_id)
        rest, cursor = await drain(env, first.cursor)
        tail, _ = await drain(env, cursor)
        everything = list(first.messages) + rest + tail
        got = [m.message_id for m in everything]
        assert len(got) == len(set(got))
        assert sorted(got) == sorted(expected)


async def test_initial_window_and_units() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        old = env.emulator.buyer_says(SHOP_ID, 1, "ancient", push=False)
        env.clock.advance(4 * 86400)
        recent = env.emulator.buyer_says(SHOP_ID, 2, "recent", push=False)
        conv = env.emulator.conversation(SHOP_ID, 2)
        assert conv.wire()["last_message_timestamp"] > 10**18  # nanoseconds on the wire
        assert recent.wire()["created_timestamp"] < 10**10  # seconds on the wire
        messages, _ = await drain(env, None)
        assert [m.message_id for m in messages] == [recent.message_id]
        assert messages[0].sent_at.timestamp() == recent.created_timestamp
        assert old.message_id not in {m.message_id for m in messages}


async def test_oversized_page_returns_empty_list() -> None:
    """The observed production trap, reproduced by the emulator by default."""
    async with aiohttp.ClientSession() as session, shopee_env(
            session, sync=SyncSettings(conversation_page_size=26)) as env:
        env.emulator.buyer_says(SHOP_ID, 1, "hi", push=False)
        page = await env.connector.fetch_since(env.store, None)
        assert page.messages == ()
        resp = env.emulator.called("get_conversation_list")[0]
        assert resp.query["page_size"] == "26"


async def test_unreadable_cursor_starts_again_from_the_window(
        caplog: pytest.LogCaptureFixture) -> None:
    # What a full sync would do; the bot drops the messages it already holds.
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        env.emulator.buyer_says(SHOP_ID, 7, "still here", push=False)
        for bad in ("not-a-cursor", '{"v":2}'):
            page = await env.connector.fetch_since(env.store, bad)
            assert [m.text for m in page.messages] == ["still here"]
        assert "unreadable shopee sync cursor" in caplog.text


async def test_lost_push_names_a_conversation_to_reread() -> None:
    async with aiohttp.ClientSession() as session, shopee_env(session) as env:
        msg = env.emulator.buyer_says(SHOP_ID, 7, "lost one", push=False)
        env.clock.advance(120)  # conversation 7 drops below the walk's floor + overlap
        env.emulator.buyer_says(SHOP_ID, 8, "newer", push=False)
        _, cursor = await drain(env, None)
        # A second store's lost push is kept for its own fetch, ours is used now.
        env.emulator.add_lost(SHOP_ID, 10, env.emulator.push_body(msg).decode())
        env.emulator.add_lost(123, 10, env.emulator.push_body(msg).decode().replace(
            str(SHOP_ID), "123"))
        env.emulator.add_lost(SHOP_ID, 3, '{"code":3}')
        again, _ = await drain(env, cursor)
        assert again == []  # already returned: the re-read finds nothing new
        assert all(p["consumed"] for p in env.emulator.lost)
        (one,) = env.emulator.called("get_one_conversation")
        assert one.query["conversation_id"] == msg.conversation_id
        assert env.connector._lost_hints == {"123": {msg.conversation_id}}
