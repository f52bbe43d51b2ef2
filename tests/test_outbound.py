"""Agents' thread replies reach the buyer; reactions say what happened."""

from __future__ import annotations

import json
from pathlib import Path

from tests.harness import Bridge, running_bridge


async def started(b: Bridge):  # noqa: ANN201 - the conversation, thread ready
    await b.buyer_says("Hi, has my order shipped?")
    conv = await b.thread()
    await b.wait(lambda: b.replies(conv) or None)
    return conv


async def test_reply_is_relayed_as_plain_text_and_marked_delivered(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, f"Hi <@{b.agent}>! *Yes*, tracking "
                                   "<https://t.example/1|here> :truck:")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert b.sent_texts() == ["Hi @Mai! Yes, tracking here (https://t.example/1) 🚚"]
        assert "hourglass_flowing_sand" not in b.reactions(conv, ts)
        row = await b.store.conversations.message_by_ts(conv.channel_id, ts)
        assert row.state == "delivered" and row.platform_message_id
        # The card shows the buyer is no longer waiting.
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.waiting_since is None)


async def test_hourglass_while_sending(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        b.market.fail_next_send("transient", count=1)
        ts = await b.agent_replies(conv, "On it")
        await b.wait(lambda: "hourglass_flowing_sand" in b.reactions(conv, ts))
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert b.sent_texts() == ["On it"]


async def test_failure_shows_reason_and_retry_delivers(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        b.market.fail_next_send("permanent")
        ts = await b.agent_replies(conv, "Sorry for the wait!")
        await b.wait(lambda: "x" in b.reactions(conv, ts))
        notice = await b.wait(lambda: next((m for m in b.replies(conv)
                                            if "reply_retry" in json.dumps(m["blocks"])), None))
        assert "reply window has closed" in notice["text"]
        assert "reply_edit_resend" in json.dumps(notice["blocks"])
        assert b.sent_texts() == []
        delivery = await b.slack.user_clicks(b.agent, conv.channel_id, notice["ts"],
                                             "reply_retry")
        assert delivery.status == 200
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert "x" not in b.reactions(conv, ts)
        assert b.sent_texts() == ["Sorry for the wait!"]
        await b.wait(lambda: "Delivered after retry" in
                     b.slack.message(conv.channel_id, notice["ts"])["text"])


async def test_edit_and_resend_sends_the_edited_text(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        b.market.fail_next_send("blocked")
        ts = await b.agent_replies(conv, "Your parcel is packed")
        notice = await b.wait(lambda: next((m for m in b.replies(conv)
                                            if "reply_edit_resend" in json.dumps(m["blocks"])),
                                           None))
        await b.slack.user_clicks(b.agent, conv.channel_id, notice["ts"], "reply_edit_resend")
        view = (await b.wait(lambda: b.slack.open_views(b.agent)))[0]
        answer = await b.slack.user_submits_view(b.agent, view["id"],
                                                 {"text": {"value": "Your parcel is on its way"}})
        assert answer.status == 200
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert b.sent_texts() == ["Your parcel is on its way"]


async def test_timeout_is_checked_before_any_resend(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        b.market.timeout_delay = 2.0  # longer than the connector's 0.5 s send timeout
        b.market.fail_next_send("timeout")
        ts = await b.agent_replies(conv, "Checking with the courier")
        await b.wait(lambda: "warning" in b.reactions(conv, ts))
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts), timeout=12)
        # It had arrived: found by its idempotency key, not sent again.
        assert b.sent_texts() == ["Checking with the courier"]
        sends = [r for r in b.market.push_log if r.payload().get("message", {}).get(
            "from_seller")]
        assert len({r.payload()["message"]["message_id"] for r in sends}) == 1


async def test_notes_are_never_relayed(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        t1 = await b.agent_replies(conv, "note: buyer is a VIP, be nice")
        t2 = await b.agent_replies(conv, "// check stock first")
        t3 = await b.agent_replies(conv, "NOTE: upper case too")
        for ts in (t1, t2, t3):
            await b.wait(lambda ts=ts: "memo" in b.reactions(conv, ts))
        await b.settle()
        assert b.sent_texts() == []


async def test_bot_messages_and_non_thread_messages_are_not_relayed(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        await b.service.slack.chat_postMessage(channel=conv.channel_id, thread_ts=conv.thread_ts,
                                               text="a bot speaking in the thread")
        await b.slack.user_posts(b.agent, conv.channel_id, "top-level chatter")
        await b.slack.settle()
        await b.settle()
        assert b.sent_texts() == []
        assert (await b.store.database.one("SELECT COUNT(*) FROM messages WHERE direction='out'"
                                    ))[0] == 0


async def test_redelivered_event_relays_once(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, "Once only")
        event_id = b.slack.deliveries[-1].event_id
        await b.slack.redeliver(event_id)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        await b.slack.redeliver(event_id, retry_num=2)
        await b.settle()
        assert b.sent_texts() == ["Once only"]


async def test_edit_and_delete_after_delivery_tell_the_author(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, "Delivered text")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        await b.slack.user_edits(b.agent, conv.channel_id, ts, "Changed text")
        await b.wait(lambda: any("edits are not relayed" in e["text"]
                                 for e in b.slack.ephemerals(b.agent)))
        await b.slack.user_deletes(b.agent, conv.channel_id, ts)
        await b.wait(lambda: any("their copy is unchanged" in e["text"]
                                 for e in b.slack.ephemerals(b.agent)))
        assert b.sent_texts() == ["Delivered text"]


async def test_reply_from_someone_outside_the_team_is_refused(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        await b.agent_replies(conv, "I am not an agent", user=b.outsider)
        await b.wait(lambda: any("not an agent of this store" in e["text"]
                                 for e in b.slack.ephemerals(b.outsider)))
        await b.settle()
        assert b.sent_texts() == []


async def test_replies_leave_in_order_even_after_transient_failures(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        b.market.fail_next_send("transient", count=2)
        stamps = [await b.agent_replies(conv, f"part {i}") for i in range(5)]
        for ts in stamps:
            await b.wait(lambda ts=ts: "white_check_mark" in b.reactions(conv, ts))
        assert b.sent_texts() == [f"part {i}" for i in range(5)]


async def test_reply_breaking_a_rule_is_refused_privately_and_fixed_by_editing(
        tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, "x" * 1500)
        await b.wait(lambda: "x" in b.reactions(conv, ts))
        told = await b.wait(lambda: [e for e in b.slack.ephemerals(b.agent)
                                     if "Not sent to the buyer" in e["text"]])
        assert "1500 characters" in told[0]["text"] and "allows 1000" in told[0]["text"]
        assert not [m for m in b.replies(conv) if "reply_retry" in json.dumps(m["blocks"])]
        assert b.sent_texts() == []
        await b.slack.user_edits(b.agent, conv.channel_id, ts, "A shorter answer")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert b.sent_texts() == ["A shorter answer"]
