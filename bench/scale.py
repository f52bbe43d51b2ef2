"""A seller's full size: the real service (``python -m bot run``) over a big database.

Seeds a database (SQLite file, or a fresh PostgreSQL database) with N stores,
conversations and messages in bulk (bot/store/seed.py), starts the Slack
stand-in and the sandbox marketplace in a child process of their own
(bench/stand_ins.py: their work must not stall the loop that measures), runs
the service as a subprocess against them (SLA, presence, order-alert, sweep jobs on), and drives
mixed load for ``--duration`` seconds: signed buyer pushes for stores of all
three platforms, agents' replies in the threads (relayed to the marketplace),
App Home opens. Then prints:

- push ack p50/p99/max per platform and how many missed the platform's deadline
  (Lazada 500 ms, Shopee 2 s, TikTok 3 s);
- App Home p50/p99 (app_home_opened sent -> views.publish received by Slack);
- the longest event-loop stall and each periodic job's tick cost (the service's
  own probe, GET /healthz/loop), RSS over time, start-up time to /healthz;
- the load generator's own longest event-loop lag (a 5 ms sleep's overshoot), to
  show the measuring side stayed quiet.

Pushes use the sandbox connector's signed format for every store (its platform
decides the deadline): the per-platform push parsers are covered by their tests.

    .venv/bin/python bench/scale.py [--stores 500 --conversations 100000 --messages 1000000]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--duration 60]

Targets (20 pushes/s + 10 Home opens/s + 5 replies/s): push ack p99 <= 100 ms and
none over 500 ms; App Home p99 <= 300 ms; no stall over 50 ms; start-up <= 2 s;
RSS <= 200 MB.
"""

# The driver blocks on purpose around the measured window (set-up, teardown).
# ruff: noqa: ASYNC220, ASYNC230, ASYNC240
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stand_ins import StandIns  # noqa: E402

from bot.demo.marketplace.state import conversation_id  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.seed import Size, seed  # noqa: E402
from connectors.sandbox.signing import push_signature  # noqa: E402
from tests.worker_process import free_port  # noqa: E402

SECRET = "scale-secret"
DEADLINES = {"lazada": 0.5, "shopee": 2.0, "tiktok": 3.0}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.acks: dict[str, list[float]] = defaultdict(list)
        self.home: list[float] = []
        self.lag = 0.0
        self.cpu = 0.0  # the load generator's CPU seconds over the load
        self.errors: list[str] = []
        self.seq = 0

    async def database(self) -> tuple[str, dict[str, str], Any]:
        if not self.args.database_url:
            path = str(Path(self.tmp) / "scale.db")
            return path, {"STOREBRIDGE_DB": path}, None
        name = f"sb_scale_{os.getpid()}"
        with psycopg.connect(self.args.database_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = self.args.database_url.rsplit("/", 1)[0] + f"/{name}"

        def drop() -> None:
            with psycopg.connect(self.args.database_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return url, {"DATABASE_URL": url}, drop

    async def run(self) -> None:
        with tempfile.TemporaryDirectory() as self.tmp:
            target, db_env, drop = await self.database()
            try:
                async with StandIns(app_secret=SECRET) as stand_ins:
                    await self.with_stand_ins(stand_ins, target, db_env)
            finally:
                if drop:
                    drop()

    async def with_stand_ins(self, slack: StandIns, target: str, db_env: dict[str, str]
                             ) -> None:
        a = self.args
        names = [f"cs-{i}" for i in range(a.channels)]
        ids, agents = await slack.setup_slack(
            [*names, "cs-ops"], [(f"agent{i}", f"Agent {i}") for i in range(60)], members=True)
        channels = {f"#{n}": ids[n] for n in names}
        t = time.perf_counter()
        store = await Store.open(target)
        now = time.time()
        size = Size(stores=a.stores, conversations=a.conversations, messages=a.messages,
                    channels=a.channels, reopened_events=a.conversations, orders=a.stores * 100)
        stores = await seed(store.database, size, now=now, agents=agents,
                            conversation_key=conversation_id, channel_ids=channels)
        await store.close()
        if a.save_seed and "DATABASE_URL" not in db_env:
            shutil.copy(target, a.save_seed)
        print(f"seeded {a.stores} stores, {a.conversations} conversations, {a.messages} "
              f"messages in {time.perf_counter() - t:.1f} s"
              + (f" ({os.path.getsize(target) / 2**20:.0f} MB)" if "DATABASE_URL" not in db_env
                 else ""))
        self.convs: list[tuple[int, Any, str, str]] = []  # (c, store, channel_id, thread_ts)
        await slack.add_stores((s.shop_id, s.platform, s.site, f"Store {s.shop_id}", "tok", "en")
                               for s in stores)
        buyers, roots = [], []
        for c in range(1, a.conversations + 1):
            s = stores[c % len(stores)]
            buyers.append((s.shop_id, f"b{c}", f"Buyer {c}", "en"))
            ch, ts = channels[s.channel], f"{1_700_000_000 + c}.000100"
            roots.append((ch, ts, f"card {c}"))
            if c % 4:  # open conversations take the load
                self.convs.append((c, s, ch, ts))
        await slack.add_buyers(buyers)
        await slack.add_thread_roots(roots)
        self.stores = stores
        config = {
            "team_language": "en", "ops_channel": "#cs-ops", "presence_idle": True,
            "groups": [{"name": "team", "members": agents}],
            "sandbox": {"url": slack.market_url, "app_key": slack.app_key,
                        "app_secret": SECRET},
            "translation": {"provider": "none"},
            "sla": {"first_response_minutes": 5, "reminder_minutes": 10,
                    "escalation_minutes": 30},
            "stores": [{"platform": s.platform, "shop_id": s.shop_id, "site": s.site,
                        "name": f"Store {s.shop_id}", "channel": s.channel, "group": "team",
                        "connector": "sandbox", "credentials": {"access_token": "tok"}}
                       for s in stores]}
        cfg = Path(self.tmp) / "storebridge.yml"
        cfg.write_text(json.dumps(config))  # JSON is YAML
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, **db_env, "STOREBRIDGE_CONFIG": str(cfg), "PORT": str(port),
               "HOST": "127.0.0.1", "SLACK_BOT_TOKEN": slack.bot_token,
               "SLACK_SIGNING_SECRET": slack.signing_secret, "SLACK_API_URL": slack.api_url}
        log = open(Path(self.tmp) / "service.log", "w")  # noqa: SIM115 - closed below
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            async with aiohttp.ClientSession() as http:
                self.http, self.base = http, base
                startup = await self.wait_healthy(proc)
                print(f"start-up to /healthz: {startup - started:.2f} s; "
                      f"RSS {rss_mb(proc.pid):.0f} MB")
                await slack.configure_app(f"{base}/slack/events")
                await self.load(slack, agents, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:  # never leave a service running behind us
                print("the service did not exit within 20 s of SIGTERM: killed")
                proc.kill()
                proc.wait()
            log.close()
            text = (Path(self.tmp) / "service.log").read_text()
            if self.args.keep_log:
                Path(self.args.keep_log).write_text(text)
            tail = text.splitlines()
            problems = [ln for ln in tail if " ERROR " in ln or "Traceback" in ln]
            print(f"service log: {len(tail)} lines, {len(problems)} errors")
            for ln in problems[:5]:
                print("   ", ln[:200])

    async def wait_healthy(self, proc: subprocess.Popen[bytes]) -> float:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("the service exited during start-up")
            try:
                async with self.http.get(f"{self.base}/healthz") as r:
                    if r.status == 200:
                        return time.perf_counter()
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.02)

    async def push(self, fresh: bool) -> None:
        self.seq += 1
        if fresh:  # a new buyer: a new conversation
            s = random.choice(self.stores)
            buyer = f"n{self.seq}"
        else:
            c, s, _, _ = random.choice(self.convs)
            buyer = f"b{c}"
        body = json.dumps({"event": "message", "shop_id": s.shop_id, "message": {
            "message_id": f"load-{self.seq}", "conversation_id": conversation_id(s.shop_id, buyer),
            "buyer": {"id": buyer, "name": f"Buyer {buyer}", "avatar_url": None},
            "from_seller": False, "type": "text", "content": {"text": f"message {self.seq}"},
            "created_at": int(time.time()), "language": "en"}}).encode()
        ts = str(int(time.time()))
        headers = {"X-Sandbox-Timestamp": ts, "Content-Type": "application/json",
                   "X-Sandbox-Signature": push_signature(SECRET, ts, body)}
        t = time.perf_counter()
        async with self.http.post(f"{self.base}/webhooks/sandbox", data=body,
                                  headers=headers) as r:
            await r.read()
            if r.status != 200:
                self.errors.append(f"push {r.status}")
        self.acks[s.platform].append(time.perf_counter() - t)

    async def reply(self, slack: StandIns, agent: str) -> None:
        _, _, ch, ts = random.choice(self.convs)
        await slack.user_posts(agent, ch, f"Reply {self.seq}: it ships today", thread_ts=ts)

    async def watch_lag(self) -> None:
        """The load generator's own loop: how late a 5 ms sleep wakes up (its worst is
        about the most this side can have added to one measured latency)."""
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            self.lag = max(self.lag, time.perf_counter() - t - 0.005)

    async def stream(self, rate: float, seconds: float, make: Any) -> None:
        start = time.perf_counter()
        tasks = []
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(make(i)))
        await asyncio.gather(*tasks, return_exceptions=False)

    async def loop_stats(self, reset: bool = False) -> dict[str, Any]:
        async with self.http.get(f"{self.base}/healthz/loop{'?reset=1' if reset else ''}") as r:
            return dict(await r.json())

    async def load(self, slack: StandIns, agents: list[str],
                   proc: subprocess.Popen[bytes]) -> None:
        a = self.args
        await self.stream(5, 3, lambda i: self.push(False))  # warm-up
        await asyncio.sleep(2)
        self.acks.clear()
        await self.loop_stats(reset=True)
        watcher = asyncio.create_task(self.watch_lag())
        cpu = time.process_time()
        rss: list[float] = []

        async def sample() -> None:
            while True:
                rss.append(rss_mb(proc.pid))
                await asyncio.sleep(a.rss_every)

        sampler = asyncio.create_task(sample())
        sent_before = await slack.sent_count()
        await asyncio.gather(
            self.stream(a.push_rate, a.duration, lambda i: self.push(i % 10 == 0)),
            self.stream(a.home_rate, a.duration,
                        lambda i: slack.user_opens_home(agents[i % len(agents)])),
            self.stream(a.reply_rate, a.duration,
                        lambda i: self.reply(slack, agents[i % len(agents)])))
        watcher.cancel()
        self.cpu = time.process_time() - cpu
        await asyncio.sleep(3)  # let the last Home views and replies land
        sampler.cancel()
        self.home = await slack.home_latencies()
        stats = await self.loop_stats()
        rss.append(rss_mb(proc.pid))
        sent = await slack.sent_count() - sent_before
        self.report(stats, rss, sent)

    def report(self, stats: dict[str, Any], rss: list[float], sent: int) -> None:
        a = self.args
        print(f"\nload: {a.push_rate:g} pushes/s + {a.home_rate:g} App Home opens/s + "
              f"{a.reply_rate:g} replies/s for {a.duration:g} s")
        print("| platform | pushes | ack p50 | ack p99 | ack max | over deadline |")
        print("|---|---|---|---|---|---|")
        for platform, limit in DEADLINES.items():
            v = self.acks.get(platform, [])
            over = sum(1 for x in v if x > limit)
            print(f"| {platform} | {len(v)} | {pct(v, 50) * 1000:.1f} ms | "
                  f"{pct(v, 99) * 1000:.1f} ms | {max(v, default=0) * 1000:.1f} ms | "
                  f"{over} (> {limit * 1000:.0f} ms) |")
        every = [x for v in self.acks.values() for x in v]
        print(f"all pushes: p99 {pct(every, 99) * 1000:.1f} ms, over 500 ms: "
              f"{sum(1 for x in every if x > 0.5)}")
        opened = int(a.home_rate * a.duration)
        print(f"App Home: {len(self.home)} of {opened} published, p50 "
              f"{pct(self.home, 50) * 1000:.0f} ms, p99 {pct(self.home, 99) * 1000:.0f} ms")
        print(f"replies relayed to the marketplace: {sent} of {int(a.reply_rate * a.duration)}")
        print(f"longest event-loop stall: {stats['max_stall_ms']} ms; stalls over "
              f"{stats['stalls_over_ms']}")
        # A lag with little CPU of our own is the machine's scheduling, not our work.
        print(f"load generator's longest event-loop lag: {self.lag * 1000:.1f} ms "
              f"(5 ms sleep loop), its CPU {self.cpu / a.duration:.0%} of one core "
              "(the stand-ins run in a process of their own)")
        print("job tick cost: " + ", ".join(
            f"{k} {v['runs']}x mean {v['mean_ms']} ms max {v['max_ms']} ms"
            for k, v in sorted(stats["jobs"].items())))
        print(f"RSS MB every {a.rss_every:g} s: {', '.join(f'{x:.0f}' for x in rss)} "
              f"(peak {stats['peak_rss_mb']})")
        if self.errors:
            print(f"errors: {len(self.errors)} e.g. {self.errors[:3]}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--stores", type=int, default=500)
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--messages", type=int, default=1_000_000)
    p.add_argument("--channels", type=int, default=40)
    p.add_argument("--database-url", help="PostgreSQL server (a fresh database is made)")
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--push-rate", type=float, default=20)
    p.add_argument("--home-rate", type=float, default=10)
    p.add_argument("--reply-rate", type=float, default=5)
    p.add_argument("--rss-every", type=float, default=15)
    p.add_argument("--keep-log", help="copy the service's log here")
    p.add_argument("--save-seed", help="SQLite: keep a copy of the seeded file here")
    asyncio.run(Bench(p.parse_args()).run())


if __name__ == "__main__":
    main()
