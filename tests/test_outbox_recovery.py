"""A crash between Slack taking a post and the outbox recording it: the next
process finds the post where its kind posts (the channel, the thread, the DM)
and records it; it is never posted twice. The crash is real enough: Slack has
done the call and holds its answer (``answer_late``) while the outbox's worker
is stopped mid-call; a new SlackOutbox over the same database is the restart."""

from __future__ import annotations

from pathlib import Path

from bot.slack_outbox import SlackOutbox
from bot.slack_work import SlackWork
from tests.outbox_world import CHANNEL, OPS, World, outbox_world


async def crash_during(w: World, ref: str, slack_channel: str, op: int) -> None:
    """Run ``ref``'s worker until Slack has taken ``op``'s post, then die."""
    def posted() -> int:
        return len([c for c in w.slack.calls_to("chat.postMessage")
                    if c.ok and c.params["channel"].startswith(slack_channel)])

    before = posted()
    w.slack.answer_late("chat.postMessage", 10.0, channel=slack_channel)
    box = w.outbox()
    box.kick(ref)
    await w.slack.wait_for(lambda: posted() > before)
    await box.stop()
    assert (await w.op(op))["state"] == "inflight"


async def restart(w: World) -> SlackOutbox:
    box = w.outbox()
    await box.start()  # kicks every channel with work
    return box


async def threaded(w: World) -> int:
    """A conversation whose thread exists."""
    conv = await w.conversation()
    box = w.outbox()
    box.kick(CHANNEL)
    await box.idle()
    await box.stop()
    return conv


async def test_a_root_post_is_found_in_the_channel_and_becomes_the_thread(
        tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        conv = await w.conversation()
        root = int(await w.store.database.value(
            "SELECT id FROM slack_ops WHERE kind = 'post_root'"))
        await crash_during(w, CHANNEL, w.channels[CHANNEL], root)
        assert not (await w.store.conversations.get(conv)).thread_ts  # type: ignore[union-attr]
        await restart(w)
        done = await w.state(root, "done")
        [posted] = w.slack.messages(w.channels[CHANNEL])
        thread = await w.store.conversations.get(conv)
        assert thread is not None and thread.thread_ts == posted["ts"] == done["result_ts"]
        await w.until(lambda: w.store.database.value(
            "SELECT COUNT(*) FROM slack_ops WHERE state != 'done'"), lambda n: n == 0)
        assert len(w.slack.replies(w.channels[CHANNEL], posted["ts"])) == 1  # the message


async def test_an_alert_linked_to_a_conversation_is_found_in_the_channel(
        tmp_path: Path) -> None:
    """Looked for in the channel where it was posted, not in the conversation's thread."""
    async with outbox_world(tmp_path) as w:
        conv = await threaded(w)
        op = await w.enqueue(SlackWork.POST_CHANNEL, OPS, conversation_id=conv,
                             payload={"text": "⏰ waiting"})
        await crash_during(w, OPS, w.channels[OPS], op)
        await restart(w)
        done = await w.state(op, "done", "dead")
        [alert] = w.slack.messages(w.channels[OPS])
        assert (done["state"], done["result_ts"]) == ("done", alert["ts"])


async def test_a_thread_note_is_found_in_the_thread(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        conv = await threaded(w)
        op = await w.enqueue(SlackWork.POST_THREAD_NOTE, CHANNEL, conversation_id=conv,
                             payload={"text": "📦 shipped"})
        await crash_during(w, CHANNEL, w.channels[CHANNEL], op)
        await restart(w)
        await w.state(op, "done")
        thread = await w.store.conversations.get(conv)
        assert thread is not None
        notes = [m for m in w.slack.replies(w.channels[CHANNEL], thread.thread_ts or "")
                 if m.get("text") == "📦 shipped"]
        assert len(notes) == 1
        assert [c for c in w.slack.calls_to("conversations.replies") if c.ok]


async def test_a_dm_is_found_in_the_dm(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        op = await w.enqueue(SlackWork.DM, f"@{w.agent}",
                             payload={"user": w.agent, "text": "🔁 handed over"})
        await crash_during(w, f"@{w.agent}", "D", op)
        await restart(w)
        await w.state(op, "done")
        im = w.slack.workspace.open_im(w.agent).id
        assert [m["text"] for m in w.slack.messages(im)] == ["🔁 handed over"]


async def test_a_post_slack_never_took_is_posted_once_after_the_restart(
        tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        await w.store.books.remember_channel(OPS, w.channels[OPS], "cs-ops", False)
        op = await w.enqueue(SlackWork.POST_CHANNEL, payload={"text": "alert"})
        await w.slack.go_down()
        box = w.outbox()
        box.kick(OPS)
        await w.slack.wait_for(lambda: box.reachable is False)
        await box.stop()
        assert (await w.op(op))["state"] == "inflight"
        await w.slack.come_back()
        await restart(w)
        await w.state(op, "done")
        assert w.posts() == ["alert"]
        assert [c.params["channel"] for c in w.slack.calls_to("conversations.history")] == \
            [w.channels[OPS]]  # looked for first
