"""Slack's limits are respected, and outages and crashes lose and double nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from bot.http import build_web_app
from bot.service import Service
from tests.harness import HEALTH_AUTH, running_bridge, serve


def texts(b, conv) -> list[str]:  # noqa: ANN001
    return [m["blocks"][-1]["text"]["text"] for m in b.replies(conv)]


async def test_pacing_keeps_under_the_channel_limit(tmp_path: Path) -> None:
    slack = {"rate_limits": True, "post_rate_per_sec": 8.0, "post_burst": 3}
    async with running_bridge(tmp_path, slack_kwargs=slack) as b:
        b.service.outbox.post_rate, b.service.outbox.post_burst = 6.0, 2
        b.service.outbox._buckets.clear()
        for i in range(12):
            await b.buyer_says(f"m{i}")
        conv = await b.thread()
        await b.wait(lambda: len(b.replies(conv)) == 12, timeout=10)
        limited = [c for c in b.slack.calls_to("chat.postMessage") if c.status == 429]
        assert limited == []
        assert texts(b, conv) == [f"m{i}" for i in range(12)]


async def test_retry_after_is_honoured_and_order_kept(tmp_path: Path) -> None:
    # StoreBridge believes it may post fast; Slack disagrees and says Retry-After.
    slack = {"rate_limits": True, "post_rate_per_sec": 4.0, "post_burst": 2}
    async with running_bridge(tmp_path, slack_kwargs=slack) as b:
        for i in range(8):
            await b.buyer_says(f"m{i}")
        conv = await b.thread()
        await b.wait(lambda: len(b.replies(conv)) == 8, timeout=15)
        posts = b.slack.calls_to("chat.postMessage")
        limited = [c for c in posts if c.status == 429]
        assert limited, "the emulator should have limited this burst"
        # After a 429 nothing is sent to that channel before Retry-After has passed.
        for c in limited:
            nxt = next(p for p in posts if p.time > c.time)
            assert nxt.time - c.time >= 0.9
        assert texts(b, conv) == [f"m{i}" for i in range(8)]


async def test_slack_outage_waits_then_catches_up_in_order(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("before the outage")
        conv = await b.thread()
        await b.wait(lambda: len(b.replies(conv)) == 1)
        await b.slack.go_down()
        for i in range(4):
            await b.buyer_says(f"during {i}")
        await b.wait(lambda: b.service.outbox.reachable is False)

        # The sandbox pushes asynchronously: the four messages reach the database a
        # moment after buyer_says returns. Health shows them waiting once they have.
        async def waiting_in_health() -> dict[str, Any] | None:
            async with aiohttp.ClientSession() as http, \
                    http.get(f"{b.base_url}/healthz", headers=HEALTH_AUTH) as resp:
                health = await resp.json()
            # A database slower than /healthz's 80 ms bound gets the short answer, with
            # no outbox detail: not yet, rather than a KeyError that fails the test.
            outbox = health["slack"].get("outbox") or {}
            return health if outbox.get("pending", 0) >= 4 else None
        health = await b.wait(waiting_in_health)
        assert health["slack"]["state"] == "unreachable"
        await b.slack.come_back()
        await b.wait(lambda: len(b.replies(conv)) == 5, timeout=20)
        assert texts(b, conv) == ["before the outage"] + [f"during {i}" for i in range(4)]


async def test_interrupted_post_is_found_not_repeated(tmp_path: Path) -> None:
    """The process died after Slack accepted a post but before the ts was saved."""
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("first")
        conv = await b.thread()
        await b.wait(lambda: len(b.replies(conv)) == 1)
        await b.service.outbox.stop()  # no more Slack work from this process
        await b.buyer_says("second")
        await b.market.drain()
        op = (await b.store.ops.next_for("#cs-shopee-sg"))[0]
        while op.kind != "post_message":
            await b.store.ops.finish(op.id)
            op = (await b.store.ops.next_for("#cs-shopee-sg"))[0]
        await b.store.ops.start(op.id)
        await b.service.slack.chat_postMessage(
            channel=conv.channel_id, thread_ts=conv.thread_ts, text="second",
            blocks=[{"type": "section", "text": {"type": "plain_text", "text": "second"}}],
            metadata={"event_type": "storebridge_post", "event_payload": {"op": op.id}})
        # A new process over the same database.
        again = Service(b.service.settings, repair_on_start=False)
        runner, _ = await serve(build_web_app(again))
        try:
            await b.until(lambda: again.store.conversations.message(op.message_id),
                          lambda m: m.slack_ts)
            await again.outbox.idle()
            assert texts(b, conv) == ["first", "second"]
        finally:
            await runner.cleanup()


async def test_healthz_reports_database_slack_and_stores(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("hi")
        await b.thread()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{b.base_url}/healthz", headers=HEALTH_AUTH) as resp:
                assert resp.status == 200
                health = await resp.json()
        assert health["database"] == "ok" and health["slack"]["state"] == "ok"
        assert set(health["stores"]) == {"shopee:sg-1", "lazada:my-1"}
        json.dumps(health)  # serialisable as is
