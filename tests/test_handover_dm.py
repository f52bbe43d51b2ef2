"""Shift hand-over: the recipient gets one DM (conversations.open + chat.postMessage on
the Slack stand-in) listing what was handed over, with the open promises."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.models import ShopId
from connectors.orders import Order, OrderId, OrderStatus
from tests.harness import Bridge, running_bridge
from tests.test_team_workflow import cs


def dms(b: Bridge) -> list[str]:
    return [c.params["text"] for c in b.slack.calls_to("chat.postMessage")
            if c.ok and c.params["channel"].startswith("D")]


async def test_the_recipient_gets_one_dm_with_the_open_promises(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        await b.buyer_says("Where is my parcel? It was due Monday.")
        conv = await b.thread()
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.assignee == mai)
        ts = await b.agent_replies(conv, "It ships tomorrow, I promise <!channel>")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        ship_by = datetime(2031, 5, 4, 10, 0, tzinfo=UTC)
        now = datetime.now(UTC)
        await b.store.orders.upsert(conv.store_key, Order(
            ShopId("sg-1"), OrderId("ORD-77"), conv.buyer_id, OrderStatus.TO_SHIP, "READY",
            "12.00", "SGD", now, now, ship_by=ship_by))
        await b.buyer_says("hello?", buyer="b-daniel")
        # Wait for the automatic assignment first, or it would undo the one below.
        other = await b.until(lambda: b.store.database.one(
            "SELECT id, ref, assignee FROM conversations WHERE buyer_id = 'b-daniel'"),
            lambda r: r and r[2])
        await b.store.team.assign(other[0], mai, actor=None, kind="test")
        before = len(dms(b))

        answer = await cs(b, mai, f"handover <@{an}|an>")
        assert "Handed 2 conversation(s) over" in answer
        sent = await b.wait(lambda: dms(b)[before:])
        assert len(sent) == 1  # one DM listing both, not one per conversation
        text = sent[0]
        assert f"<@{mai}> handed 2 conversation(s) over to you" in text
        assert conv.ref in text and other[1] in text
        assert "It ships tomorrow, I promise" in text and "<!channel>" not in text  # escaped
        assert "ORD-77" in text and f"<!date^{int(ship_by.timestamp())}^" in text
        assert "no reply delivered yet" in text  # Daniel's conversation: nothing promised
        opened = [c for c in b.slack.calls_to("conversations.open") if c.ok]
        assert opened and opened[-1].params["users"] == an
        assert await b.store.team.open_of(mai) == []


async def test_nothing_to_hand_over_sends_no_dm(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        answer = await cs(b, mai, f"handover <@{an}|an>")
        assert "no open conversations" in answer
        await b.settle()
        assert dms(b) == []
