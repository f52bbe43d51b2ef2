"""A reply the marketplace accepted, but whose answer the bot never recorded, reaches
the buyer exactly once.

The marketplaces have no idempotency on send: a repeat is a second message to the
buyer. The emulators behave the same way (first test), so only the sender's look-up
before a resend (``Sender._look_up`` -> ``Connector.find_sent``) keeps these tests
green: remove it and the buyer gets the reply twice. (The timeout case is
``tests/test_outbound.py::test_timeout_is_checked_before_any_resend``.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.harness import SHOP, running_bridge
from tests.test_connector_contract import HARNESSES


@pytest.mark.parametrize("platform", sorted(HARNESSES))
async def test_platforms_do_not_deduplicate_a_repeated_send(platform: str) -> None:
    async with aiohttp.ClientSession() as session, HARNESSES[platform](session) as h:
        await h.buyer_says("c1", "Is the blue one in stock?")
        out = h.outbound("c1", "Yes, two left.", "same-key")
        first = await h.connector.send_text(h.store, out)
        second = await h.connector.send_text(h.store, out)
        assert first.message_id != second.message_id
        assert h.sent_texts("c1") == ["Yes, two left.", "Yes, two left."]


class Crash(BaseException):
    """The process dying: not an Exception, so no handler in the bot catches it."""


def crash_after_platform_accepts(replies: Any) -> Callable[[], None]:
    """Make the next ``record_part`` (the write right after the marketplace's answer)
    kill the send worker, leaving the reply ``sending`` in the database as a
    SIGKILL at that moment would. Returns the undo."""
    real = replies.record_part

    async def dying(*args: Any, **kwargs: Any) -> None:
        raise Crash

    replies.record_part = dying
    return lambda: setattr(replies, "record_part", real)


async def test_reply_sent_before_a_crash_is_looked_up_not_resent(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("Has my order shipped?")
        conv = await b.thread()
        undo = crash_after_platform_accepts(b.store.replies)
        ts = await b.agent_replies(conv, "It left the warehouse this morning.")
        await b.wait(lambda: b.sent_texts() or None)
        await b.wait(lambda: not b.service.sender._workers.busy() or None)
        row = await b.store.conversations.message_by_ts(conv.channel_id, ts)
        assert row.state == "sending" and not row.platform_message_id  # the crash state
        undo()
        # Restart: the store's sender is taken afresh (as by a new worker after the
        # crashed one's lease), and the reply found mid-send is settled by asking the
        # marketplace.
        await b.service.leases.release(f"send:{conv.store_key}")
        await b.service.sender.start()
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts), timeout=12)
        assert b.sent_texts() == ["It left the warehouse this morning."]
        row = await b.store.conversations.message_by_ts(conv.channel_id, ts)
        assert row.state == "delivered"
        assert row.platform_message_id == b.market.sent_messages(SHOP)[0]["message_id"]

