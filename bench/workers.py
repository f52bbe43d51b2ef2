"""Workers benchmark: inbound throughput of 1, 2 and 3 ``storebridge run`` processes
on one PostgreSQL, against the Slack emulator with its rate limits off.

Pushes N signed buyer messages spread over C conversations in S stores (each store
its own channel: a channel's Slack queue is run by one worker at a time, so the
work spreads over workers by channel), round-robin over the workers, and measures
from the first push to the last chat.postMessage seen by Slack.

    .venv/bin/python bench/workers.py --database-url postgresql://… [--messages 3000]

Target: 3 workers >= 2x one worker. The emulator runs in a process of its own
(bench/stand_ins.py) and the pushers in this one: on a small machine they share
the cores with the workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pg_scratch import scratch_schema  # noqa: E402
from stand_ins import StandIns  # noqa: E402

from connectors.sandbox.signing import push_signature  # noqa: E402
from tests.worker_process import free_port, start_worker, worker_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SENDERS = 24  # concurrent pushers; each owns some conversations (their order holds)


def push(shop: str, conversation: int, seq: int) -> bytes:
    return json.dumps({"event": "message", "shop_id": shop, "message": {
        "message_id": f"{shop}-m{seq}", "conversation_id": f"{shop}-c{conversation}",
        "buyer": {"id": f"{shop}-b{conversation}", "name": f"Buyer {conversation}",
                  "avatar_url": None},
        "from_seller": False, "type": "text", "content": {"text": f"message {seq}"},
        "created_at": int(time.time()), "language": "en"}}).encode()


async def send_push(http: aiohttp.ClientSession, url: str, secret: str, body: bytes) -> None:
    ts = str(int(time.time()))
    headers = {"X-Sandbox-Timestamp": ts, "X-Sandbox-Signature":
               push_signature(secret, ts, body), "Content-Type": "application/json"}
    for _ in range(20):
        async with http.post(url, data=body, headers=headers) as resp:
            if resp.status == 200:
                return
            await asyncio.sleep(0.05)  # 503: busy, push again (as platforms do)
    raise RuntimeError(f"push refused: {resp.status}")


async def start_one(tmp: Path, slack: StandIns, url: str, port: int
                    ) -> asyncio.subprocess.Process:
    env = worker_env(slack, tmp / "storebridge.yml", port, DATABASE_URL=url)
    return await start_worker(env, tmp / f"worker{port}.log", timeout=30)


async def run(workers: int, database_url: str, n: int, stores: int,
              conversations: int) -> float:
    """Messages per second through ``workers`` processes."""
    with tempfile.TemporaryDirectory() as tmp_name, scratch_schema(database_url) as url:
        tmp = Path(tmp_name)
        async with StandIns() as slack:
            shops = [f"w{i}" for i in range(stores)]
            await slack.add_stores((shop, "shopee", "SG", f"Bench {shop}", f"tok-{shop}", "en")
                                   for shop in shops)
            await slack.setup_slack([f"cs-{shop}" for shop in shops])
            (tmp / "storebridge.yml").write_text(json.dumps({
                "groups": [{"name": "team", "members": []}],
                "stores": [{"platform": "shopee", "shop_id": s, "site": "SG",
                            "name": f"Bench {s}", "channel": f"#cs-{s}", "group": "team",
                            "connector": "sandbox", "credentials": {"access_token": f"tok-{s}"}}
                           for s in shops],
                "sandbox": {"url": slack.market_url, "app_key": slack.app_key,
                            "app_secret": slack.app_secret},
                "slack": {"post_rate_per_channel": 1000000, "post_burst": 1000000}}))
            ports = [free_port() for _ in range(workers)]
            procs = [await start_one(tmp, slack, url, p) for p in ports]
            urls = [f"http://127.0.0.1:{p}/webhooks/sandbox" for p in ports]
            per_store = conversations // stores
            convs = [(s, c) for s in shops for c in range(per_store)]
            try:
                async with aiohttp.ClientSession() as http:
                    async def sender(k: int, msgs: list[tuple[str, int, int]]) -> None:
                        for i, (shop, conv, seq) in enumerate(msgs):
                            await send_push(http, urls[(k + i) % len(urls)],
                                            slack.app_secret, push(shop, conv, seq))

                    def plan(first: int, count: int) -> list[list[tuple[str, int, int]]]:
                        lanes: list[list[tuple[str, int, int]]] = [[] for _ in range(SENDERS)]
                        for i in range(count):
                            shop, conv = convs[i % len(convs)]
                            lanes[(i % len(convs)) % SENDERS].append((shop, conv, first + i))
                        return lanes

                    # Warm-up: every conversation's thread exists before timing starts.
                    await asyncio.gather(*(sender(k, lane)
                                           for k, lane in enumerate(plan(0, len(convs)))))
                    base = (await slack.wait_posts(len(convs), timeout=120))["count"]
                    start = time.perf_counter()
                    await asyncio.gather(*(sender(k, lane) for k, lane in
                                           enumerate(plan(len(convs), n))))
                    await slack.wait_posts(base + n, timeout=600)
                    return n / (time.perf_counter() - start)
            finally:
                for proc in procs:
                    proc.terminate()
                await asyncio.gather(*(p.wait() for p in procs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--database-url", required=True, help="postgresql://… (a fresh schema "
                                                          "per run is made and dropped)")
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--stores", type=int, default=12)
    ap.add_argument("--conversations", type=int, default=60)
    args = ap.parse_args()
    rates = {}
    for workers in (1, 2, 3):
        rates[workers] = asyncio.run(run(workers, args.database_url, args.messages,
                                         args.stores, args.conversations))
        print(f"{workers} worker(s):  {rates[workers]:8.1f} msg/s   "
              f"speed-up {rates[workers] / rates[1]:.2f}x", flush=True)
    print(f"cores: {os.cpu_count()}   target: 3 workers >= 2.00x one worker")


if __name__ == "__main__":
    main()
