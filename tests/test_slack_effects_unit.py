"""The effects and the fault classifier at their seams: Slack's real answers (the
stand-in over HTTP) sorted into Faults, the table of Slack work, and what each
handler does when what it works on is missing or gone. A real Store underneath
(tests/outbox_world.py), on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.slack_standin.slack_api import DEFAULT_SCOPES, SlackEmulator
from bot.slack_errors import Fault, SlackFailure, classify
from bot.slack_work import FoundBy, SlackWork
from bot.slack_work_table import WORK
from tests.outbox_world import CHANNEL, OPS, World, outbox_world


async def failure(call: Any) -> SlackFailure:
    with pytest.raises(Exception) as info:
        await call
    return classify(info.value)


async def test_slacks_answers_are_sorted_by_what_to_do() -> None:
    scopes = tuple(s for s in DEFAULT_SCOPES if s != "reactions:write")
    async with SlackEmulator(scopes=scopes) as slack:
        general = slack.add_channel("general", bot_member=True)
        lobby = slack.add_channel("lobby")
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, timeout=2,
                                retry_handlers=[])
        wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url, retry_handlers=[])
        ts = (await client.chat_postMessage(channel=general, text="hi"))["ts"]
        bad_blocks = [{"type": "section", "block_id": "x", "text": {"type": "mrkdwn", "text": "a"}}
                      ] * 2
        seen = {
            "invalid_auth": await failure(wrong.auth_test()),
            "missing_scope": await failure(client.reactions_add(channel=general, timestamp=ts,
                                                                name="memo")),
            "not_in_channel": await failure(client.chat_postMessage(channel=lobby, text="x")),
            "channel_not_found": await failure(client.conversations_info(channel="C404")),
            "message_not_found": await failure(client.chat_update(channel=general, ts="1.000001",
                                                                  text="x")),
            "invalid_blocks": await failure(client.chat_postMessage(
                channel=general, text="x", blocks=bad_blocks)),
        }
        slack.scopes = DEFAULT_SCOPES
        await client.reactions_add(channel=general, timestamp=ts, name="memo")
        seen["already_reacted"] = await failure(client.reactions_add(
            channel=general, timestamp=ts, name="memo"))
        slack.archive(lobby)
        seen["is_archived"] = await failure(client.chat_postMessage(channel=lobby, text="x"))
        slack.fail_next("chat.postMessage", status=429, retry_after=7)
        seen["ratelimited"] = await failure(client.chat_postMessage(channel=general, text="x"))
        slack.fail_next("chat.postMessage", status=503)
        seen["http_503"] = await failure(client.chat_postMessage(channel=general, text="x"))
        slack.fail_next("chat.postMessage", "internal_error")
        seen["internal_error"] = await failure(client.chat_postMessage(channel=general, text="x"))
        await slack.go_down()
        seen["ClientConnectorError"] = await failure(client.auth_test())
        await slack.come_back()
    assert {error: f.kind for error, f in seen.items()} == {
        "invalid_auth": Fault.AUTH, "missing_scope": Fault.AUTH,
        "not_in_channel": Fault.NOT_IN_CHANNEL, "channel_not_found": Fault.CHANNEL_NOT_FOUND,
        "message_not_found": Fault.GONE, "invalid_blocks": Fault.REJECTED,
        "already_reacted": Fault.ALREADY, "is_archived": Fault.PERMANENT,
        "ratelimited": Fault.RATELIMITED, "http_503": Fault.TRANSIENT,
        "internal_error": Fault.TRANSIENT, "ClientConnectorError": Fault.TRANSIENT}
    assert all(f.error == error for error, f in seen.items())
    assert seen["ratelimited"].retry_after == 7.0
    assert "json-pointer" in seen["invalid_blocks"].detail  # Slack's own words, kept
    assert classify(KeyError("text")) == SlackFailure(Fault.UNEXPECTED, "unexpected KeyError")
    assert classify(TimeoutError()).kind is Fault.TRANSIENT


def test_each_kind_says_whether_it_posts_and_where_it_is_found_again() -> None:
    assert WORK.keys() == set(SlackWork)
    found = {kind: work.found_by for kind, work in WORK.items()}
    assert {k for k, f in found.items() if f is FoundBy.CHANNEL} == {
        SlackWork.POST_ROOT, SlackWork.BANNER, SlackWork.POST_CHANNEL}
    assert {k for k, f in found.items() if f is FoundBy.THREAD} == {
        SlackWork.POST_MESSAGE, SlackWork.POST_AGENT_COPY, SlackWork.POST_SENT_TRANSLATION,
        SlackWork.NOTICE, SlackWork.POST_THREAD_NOTE}
    assert found[SlackWork.DM] is FoundBy.DM and WORK[SlackWork.DM].posts
    assert not any(WORK[k].posts for k in (SlackWork.UPDATE_CARD, SlackWork.UPDATE_MESSAGE,
                                           SlackWork.SYNC_REACTION, SlackWork.EPHEMERAL))
    assert SlackWork.parse("dm") is SlackWork.DM and SlackWork.parse("retired") is None


async def test_a_kind_this_code_does_not_know_is_given_up(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        await w.store.database.run(  # written by a newer version, say
            "INSERT INTO slack_ops (channel_ref, kind, payload, not_before, created_at) "
            "VALUES (?, 'retired_kind', '{}', 0, 0)", OPS)
        op = int(await w.store.database.value("SELECT MAX(id) FROM slack_ops"))
        after = await w.enqueue(SlackWork.POST_CHANNEL, payload={"text": "next"})
        w.outbox().kick(OPS)
        assert (await w.state(op, "dead"))["error"] == "unknown op kind retired_kind"
        await w.state(after, "done")


async def threaded(w: World) -> tuple[int, str]:
    conv = await w.conversation()
    box = w.outbox()
    await box.start()
    await w.until(lambda: w.store.conversations.get(conv), lambda c: c.thread_ts)
    await box.idle()
    thread = await w.store.conversations.get(conv)
    assert thread is not None and thread.thread_ts
    return conv, thread.thread_ts


async def test_a_card_update_that_failed_is_sent_when_slack_is_back(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        conv, root = await threaded(w)
        box = w.outboxes[-1]
        await w.slack.go_down()
        await w.store.team.assign(conv, w.agent, actor=None, kind="test")
        box.kick(CHANNEL)
        await w.slack.wait_for(lambda: box.reachable is False, timeout=8)
        await w.slack.come_back()
        box.kick(CHANNEL)
        card = await w.slack.wait_for(lambda: [c for c in w.slack.calls_to("chat.update")
                                               if c.ok and w.agent in str(c.params["blocks"])])
        assert card[-1].params["ts"] == root  # not skipped as "shown already"


async def test_an_update_of_a_deleted_card_is_given_up(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        conv, root = await threaded(w)
        w.slack.workspace.remove(w.slack.workspace.channels[w.channels[CHANNEL]], root)
        await w.store.team.assign(conv, w.agent, actor=None, kind="test")
        w.outboxes[-1].kick(CHANNEL)
        op = int(await w.store.database.value(
            "SELECT MAX(id) FROM slack_ops WHERE kind = 'update_card'"))
        assert (await w.state(op, "dead"))["error"] == "message_not_found"


async def test_a_conversation_whose_thread_could_not_be_posted(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        conv = await w.conversation()
        w.slack.archive(w.channels[CHANNEL])
        w.outbox().kick(CHANNEL)
        await w.until(lambda: w.store.database.value(
            "SELECT COUNT(*) FROM slack_ops WHERE state IN ('pending', 'inflight')"),
            lambda n: n == 0)
        rows = {r[0]: (r[1], r[2]) for r in await w.store.database.all(
            "SELECT kind, state, error FROM slack_ops WHERE conversation_id = ?", conv)}
        assert rows["post_root"] == ("dead", "channel #cs-shop not found or not visible to "
                                             "the bot")  # archived: listed no more
        assert rows["post_message"] == ("dead", "the conversation's thread could not be created")
        assert rows["update_card"] == ("done", None)  # the root, if ever, renders the card


async def test_a_channel_nobody_can_find_is_given_up(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        op = await w.enqueue(SlackWork.POST_CHANNEL, "#nowhere", payload={"text": "x"})
        w.outbox().kick("#nowhere")
        dead = await w.state(op, "dead")
        assert dead["error"] == "channel #nowhere not found or not visible to the bot"


async def test_a_reaction_already_there_or_on_a_deleted_message(tmp_path: Path) -> None:
    async with outbox_world(tmp_path) as w:
        conv_id, root = await threaded(w)
        conv = await w.store.conversations.get(conv_id)
        assert conv is not None
        channel = w.channels[CHANNEL]
        kept = await w.slack.user_posts(w.agent, channel, "note: kept", thread_ts=root)
        gone = await w.slack.user_posts(w.agent, channel, "note: gone", thread_ts=root)
        await w.client.reactions_add(channel=channel, timestamp=kept, name="memo")
        w.slack.workspace.remove(w.slack.workspace.channels[channel], gone)
        ids = [await w.store.replies.record(conv, channel, ts, w.agent, text, note=True)
               for ts, text in ((kept, "note: kept"), (gone, "note: gone"))]
        w.outboxes[-1].kick(CHANNEL)
        ops = [int(await w.store.database.value(
            "SELECT id FROM slack_ops WHERE kind = 'sync_reaction' AND message_id = ?", mid))
            for mid in ids]
        await w.state(ops[0], "done")  # already_reacted: the state Slack shows is right
        kept_reply = await w.store.replies.get(ids[0] or 0)
        assert kept_reply is not None and kept_reply.shown_reaction == "memo"
        assert (await w.state(ops[1], "dead"))["error"] == "message_not_found"
