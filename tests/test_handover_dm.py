"""Shift hand-over: the recipient gets one DM (conversations.open + chat.postMessage on
the Slack stand-in) listing what was handed over, with the open promises; exactly one,
even when the process dies between Slack taking the DM and the outbox recording it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.http import build_web_app
from bot.service import Service
from connectors.models import ShopId
from connectors.orders import Order, OrderId, OrderStatus
from tests.harness import Bridge, running_bridge, serve
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


async def test_a_dm_taken_by_slack_before_a_crash_is_found_not_sent_again(
        tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        await b.buyer_says("Where is my parcel?")
        conv = await b.thread()
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.assignee == mai)
        # Slack takes the DM at once but answers late: the process dies meanwhile.
        b.slack.answer_late("chat.postMessage", 10.0, channel="D")
        assert "Handed 1 conversation(s) over" in await cs(b, mai, f"handover <@{an}|an>")
        await b.wait(lambda: dms(b))
        await b.service.outbox.stop()  # the crash: no more Slack work from this process
        state = "SELECT state FROM slack_ops WHERE kind = 'dm'"
        assert await b.store.database.value(state) == "inflight"

        again = Service(b.service.settings, repair_on_start=False)  # the restart
        runner, _ = await serve(build_web_app(again))
        try:
            await b.until(lambda: again.store.database.value(state), lambda s: s == "done")
            await again.outbox.idle()
            im = b.slack.workspace.open_im(an).id
            assert len(b.slack.messages(im)) == 1 and len(dms(b)) == 1
            looked = [c for c in b.slack.calls_to("conversations.history")
                      if c.params["channel"] == im]
            assert looked and looked[-1].ok  # found where a DM is: the IM's history
        finally:
            await runner.cleanup()
