"""Each way a Slack call can fail, driven through a SlackOutbox built on its own
(tests/outbox_world.py: a real Store, the Slack stand-in over HTTP): what happens
to the op, to its channel and to the outbox's view of Slack."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.leases import LeaseKeeper
from bot.slack_outbox import MAX_UNEXPECTED
from bot.slack_work import SlackWork
from tests.outbox_world import CHANNEL, OPS, outbox_world

ALERT = SlackWork.POST_CHANNEL


async def test_not_in_a_public_channel_joins_it_and_posts(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        # Known from before (the channel's id is remembered), but the bot has left it.
        lobby = w.channels["#lobby"] = w.slack.add_channel("lobby")
        await w.store.books.remember_channel("#lobby", lobby, "lobby", False)
        op = await w.enqueue(ALERT, "#lobby", payload={"text": "alert"})
        w.outbox().kick("#lobby")
        await w.state(op, "done")
        assert w.posts("#lobby") == ["alert"]
        assert w.calls("chat.postMessage") == [(lobby, "not_in_channel"), (lobby, None)]
        assert w.calls("conversations.join") == [(lobby, None)]


async def test_not_in_a_private_channel_is_given_up_asking_for_an_invitation(
        tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        vip = w.channels["#vip"] = w.slack.add_channel("vip", private=True, bot_member=True)
        await w.store.books.remember_channel("#vip", vip, "vip", True)
        w.slack.fail_next("chat.postMessage", "not_in_channel")  # the bot was removed
        first = await w.enqueue(ALERT, "#vip", payload={"text": "first"})
        second = await w.enqueue(ALERT, "#vip", payload={"text": "second"})
        w.outbox().kick("#vip")
        dead = await w.state(first, "dead")
        assert dead["error"] == ("the bot is not in the channel "
                                 "(method_not_supported_for_channel_type); invite it")
        await w.state(second, "done")  # the channel goes on (here: invited again)
        assert w.posts("#vip") == ["second"]


async def test_a_join_slack_could_not_answer_is_tried_again(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        lobby = w.channels["#lobby"] = w.slack.add_channel("lobby")
        await w.store.books.remember_channel("#lobby", lobby, "lobby", False)
        w.slack.fail_next("conversations.join", status=503)
        op = await w.enqueue(ALERT, "#lobby", payload={"text": "alert"})
        box = w.outbox()
        box.kick("#lobby")
        await w.state(op, "done")
        assert w.calls("conversations.join") == [(lobby, "http_503"), (lobby, None)]
        assert w.posts("#lobby") == ["alert"] and box.reachable is True


async def test_a_permanent_refusal_gives_the_op_up_and_the_channel_goes_on(
        tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        outsider = w.slack.add_user("vic")  # not a member of #cs-ops
        told = await w.enqueue(SlackWork.EPHEMERAL, payload={"user": outsider, "text": "psst"})
        after = await w.enqueue(ALERT, payload={"text": "next"})
        box = w.outbox()
        box.kick(OPS)
        assert (await w.state(told, "dead"))["error"] == "user_not_in_channel"
        await w.state(after, "done")
        assert w.posts() == ["next"]
        assert box.reachable is True  # a refusal is not an outage


async def test_a_bug_of_ours_is_retried_then_given_up(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    async with outbox_world(tmp_path) as w:
        op = await w.enqueue(ALERT, payload={"blocks": []})  # no text: the handler raises
        box = w.outbox()
        box.kick(OPS)
        for attempt in range(1, MAX_UNEXPECTED):
            row = await w.until(lambda: w.op(op), lambda r, n=attempt: r["attempts"] >= n)
            assert row["state"] != "dead"
            box.kick(OPS)  # no need to sit out the backoff
        dead = await w.state(op, "dead")
        assert (dead["attempts"], dead["error"]) == (MAX_UNEXPECTED, "unexpected KeyError")
        assert w.posts() == []
        raised = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
        assert raised and "KeyError" in caplog.text  # logged with its traceback


async def test_retry_after_blocks_that_channel_for_that_long(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        w.slack.fail_next("chat.postMessage", status=429, retry_after=1)
        one = await w.enqueue(ALERT, payload={"text": "one"})
        two = await w.enqueue(ALERT, payload={"text": "two"})
        box = w.outbox()
        box.kick(OPS)
        await w.slack.wait_for(lambda: w.slack.calls_to("chat.postMessage"))
        other = await w.enqueue(ALERT, CHANNEL, payload={"text": "elsewhere"})
        for _ in range(10):  # new work for the blocked channel does not unblock it
            box.kick(OPS)
            box.kick(CHANNEL)
            await asyncio.sleep(0.05)
        await w.state(other, "done")
        await w.state(two, "done")
        posts = w.slack.calls_to("chat.postMessage")
        limited = next(c for c in posts if c.status == 429)
        to_ops = [c for c in posts if c.params["channel"] == w.channels[OPS] and c.ok]
        elsewhere = next(c for c in posts if c.params["channel"] == w.channels[CHANNEL])
        assert to_ops[0].time - limited.time >= 0.95
        assert elsewhere.time - limited.time < 0.95  # only that channel waits
        assert w.posts() == ["one", "two"] and (await w.op(one))["state"] == "done"
        assert box.reachable is True and box.last_error is None  # paced, not down


async def test_an_alert_waits_for_its_conversations_thread(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        conv = await w.conversation()  # its root post is queued, not posted
        op = await w.enqueue(ALERT, conversation_id=conv, payload={"text": "⏰ waiting"})
        box = w.outbox()
        box.kick(OPS)
        postponed = await w.until(lambda: w.op(op), lambda r: r["state"] == "pending"
                                  and r["not_before"] > r["created_at"])
        assert postponed["attempts"] == 1 and w.posts() == []
        box.kick(CHANNEL)  # the thread is posted
        await w.state(op, "done")
        thread = await w.store.conversations.get(conv)
        assert thread is not None and thread.thread_ts
        [alert] = w.posts()
        assert alert.startswith("⏰ waiting <") and "|Open the thread>" in alert
        assert thread.thread_ts.replace(".", "") in alert


async def test_a_lost_lease_stops_the_worker_before_the_post(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        mine = LeaseKeeper(w.store, worker_id="mine", ttl=1.0)  # and never renewed
        box = w.outbox(leases=mine, post_rate=1 / 3, post_burst=1)
        one = await w.enqueue(ALERT, payload={"text": "one"})
        two = await w.enqueue(ALERT, payload={"text": "two"})
        box.kick(OPS)
        await w.state(one, "done")
        await w.state(two, "inflight")  # taken, waiting ~3 s for its pacing token
        theirs = LeaseKeeper(w.store, worker_id="theirs")
        await w.until(lambda: theirs.claim(f"slack:{OPS}"))  # once ours has expired
        await box.idle()
        assert (await w.op(two))["state"] == "inflight" and w.posts() == ["one"]
        # The new holder recovers it: looked for in Slack, not there, posted once.
        await w.outbox(leases=theirs).start()
        await w.state(two, "done")
        assert w.posts() == ["one", "two"]


async def test_a_shutdown_during_the_pacing_wait_leaves_the_op_to_do(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        box = w.outbox(post_rate=0.2, post_burst=1)
        one = await w.enqueue(ALERT, payload={"text": "one"})
        two = await w.enqueue(ALERT, payload={"text": "two"})
        box.kick(OPS)
        await w.state(one, "done")
        await w.state(two, "inflight")  # taken, waiting ~5 s for its pacing token
        await box.stop()
        # Nothing was sent: pending again, not inflight (no look-up needed at the next start).
        assert (await w.op(two))["state"] == "pending" and w.posts() == ["one"]


async def test_slack_down_at_start_then_back(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        op = await w.enqueue(ALERT, payload={"text": "alert"})
        await w.slack.go_down()
        box = w.outbox()
        await box.start()  # auth.test fails: the identity stays unknown, work waits
        assert (box.reachable, box.identity_known) == (False, False)
        assert box.last_error == "auth.test: ClientConnectorError"
        await w.slack.come_back()
        box.kick(OPS)
        await w.state(op, "done")
        await w.slack.wait_for(lambda: box.identity_known)  # asked again once Slack answers
        assert box.effects.identity() == ("UBOT", "BBOT") and box.reachable is True
