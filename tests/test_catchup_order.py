"""Restart while buyers write, on all three platforms: after the restart every message
appears once, in the buyer's order, within seconds, even while live pushes keep
arriving during the start-up catch-up. The service runs as a subprocess against the
Shopee, Lazada and TikTok emulators (tests/test_crash_recovery.py does the same with
the sandbox)."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.demo.slack_standin.slack_api import SlackEmulator
from tests.dbmode import env_for
from tests.emulators import lazada, shopee, tiktok
from tests.harness import TEST_SECRET_KEY
from tests.latency_proxy import LatencyProxy
from tests.test_platform_e2e import env_for as platform_env
from tests.worker_process import free_port, start_worker, worker_env

PLATFORMS = ("shopee", "lazada", "tiktok")
CONVERSATIONS = ("c1", "c2")
DOWN = 4  # messages per conversation written while the service is down
LIVE = 4  # pushed per conversation right after the restart


URL_KEYS = {"shopee": "SHOPEE_API_URL", "lazada": "LAZADA_API_URL", "tiktok": "TIKTOK_API_URL"}
LATENCY = 0.15  # seconds per marketplace call, as from a seller's region


def write_config(path: Path, harnesses: dict[str, Any], agent: str,
                 urls: dict[str, str]) -> None:
    stores = []
    for name, h in harnesses.items():
        stores.append({
            "platform": name, "shop_id": str(h.store.shop_id), "site": h.store.site,
            "name": f"{name} shop", "channel": f"#cs-{name}", "group": "team",
            "connector": name, "api_url": urls[name],
            **({"seller_id": str(h.store.shop_id)} if name == "lazada" else {}),
            "credentials": dict(h.store.credentials)})
    path.write_text(json.dumps({
        "groups": [{"name": "team", "members": [agent]}], "stores": stores,
        "translation": {"provider": "none"},
        "slack": {"post_rate_per_channel": 200, "post_burst": 50}}))  # JSON is YAML


async def start(tmp_path: Path, slack: SlackEmulator, port: int,
                harnesses: dict[str, Any], urls: dict[str, str]) -> asyncio.subprocess.Process:
    env = worker_env(slack, tmp_path / "storebridge.yml", port,
                     **env_for(str(tmp_path / "order.db")),
                     STOREBRIDGE_PUBLIC_URL="https://storebridge.test",
                     STOREBRIDGE_SECRET_KEY=TEST_SECRET_KEY)  # tokens are stored encrypted
    for name, h in harnesses.items():
        env.update(platform_env(name, h), **{URL_KEYS[name]: urls[name]})
    return await start_worker(env, tmp_path / "service.log", timeout=20, up=(200, 503))


def buyer_texts(slack: SlackEmulator, channel: str) -> dict[str, list[str]]:
    """Per thread (keyed by its root's buyer name), the buyer texts in posting order."""
    out: dict[str, list[str]] = {}
    for root in slack.messages(channel):
        texts = []
        for m in slack.replies(channel, root["ts"]):
            for block in m.get("blocks") or []:
                text = (block.get("text") or {}).get("text", "")
                if text.startswith(("c1 ", "c2 ")):
                    texts.append(text)
        key = texts[0].split()[0] if texts else root["ts"]
        out[key] = texts
    return out


async def wait(check: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_restart_catches_up_in_the_buyers_order_on_every_platform(
        tmp_path: Path) -> None:
    async with (aiohttp.ClientSession() as session, SlackEmulator(rate_limits=False) as slack,
                shopee.harness(session) as sp, lazada.harness(session) as lz,
                tiktok.harness(session) as tt, AsyncExitStack() as stack):
        harnesses: dict[str, Any] = {"shopee": sp, "lazada": lz, "tiktok": tt}
        urls: dict[str, str] = {}
        for name, h in harnesses.items():
            url = urlsplit(platform_env(name, h)[URL_KEYS[name]])
            proxy = await stack.enter_async_context(
                LatencyProxy(f"{url.scheme}://{url.netloc}", LATENCY))
            urls[name] = proxy.url + url.path
        agent = slack.add_user("mai", real_name="Mai Tran")
        channels = {}
        for name in PLATFORMS:
            channels[name] = slack.add_channel(f"cs-{name}")
            slack.join(channels[name], agent)
        write_config(tmp_path / "storebridge.yml", harnesses, agent, urls)
        port = free_port()
        slack.configure_app(f"http://127.0.0.1:{port}/slack/events")
        base = f"http://127.0.0.1:{port}"
        # Waiting before the store is ever connected: the first connection backfills it.
        for h in harnesses.values():
            await h.buyer_says("c1", "c1 first")
        proc = await start(tmp_path, slack, port, harnesses, urls)
        try:
            for name in PLATFORMS:
                await wait(lambda n=name: buyer_texts(slack, channels[n]).get("c1")
                           == ["c1 first"], 15, f"{name} backfill on first connection")

            async def push(name: str, conv: str, text: str) -> None:
                headers, body, _ = harnesses[name].signed_push(text, conv)
                for _ in range(20):  # the platforms redeliver a push answered 5xx
                    async with http.post(f"{base}/webhooks/{name}", data=body,
                                         headers=headers) as r:
                        if r.status < 500:
                            assert r.status == 200, (name, r.status, await r.text())
                            return
                    await asyncio.sleep(0.2)
                raise AssertionError(f"{name} push never accepted")

            async with aiohttp.ClientSession() as http:
                for name in PLATFORMS:
                    await push(name, "c2", "c2 first")
                for name in PLATFORMS:
                    await wait(lambda n=name: buyer_texts(slack, channels[n]).get("c2")
                               == ["c2 first"], 10, f"{name} live push")
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
                # Down: the buyers keep writing (the platforms' pushes fail meanwhile).
                for i in range(DOWN):
                    for h in harnesses.values():
                        for conv in CONVERSATIONS:
                            await h.buyer_says(conv, f"{conv} down {i}")
                await asyncio.sleep(1.1)  # live messages carry a later platform second
                proc = await start(tmp_path, slack, port, harnesses, urls)
                restarted = time.monotonic()
                for i in range(LIVE):  # straight away, while the catch-up runs
                    await asyncio.gather(*(push(name, conv, f"{conv} live {i}")
                                           for name in PLATFORMS for conv in CONVERSATIONS))
            expected = {conv: [f"{conv} first"] + [f"{conv} down {i}" for i in range(DOWN)]
                        + [f"{conv} live {i}" for i in range(LIVE)] for conv in CONVERSATIONS}
            for name in PLATFORMS:
                def complete(n: str = name) -> bool:
                    shown = buyer_texts(slack, channels[n])
                    return all(len(shown.get(c, [])) >= len(expected[c]) for c in CONVERSATIONS)
                await wait(complete, 20, f"{name} catch-up: {buyer_texts(slack, channels[name])}")
            assert time.monotonic() - restarted < 15  # within seconds, not the next sweep
            await asyncio.sleep(0.5)  # a double would show by now
            for name in PLATFORMS:
                assert buyer_texts(slack, channels[name]) == expected, name
                assert len(slack.messages(channels[name])) == len(CONVERSATIONS)
        finally:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()
