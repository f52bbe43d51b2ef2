"""The digest's schedule (computed from the trigger, no sleeping) and its post in the
ops channel through the durable outbox; ``/cs stats`` as a private answer."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.feature_api import Feature, Services
from bot.team.digest import digest_job, post_digest
from bot.team.stats import stats_blocks
from tests.harness import Bridge, running_bridge

SGT = ZoneInfo("Asia/Singapore")


def stats_command(service: Services) -> Feature:
    """Test-only: the lead routes ``/cs stats`` the same way (an ephemeral answer)."""
    def register(app: Any) -> None:
        @app.command("/cs")
        async def cs(ack: Any, command: dict[str, Any]) -> None:
            await ack(blocks=await stats_blocks(service, command["user_id"], service.clock()),
                      text="StoreBridge checklist")
    return Feature("stats", slack=register)


def bridge(tmp_path: Path, **overrides: Any) -> Any:
    return running_bridge(tmp_path, service_kwargs={"features": [stats_command]}, **overrides)


async def buyer_waits_and_gets_a_reply(b: Bridge) -> None:
    """A real flow, then the response row the lead's team feature records for it."""
    await b.buyer_says("Where is my parcel?")
    conv = await b.thread()
    await b.store.database.run("UPDATE conversations SET assignee = ? WHERE id = ?", b.agent,
                               conv.id)
    now = time.time()
    await b.store.database.run("INSERT INTO responses (conversation_id, store_key, agent, "
                         "waited_from, responded_at) VALUES (?, ?, ?, ?, ?)",
                         conv.id, conv.store_key, b.agent, now - 200, now - 50)


async def test_digest_is_scheduled_daily_at_the_configured_local_time(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        job = digest_job(b.service.services, 9, 30, "Asia/Singapore")
        assert job.id == "daily_digest" and job.misfire_grace == 3600
        before = datetime(2025, 6, 1, 8, 0, tzinfo=SGT)
        assert job.trigger.get_next_fire_time(None, before) == datetime(2025, 6, 1, 9, 30,
                                                                        tzinfo=SGT)
        after = datetime(2025, 6, 1, 9, 31, tzinfo=SGT)
        assert job.trigger.get_next_fire_time(None, after) == datetime(2025, 6, 2, 9, 30,
                                                                       tzinfo=SGT)


async def test_the_job_posts_the_digest_in_the_ops_channel(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        await buyer_waits_and_gets_a_reply(b)
        await b.buyer_says("Still waiting", buyer="b-daniel")
        # The sandbox pushes asynchronously: the digest reads the database once the
        # second buyer's message is in it.
        await b.until(lambda: b.store.database.one(
            "SELECT 1 FROM conversations WHERE buyer_id = 'b-daniel'"))
        job = digest_job(b.service.services, 9, 0, "UTC")
        assert await job.run() is True  # what the scheduler runs at 09:00
        assert await job.run() is False  # once a day, however many workers
        ops = b.channels["cs-ops"]
        posted = await b.wait(lambda: next((m for m in b.slack.messages(ops)
                                            if "Daily checklist" in m["text"]), None))
        assert posted["text"].startswith("Daily checklist: 2 waiting, 2 unread, 0 failed sends")
        body = json.dumps(posted["blocks"], ensure_ascii=False)
        assert "📋 Daily checklist" in body and "⏳ Waiting and unread — 2 waiting" in body
        # The agent is named (users.info), not mentioned: nobody is pinged by the digest.
        assert "Mai: median *2 min 30 s*, p90 *2 min 30 s* (1 replies)" in body
        assert "<@" not in body


async def test_no_ops_channel_no_digest(tmp_path: Path) -> None:
    async with bridge(tmp_path, ops_channel=None) as b:
        assert await post_digest(b.service.services) is False
        assert (await b.store.database.one("SELECT COUNT(*) FROM slack_ops WHERE kind = "
                                    "'post_channel'"))[0] == 0


async def test_cs_stats_answers_privately_with_the_callers_figures(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        await buyer_waits_and_gets_a_reply(b)
        channel = b.channels["cs-shopee-sg"]
        before = len(b.slack.messages(channel))
        delivery = await b.slack.user_runs_command(b.agent, channel, "/cs", "stats")
        assert delivery.status == 200 and delivery.error is None
        answer = b.slack.ephemerals(b.agent)[-1]
        body = json.dumps(answer["blocks"], ensure_ascii=False)
        assert "Only you can see this" in body
        assert ("*You* (🟢 online): 1 open conversations assigned, 1 waiting for you; your "
                "first response in the last 24 h: median *2 min 30 s*, p90 *2 min 30 s* "
                "(1 replies); you closed no conversation.") in body
        assert "⏳ Waiting and unread — 1 waiting, 1 unread" in body
        # Mentions are fine in an ephemeral: it notifies nobody.
        assert f"<@{b.agent}>: median *2 min 30 s*" in body
        assert len(b.slack.messages(channel)) == before  # nothing posted for everyone
        # Someone else sees their own (empty) figures.
        await b.slack.user_runs_command(b.outsider, channel, "/cs", "stats")
        other = json.dumps(b.slack.ephemerals(b.outsider)[-1]["blocks"], ensure_ascii=False)
        assert "0 open conversations assigned" in other
        assert "you gave no first response in the last 24 h" in other
