"""Three ``storebridge run`` workers on one PostgreSQL behind a round-robin proxy.

A 300-message burst over 30 conversations in 6 stores, agent replies arriving on
all three workers, one worker SIGKILLed mid-burst: every buyer message is posted
once and in order, every reply is sent once and marked ✅, one card per
conversation. The survivors take the dead worker's leases when they expire.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.demo.marketplace import SandboxMarketplace
from bot.demo.slack_standin.slack_api import SlackEmulator
from bot.health_access import HEALTH_ENV
from tests import dbmode
from tests.harness import HEALTH_AUTH, HEALTH_TOKEN
from tests.worker_process import free_port, start_worker, worker_env

pytestmark = pytest.mark.skipif(not dbmode.postgres(),
                                reason="several workers need PostgreSQL (SQLite serves one)")

SITES = ("SG", "MY", "TH", "VN", "PH", "ID")
BUYERS = 5  # per store: 30 conversations
PER_CONVERSATION = 10  # buyer messages: 300 in all
REPLIES = 2  # agent replies per conversation: 60 in all
KILL_AFTER = 120  # buyer messages shown in Slack before one worker is killed
ROOT = Path(__file__).parents[1]


class RoundRobin:
    """A load balancer: each request to the next worker; a worker that refuses the
    connection is skipped (as nginx's ``proxy_next_upstream error`` does)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self._next = itertools.cycle(range(len(ports)))
        self.seen: dict[int, int] = {}
        self._http: aiohttp.ClientSession | None = None

    async def handle(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length", "transfer-encoding")}
        for _ in self.ports:
            port = self.ports[next(self._next)]
            try:
                async with self._http.request(
                        request.method, f"http://127.0.0.1:{port}{request.path_qs}",
                        data=body, headers=headers) as r:
                    self.seen[port] = self.seen.get(port, 0) + 1
                    return web.Response(status=r.status, body=await r.read(),
                                        content_type=r.content_type)
            except aiohttp.ClientConnectorError:
                continue  # never reached it: safe to try the next
            except (aiohttp.ClientError, TimeoutError):
                return web.Response(status=502)  # died mid-request: the sender retries
        return web.Response(status=502)

    async def start(self) -> tuple[web.AppRunner, str]:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


def write_config(path: Path, market: SandboxMarketplace, agent: str) -> None:
    stores = [{"platform": s.platform, "shop_id": s.shop_id, "site": s.site, "name": s.name,
               "channel": f"#cs-{s.shop_id}", "group": "team", "connector": "sandbox",
               "credentials": {"access_token": s.access_token}}
              for s in market.ledger.stores.values()]
    path.write_text(json.dumps({
        "groups": [{"name": "team", "members": [agent]}], "stores": stores,
        "sandbox": {"url": market.base_url, "app_key": market.app_key,
                    "app_secret": market.app_secret},
        "slack": {"post_rate_per_channel": 500, "post_burst": 100},
    }))


async def start_one(tmp_path: Path, slack: SlackEmulator, port: int, n: int
                    ) -> asyncio.subprocess.Process:
    env = worker_env(slack, tmp_path / "storebridge.yml", port,
                     **dbmode.env_for(str(tmp_path / "workers.db")), **{HEALTH_ENV: HEALTH_TOKEN})
    return await start_worker(env, tmp_path / f"worker{n}.log")


async def test_three_workers_one_killed_mid_burst(tmp_path: Path) -> None:
    started = time.monotonic()
    async with SlackEmulator(rate_limits=False) as slack, SandboxMarketplace() as market:
        market.push_retry_delays = (0.1, 0.3, 1.0)
        agent = slack.add_user("mai", real_name="Mai Tran")
        convs = []  # (shop, buyer, key)
        channels = {}
        for i, site in enumerate(SITES):
            shop = f"s{i}"
            market.add_store(shop, "shopee", site, f"Shop {site}", f"tok-{shop}", "en")
            channels[shop] = slack.add_channel(f"cs-{shop}")
            slack.join(channels[shop], agent)
            for j in range(BUYERS):
                market.add_buyer(shop, f"b{i}{j}", f"Buyer {i}{j}", "en")
                convs.append((shop, f"b{i}{j}", f"c{i}{j}"))
        write_config(tmp_path / "storebridge.yml", market, agent)
        ports = [free_port() for _ in range(3)]
        proxy = RoundRobin(ports)
        runner, base = await proxy.start()
        slack.configure_app(f"{base}/slack/events")
        market.set_webhook(f"{base}/webhooks/sandbox")
        procs = list(await asyncio.gather(*(start_one(tmp_path, slack, p, n)
                                            for n, p in enumerate(ports))))
        try:
            def texts_in(shop: str, key: str) -> list[str]:
                out = []
                for root in slack.messages(channels[shop]):
                    for m in slack.replies(channels[shop], root["ts"]):
                        if m["ts"] == root["ts"]:
                            continue  # the card, not a message
                        blob = json.dumps(m.get("blocks"))
                        out += [f"{key} m{k:02d}" for k in range(PER_CONVERSATION)
                                if f'"{key} m{k:02d}"' in blob]
                return out

            seen = Posts(slack)

            def posted() -> int:
                return seen.count()

            roots: dict[str, str] = {}

            async def buyers() -> None:
                for k in range(PER_CONVERSATION):
                    for shop, buyer, key in convs:
                        await market.buyer_says(shop, buyer, f"{key} m{k:02d}")
                    await asyncio.sleep(0.05)

            async def agents() -> list[tuple[str, str, str]]:
                out = []
                for r in range(REPLIES):
                    for shop, _, key in convs:
                        root = await slack.wait_for(lambda s=shop, k=key: _root(slack,
                                                    channels[s], k), timeout=30)
                        roots[key] = root
                        ts = await slack.user_posts(agent, channels[shop], f"{key} r{r}",
                                                    thread_ts=root)
                        out.append((shop, key, ts))
                        await asyncio.sleep(0.01)
                return out

            async def killer() -> None:
                await slack.wait_for(lambda: posted() >= KILL_AFTER, timeout=40)
                procs[1].send_signal(signal.SIGKILL)

            _, replies, _ = await asyncio.gather(buyers(), agents(), killer())
            assert await procs[1].wait() == -signal.SIGKILL
            # Slack retries what a worker could not answer (it died holding it).
            failed = [d for d in slack.deliveries if d.event_id and not d.ok]
            for d in failed:
                await slack.redeliver(d.event_id)
            # A reply whose event only arrives on Slack's retry is, in Slack's order, later
            # than the replies delivered meanwhile; every other reply keeps its order.
            retried = {key for _, _, key in convs for d in failed if f'"{key} r' in d.body}

            total = len(convs) * PER_CONVERSATION
            try:
                await slack.wait_for(lambda: posted() >= total or None, timeout=45)
            except TimeoutError:
                missing = {k: [t for t in (f"{k} m{n:02d}" for n in range(PER_CONVERSATION))
                               if t not in seen.texts] for _, _, k in convs}
                raise AssertionError(f"missing in Slack: {missing}; "
                                     f"{_tail(tmp_path)}") from None
            await slack.wait_for(lambda: all("white_check_mark" in
                                             slack.reactions(channels[s], ts)
                                             for s, _, ts in replies), timeout=45)
            await asyncio.sleep(1.0)  # anything doubled would show up by now
            for shop, buyer, key in convs:
                assert texts_in(shop, key) == [f"{key} m{k:02d}"
                                               for k in range(PER_CONVERSATION)], key
                conv_id = market.conversation_id(shop, buyer)
                sent = [m["content"]["text"] for m in market.sent_messages(shop, conv_id)]
                expected = [f"{key} r{r}" for r in range(REPLIES)]
                assert (sorted(sent) if key in retried else sent) == expected, key
            for shop in channels:  # one card per conversation, none doubled
                assert len(slack.messages(channels[shop])) == BUYERS
            assert len([p for p in proxy.seen if proxy.seen[p] > 10]) == 3
            assert time.monotonic() - started < 90

            # The survivors show themselves (and soon not the dead one) in /healthz.
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{ports[0]}/healthz",
                                    headers=HEALTH_AUTH) as r:
                    workers = (await r.json())["workers"]
            alive = {w["pid"] for w in workers if w["id"]}
            assert {procs[0].pid, procs[2].pid} <= alive
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.terminate()
            await asyncio.gather(*(p.wait() for p in procs))
            await runner.cleanup()
            await proxy.close()


class Posts:
    """Buyer messages posted to Slack so far, read incrementally (cheap to poll)."""

    def __init__(self, slack: SlackEmulator) -> None:
        self.slack = slack
        self.texts: list[str] = []
        self._at = 0

    def count(self) -> int:
        calls = self.slack.calls
        for call in calls[self._at:]:
            if call.method == "chat.postMessage" and call.ok and call.params.get("thread_ts"):
                text = str(call.params.get("text") or "")
                if ": c" in text:
                    self.texts.append(text.split(": ", 1)[1])
        self._at = len(calls)
        return len(self.texts)


def _tail(tmp_path: Path) -> str:
    out = []
    for log in sorted(tmp_path.glob("worker*.log")):
        lines = log.read_text().splitlines()
        out.append(f"--- {log.name}\n" + "\n".join(
            ln for ln in lines if "WARNING" in ln or "ERROR" in ln or "Error" in ln)[-3000:])
    return "\n".join(out)


def _root(slack: SlackEmulator, channel: str, key: str) -> str | None:
    for root in slack.messages(channel):
        if any(f'"{key} m00"' in json.dumps(m.get("blocks"))
               for m in slack.replies(channel, root["ts"]) if m["ts"] != root["ts"]):
            return str(root["ts"])
    return None
