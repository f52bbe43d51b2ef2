"""Relay (Slack → marketplace) and Ingest (marketplace → StoreBridge) built on
their own over a real Store (both backends): every way a message is ignored,
refused, deduplicated or taken. Slack's side is the stand-in (an ephemeral
refusal really reaches the person through a SlackOutbox); the marketplace's is
the sandbox, pushing over HTTP to an endpoint that hands the push to Ingest."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.config import GroupConfig, SandboxConfig, Settings, StoreConfig
from bot.connector_hub import ConnectorHub
from bot.demo.marketplace import SandboxMarketplace
from bot.ingest import Ingest
from bot.relay import Relay
from bot.store import Conversation
from tests.harness import serve
from tests.outbox_world import CHANNEL, STORE, World, outbox_world

SHOP_STORE = StoreConfig(platform="shopee", shop_id="sg-1", site="SG", name="Kopi & Co.",
                         channel=CHANNEL, group="team", connector="sandbox",
                         credentials={"access_token": "tok-sg"})


@asynccontextmanager
async def relay_world(tmp_path: Path) -> AsyncIterator[tuple[World, Relay, Conversation,
                                                             dict[str, list[str]]]]:
    async with outbox_world(tmp_path) as w:
        settings = Settings(stores=(SHOP_STORE,), groups=(GroupConfig("team", (w.agent,)),))
        woken: dict[str, list[str]] = {"slack": [], "sender": []}
        relay = Relay(w.store, settings, wake_slack=woken["slack"].append,
                      wake_sender=woken["sender"].append)
        conv_id = await w.conversation()
        box = w.outbox()
        box.kick(CHANNEL)
        conv = await w.until(lambda: w.store.conversations.get(conv_id),
                             lambda c: c is not None and c.thread_ts)
        await box.idle()
        yield w, relay, conv, woken


def said(w: World, conv: Conversation, user: str, text: str, ts: str,
         **extra: Any) -> dict[str, Any]:
    """A message event as Slack sends it for a reply in the conversation's thread."""
    return {"type": "message", "channel": w.channels[CHANNEL], "user": user, "text": text,
            "ts": ts, "thread_ts": conv.thread_ts, **extra}


async def test_what_is_not_a_human_reply_in_a_conversation_is_ignored(tmp_path: Path) -> None:
    async with relay_world(tmp_path) as (w, relay, conv, woken):
        reply = said(w, conv, w.agent, "hello", "1.000001")
        cases = {
            "ignored: not a human message": [{**reply, "bot_id": "B1"},
                                             {**reply, "subtype": "channel_join"},
                                             {**reply, "user": None}],
            "ignored: not a thread reply": [{**reply, "thread_ts": None},
                                            {**reply, "thread_ts": "1.000001"}],
            "ignored: not a conversation thread": [{**reply, "thread_ts": "9.000009"}],
            "ignored: no text": [{**reply, "text": "  "}],
        }
        for outcome, events in cases.items():
            for event in events:
                assert await relay.on_message(event, None) == outcome
        assert woken["sender"] == [] and await w.store.replies.counts() == {}


async def test_a_reply_is_queued_once(tmp_path: Path) -> None:
    async with relay_world(tmp_path) as (w, relay, conv, woken):
        event = said(w, conv, w.agent, "It ships tomorrow", "1.000002")
        assert await relay.on_message(event, "Ev1") == "queued"
        assert woken == {"slack": [CHANNEL], "sender": [STORE]}
        assert await relay.on_message(event, "Ev1") == "duplicate event"  # Slack's retry
        assert await relay.on_message(event, "Ev2") == "duplicate message"
        assert await w.store.replies.counts() == {"queued": 1}
        assert await relay.retry(9999, w.agent) == "That reply no longer exists."
        mid = (await w.store.conversations.message_by_ts(w.channels[CHANNEL], "1.000002")).id
        assert await relay.retry(mid, w.agent) == "Nothing to retry: the reply is queued."
        assert await relay.retry(mid, w.slack.add_user("vic")) == \
            "Only agents of this store's team can resend replies."


async def test_a_note_stays_in_slack(tmp_path: Path) -> None:
    async with relay_world(tmp_path) as (w, relay, conv, woken):
        assert await relay.on_message(said(w, conv, w.agent, "note: VIP", "1.000003"),
                                      None) == "note"
        assert woken["sender"] == []
        edited = {"subtype": "message_changed", "channel": w.channels[CHANNEL],
                  "message": {"ts": "1.000003", "text": "note: VIP buyer", "user": w.agent},
                  "previous_message": {"ts": "1.000003", "text": "note: VIP"}}
        assert await relay.on_message(edited, None) == "ignored: note edited"


async def test_someone_outside_the_team_is_told_privately(tmp_path: Path) -> None:
    async with relay_world(tmp_path) as (w, relay, conv, woken):
        outsider = w.slack.add_user("vic")
        w.slack.join(w.channels[CHANNEL], outsider)
        outcome = await relay.on_message(said(w, conv, outsider, "refund!", "1.000004"), None)
        assert outcome == "refused: not an agent of this store"
        assert woken["sender"] == [] and await w.store.replies.counts() == {}
        w.outboxes[-1].kick(CHANNEL)  # the refusal, through the outbox, to that person only
        [told] = await w.slack.wait_for(lambda: w.slack.ephemerals(outsider))
        assert "not an agent of this store's team" in told["text"]
        assert told["thread_ts"] == conv.thread_ts


async def test_an_edit_or_a_deletion_before_sending(tmp_path: Path) -> None:
    async with relay_world(tmp_path) as (w, relay, conv, woken):
        channel = w.channels[CHANNEL]
        await relay.on_message(said(w, conv, w.agent, "It ships tmorrow", "1.000005"), None)

        def changed(text: str) -> dict[str, Any]:
            return {"subtype": "message_changed", "channel": channel,
                    "message": {"ts": "1.000005", "text": text, "user": w.agent},
                    "previous_message": {"ts": "1.000005", "text": "It ships tmorrow"}}
        assert await relay.on_message(changed("It ships tmorrow"), None) == \
            "ignored: not a text edit"
        assert await relay.on_message(changed("It ships tomorrow"), None) == \
            "edited before sending"
        msg = await w.store.conversations.message_by_ts(channel, "1.000005")
        assert msg is not None and msg.text == "It ships tomorrow"
        deleted = {"subtype": "message_deleted", "channel": channel, "deleted_ts": "1.000005",
                   "previous_message": {"user": w.agent}}
        assert await relay.on_message(deleted, None) == "cancelled"
        assert await relay.on_message({**deleted, "deleted_ts": "7.000007"}, None) == \
            "ignored: not a reply"
        kinds = await w.store.database.all("SELECT kind FROM slack_ops WHERE state = 'pending'")
        assert "ephemeral" in {r[0] for r in kinds}  # "You deleted your reply before…"


@asynccontextmanager
async def ingest_world(tmp_path: Path) -> AsyncIterator[tuple[World, Ingest, SandboxMarketplace,
                                                              list[str], str]]:
    async with outbox_world(tmp_path) as w, SandboxMarketplace() as market, \
            aiohttp.ClientSession() as session:
        market.add_store("sg-1", "shopee", "SG", "Kopi & Co.", "tok-sg", "en")
        market.add_buyer("sg-1", "b-rachel", "Rachel Tan", "en",
                         avatar_url="https://img.example/r.png")
        market.add_buyer("sg-1", "b-daniel", "Daniel Goh", "en")  # no avatar: asked for
        market.add_store("sg-2", "shopee", "SG", "Not configured here", "tok-2", "en")
        market.add_buyer("sg-2", "b-x", "X", "en")
        market.push_retry_delays = (0.05,)
        settings = Settings(stores=(SHOP_STORE,), sandbox=SandboxConfig(
            url=market.base_url, app_key=market.app_key, app_secret=market.app_secret))
        woken: list[str] = []
        ingest = Ingest(w.store, ConnectorHub(settings, session, w.store.books),
                        on_claimed=woken.append)

        async def push(request: web.Request) -> web.Response:
            answer = await ingest.handle_push("sandbox", request.headers, await request.read(),
                                              str(request.url))
            return web.Response(status=answer.status, body=answer.body,
                                content_type=answer.content_type)
        app = web.Application()
        app.router.add_post("/push", push)
        runner, base = await serve(app)
        market.set_webhook(f"{base}/push")
        try:
            yield w, ingest, market, woken, f"{base}/push"
        finally:
            await runner.cleanup()


async def stored(w: World) -> list[str]:
    return [r[0] for r in await w.store.database.all("SELECT text FROM messages ORDER BY id")]


async def test_a_push_is_stored_once_and_wakes_its_channel(tmp_path: Path) -> None:
    async with ingest_world(tmp_path) as (w, ingest, market, woken, url):
        market.duplicate_next_push()
        await market.buyer_says("sg-1", "b-rachel", "Where is my parcel?")
        await market.drain()
        assert await stored(w) == ["Where is my parcel?"]
        assert woken == [CHANNEL]  # once: the duplicate stored nothing
        assert await w.store.database.value(
            "SELECT COUNT(*) FROM slack_ops WHERE kind = 'post_root'") == 1


async def test_pushes_that_are_not_ours_to_take(tmp_path: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    async with ingest_world(tmp_path) as (w, ingest, market, woken, url):
        unknown = await ingest.handle_push("nowhere", {}, b"{}", url)
        assert (unknown.status, unknown.body) == (404, b"no store uses this platform")
        async with aiohttp.ClientSession() as http, http.post(
                url, data=b'{"event": "message"}', headers={
                    "X-Sandbox-Timestamp": "1", "X-Sandbox-Signature": "forged"}) as resp:
            assert resp.status == 401
        with caplog.at_level(logging.WARNING):
            await market.buyer_says("sg-2", "b-x", "hello?")  # a shop not configured here
            await market.drain()
        assert market.push_log[-1].status == 200  # acknowledged, and dropped
        assert "not configured" in caplog.text
        assert await stored(w) == [] and woken == []


async def test_a_buyer_the_platform_cannot_name_now_does_not_hold_the_thread(
        tmp_path: Path) -> None:
    async with ingest_world(tmp_path) as (w, ingest, market, woken, url):
        market.set_down(True)  # its API: pushes still arrive
        await market.buyer_says("sg-1", "b-daniel", "hello?")
        await market.drain()
        await w.until(lambda: w.store.database.value(
            "SELECT COUNT(*) FROM conversations WHERE profile_asked_at IS NULL"),
            lambda n: n == 1, timeout=15)  # the question is over, unanswered
        assert woken == [CHANNEL, CHANNEL]  # claimed; then the root may go out
