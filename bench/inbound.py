"""Inbound benchmark: how much StoreBridge adds on top of posting to Slack.

Pushes N signed buyer messages through the running service (webhook → SQLite →
Slack outbox → chat.postMessage) against the Slack emulator with its rate
limits off (in a process of its own, bench/stand_ins.py, so its work does not
share the service's loop), and in the same run sends the same N posts with a bare slack_sdk
AsyncWebClient loop to the same emulator. Then pushes at a steady 50 msg/s and
measures the added latency from "push sent to the webhook" to "chat.postMessage
received by Slack" (an upper bound on the time inside StoreBridge).

    .venv/bin/python bench/inbound.py [--messages 2000] [--conversations 50]
        [--database-url postgresql://…]   (a fresh schema in it; SQLite file otherwise)

Targets: throughput ratio >= 0.5; p99 added latency <= 25 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stand_ins import StandIns  # noqa: E402

from bot.config import GroupConfig, SandboxConfig, Settings, SlackConfig, StoreConfig  # noqa: E402
from bot.http import build_web_app  # noqa: E402
from bot.service import Service  # noqa: E402
from connectors.sandbox.signing import push_signature  # noqa: E402

APP_SECRET = "bench-secret"
SHOP = "bench-sg"


def push(seq: int, conversations: int) -> bytes:
    buyer = seq % conversations
    return json.dumps({"event": "message", "shop_id": SHOP, "message": {
        "message_id": f"m{seq}", "conversation_id": f"c{buyer}",
        "buyer": {"id": f"b{buyer}", "name": f"Buyer {buyer}", "avatar_url": None},
        "from_seller": False, "type": "text", "content": {"text": f"message {seq}"},
        "created_at": int(time.time()), "language": "en"}}).encode()


async def send_push(http: aiohttp.ClientSession, url: str, body: bytes) -> None:
    ts = str(int(time.time()))
    headers = {"X-Sandbox-Timestamp": ts, "X-Sandbox-Signature":
               push_signature(APP_SECRET, ts, body), "Content-Type": "application/json"}
    async with http.post(url, data=body, headers=headers) as resp:
        if resp.status != 200:
            raise RuntimeError(f"push refused: {resp.status} {await resp.text()}")


async def run(n: int, conversations: int, latency_n: int,
              database_url: str | None = None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with StandIns() as slack:
            channel = (await slack.setup_slack(["cs-bench"]))[0]["cs-bench"]
            settings = Settings(
                groups=(GroupConfig("team"),),
                stores=(StoreConfig(platform="shopee", shop_id=SHOP, site="SG", name="Bench",
                                    channel="#cs-bench", connector="sandbox"),),
                # The emulator's limits are off, so ours are too: this measures our cost.
                slack=SlackConfig(bot_token=slack.bot_token, signing_secret="x",
                                  api_url=slack.api_url, post_rate_per_channel=1e6,
                                  post_burst=10**6),
                sandbox=SandboxConfig(url="http://127.0.0.1:9", app_secret=APP_SECRET),
                db_path=str(Path(tmp) / "bench.db"), database_url=database_url,
                source="<bench>")
            service = Service(settings, repair_on_start=False)
            runner = web.AppRunner(build_web_app(service), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            url = f"http://127.0.0.1:{port}/webhooks/sandbox"
            try:
                async with aiohttp.ClientSession() as http:
                    # Warm-up: conversations' threads exist before timing starts.
                    for i in range(conversations):
                        await send_push(http, url, push(-1 - i, conversations))
                    base = (await slack.wait_posts(conversations, timeout=60))["count"]

                    statements = count_statements(service)
                    start = time.perf_counter()
                    for i in range(n):
                        await send_push(http, url, push(i, conversations))
                    seen = await slack.wait_posts(base + n, timeout=600)
                    bridge_rate = n / (time.perf_counter() - start)
                    per_message = statements() / n

                    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
                    thread = seen["first_thread_ts"]
                    start = time.perf_counter()
                    for i in range(n):
                        await client.chat_postMessage(channel=channel, thread_ts=thread,
                                                      text=f"message {i}")
                    bare_rate = n / (time.perf_counter() - start)
                    await client.session.close() if client.session else None

                    latencies = await steady(slack, http, url, conversations, latency_n)
            finally:
                await runner.cleanup()
    latencies.sort()
    return {"messages": n, "bridge_msgs_per_s": bridge_rate, "bare_msgs_per_s": bare_rate,
            "ratio": bridge_rate / bare_rate, "statements": per_message,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000}


def count_statements(service: Service) -> Callable[[], int]:
    """Counts the database statements the service runs from now on (a figure the
    machine's load does not change, unlike the rates)."""
    db = service.store.database
    original = db._execute
    seen = [0]

    async def counted(sql: str, args: tuple[Any, ...], *, fetch: str) -> Any:
        seen[0] += 1
        return await original(sql, args, fetch=fetch)
    db._execute = counted  # type: ignore[method-assign]
    return lambda: seen[0]


async def steady(slack: StandIns, http: aiohttp.ClientSession, url: str,
                 conversations: int, count: int) -> list[float]:
    """Push at 50 msg/s; added latency = Slack saw the post - we sent the push (both
    time.monotonic(), read in two processes: CLOCK_MONOTONIC is one clock system-wide)."""
    sent_at: dict[str, float] = {}
    first = 10**6
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    for i in range(count):
        await asyncio.sleep(max(0.0, t0 + i * 0.02 - loop.time()))
        seq = first + i
        sent_at[f"message {seq}"] = time.monotonic()
        await send_push(http, url, push(seq, conversations))
    seen = (await slack.wait_posts(texts=list(sent_at), timeout=60))["times"]
    return [seen[k] - v for k, v in sent_at.items()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--conversations", type=int, default=50)
    ap.add_argument("--latency-messages", type=int, default=500)
    ap.add_argument("--database-url", help="PostgreSQL (postgresql://…): the run uses a "
                                           "fresh schema in it, dropped afterwards")
    args = ap.parse_args()
    if args.database_url:
        from pg_scratch import scratch_schema

        with scratch_schema(args.database_url) as url:
            r = asyncio.run(run(args.messages, args.conversations, args.latency_messages, url))
    else:
        r = asyncio.run(run(args.messages, args.conversations, args.latency_messages))
    print(f"database:                    {'PostgreSQL' if args.database_url else 'SQLite'}")
    print(f"messages:                    {r['messages']}")
    print(f"StoreBridge (push → Slack):  {r['bridge_msgs_per_s']:8.1f} msg/s")
    print(f"bare AsyncWebClient loop:    {r['bare_msgs_per_s']:8.1f} msg/s")
    print(f"ratio:                       {r['ratio']:8.2f}   (target >= 0.5)")
    print(f"statements per message:      {r['statements']:8.1f}   (push path and Slack side)")
    print(f"added latency at 50 msg/s:   p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms"
          f"   (target p99 <= 25 ms)")


if __name__ == "__main__":
    main()
