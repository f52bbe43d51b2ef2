"""Repair sync: incremental, oldest first, no duplicates across pages and calls."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from connectors.errors import TransientError
from connectors.models import FetchPage
from connectors.tiktok.errors import QuotaExhausted
from tests.emulators.tiktok import TikTokHarness, harness


@pytest.fixture
async def h() -> AsyncIterator[TikTokHarness]:
    async with aiohttp.ClientSession() as session, harness(session) as hh:
        yield hh


async def drain(h: TikTokHarness, cursor: str | None) -> tuple[list[FetchPage], str | None]:
    pages = []
    while True:
        page = await h.connector.fetch_since(h.store, cursor)
        pages.append(page)
        cursor = page.cursor
        if not page.more:
            return pages, cursor


def texts(pages: list[FetchPage]) -> list[str]:
    return [m.text for p in pages for m in p.messages]


async def test_many_pages_many_calls_no_duplicates() -> None:
    async with aiohttp.ClientSession() as session, \
            harness(session, max_calls_per_fetch=1) as h:
        state = h.emulator.state
        now = state.now()
        expected = []
        for c in range(25):  # two conversation pages
            conv = h.conversation(f"c{c}")
            n = 12 if c % 5 == 0 else 2  # several message pages for some
            for i in range(n):
                state.add_message(conv, role="BUYER", content={"content": f"c{c}-{i}"},
                                  create_time=now - 100 + i)
                expected.append(f"c{c}-{i}")
        pages, cursor = await drain(h, None)
        got = texts(pages)
        assert sorted(got) == sorted(expected) and len(got) == len(set(got))
        assert len(pages) >= 3  # the budget split the sweep over several calls
        for page in pages:  # oldest first within a page
            times = [m.sent_at for m in page.messages]
            assert times == sorted(times)
        for c in range(25):  # a conversation's messages keep their order
            mine = [t for t in got if t.startswith(f"c{c}-")]
            assert mine == sorted(mine, key=lambda t: int(t.split("-")[1]))
        # Incremental: only what is new.
        await h.buyer_says("c3", "late")
        again, _ = await drain(h, cursor)
        assert texts(again) == ["late"]
        sizes = [int(s.query["page_size"]) for s in h.emulator.seen]
        assert max(sizes) <= 20
        assert all(int(s.query["page_size"]) <= 10 for s in h.emulator.seen
                   if s.endpoint == "messages")


async def test_same_second_boundary_neither_lost_nor_doubled(h: TikTokHarness) -> None:
    conv = h.conversation("a")
    now = h.emulator.state.now()
    h.emulator.state.add_message(conv, role="BUYER", content={"content": "one"}, create_time=now)
    first = await h.connector.fetch_since(h.store, None)
    h.emulator.state.add_message(conv, role="BUYER", content={"content": "two"}, create_time=now)
    second = await h.connector.fetch_since(h.store, first.cursor)
    third = await h.connector.fetch_since(h.store, second.cursor)
    assert (texts([first]), texts([second]), texts([third])) == (["one"], ["two"], [])


async def test_seller_messages_included_invisible_skipped(h: TikTokHarness) -> None:
    conv = h.conversation("a")
    st = h.emulator.state
    st.add_message(conv, role="BUYER", content={"content": "q"})
    st.add_message(conv, role="SHOP", content={"content": "answer"})
    st.add_message(conv, role="SYSTEM", type_="NOTIFICATION", content={"content": "rate"},
                   visible=False)
    page = await h.connector.fetch_since(h.store, None)
    assert [(m.text, m.from_seller) for m in page.messages] == [("q", False), ("answer", True)]


async def test_buyer_ids_im_user_id_vs_user_id(h: TikTokHarness) -> None:
    conv = h.conversation("a")
    h.emulator.state.add_message(conv, role="SHOP", content={"content": "hello first"})
    await h.buyer_says("a", "hi")
    page = await h.connector.fetch_since(h.store, None)
    assert conv.buyer.user_id != conv.buyer.im_user_id
    for m in page.messages:  # the seller's message is labelled with the buyer too
        assert m.buyer.id == conv.buyer.im_user_id and m.buyer.name == "Buyer a"
        assert m.attributes["buyer_user_id"] == conv.buyer.user_id


async def test_conversation_jumping_ahead_mid_sweep_is_not_skipped() -> None:
    shift = [0.0]
    async with aiohttp.ClientSession() as session, \
            harness(session, max_calls_per_fetch=1, clock=lambda: time.time() + shift[0]) as h:
        st = h.emulator.state
        now = st.now()
        convs = [h.conversation(f"c{i}") for i in range(30)]
        for i, conv in enumerate(convs):
            st.add_message(conv, role="BUYER", content={"content": f"old{i}"},
                           create_time=now - 200 + i)
        page = await h.connector.fetch_since(h.store, None)  # first list page only
        assert page.more
        # c0 sits on the second page; a new message moves it to the front, so the
        # offset-based second page no longer contains it.
        st.add_message(convs[0], role="BUYER", content={"content": "moved"},
                       create_time=now + 5)
        rest, cursor = await drain(h, page.cursor)
        got = texts([page, *rest])
        assert sorted(got) == sorted(f"old{i}" for i in range(30))
        h.emulator.clock_offset = shift[0] = 10
        later, _ = await drain(h, cursor)
        assert texts(later) == ["moved"]


async def test_daily_quota_from_the_wire(h: TikTokHarness) -> None:
    await h.buyer_says("a", "hi")
    h.emulator.state.daily_quota = 1
    with pytest.raises(QuotaExhausted) as err:
        await h.connector.fetch_since(h.store, None)
    assert isinstance(err.value, TransientError)
    assert 0 < err.value.retry_after <= 86400
    calls = len(h.emulator.seen)
    with pytest.raises(QuotaExhausted):  # believed until the reset: no more calls
        await h.connector.send_text(h.store, h.outbound("a", "x", "k"))
    assert len(h.emulator.seen) == calls


async def test_local_quota_keeps_a_reserve_for_replies() -> None:
    async with aiohttp.ClientSession() as session, \
            harness(session, daily_quota=6, quota_reserve=2) as h:
        for i in range(3):
            await h.buyer_says(f"c{i}", "hi")
        # Pulls may make 4 calls: the list and three conversations. The final re-read
        # of the list is refused; the complete page comes back.
        page = await h.connector.fetch_since(h.store, None)
        assert len(page.messages) == 3 and page.more
        with pytest.raises(QuotaExhausted):
            await h.connector.fetch_since(h.store, page.cursor)
        await h.connector.send_text(h.store, h.outbound("c0", "still", "k"))
        assert h.sent_texts("c0") == ["still"]


async def test_transient_failure_mid_sweep_keeps_whole_pages() -> None:
    async with aiohttp.ClientSession() as session, harness(session) as h:
        for i in range(25):
            await h.buyer_says(f"c{i}", f"m{i}")
        # page 1: 1 list + 20 message calls; then the second list page fails.
        h.emulator.fail_next("conversations", "pass")  # the first list call goes through
        h.emulator.fail_next("conversations", 36009003)
        page = await h.connector.fetch_since(h.store, None)
        assert len(page.messages) == 20 and page.more
        rest, _ = await drain(h, page.cursor)
        assert sorted(texts([page, *rest])) == sorted(f"m{i}" for i in range(25))


async def test_unreadable_cursor_starts_fresh(h: TikTokHarness) -> None:
    await h.buyer_says("a", "hi")
    page = await h.connector.fetch_since(h.store, "garbage{")
    assert texts([page]) == ["hi"]
    assert json.loads(page.cursor)["v"] == 1
