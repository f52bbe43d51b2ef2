"""SIGKILL in the middle of a burst: after a restart, everything exactly once, in order."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

from bot.demo.marketplace import SandboxMarketplace
from bot.demo.slack_standin.slack_api import SlackEmulator
from tests.dbmode import env_for
from tests.harness import BUYER, SHOP, seed
from tests.worker_process import free_port, start_worker, worker_env

BUYER_MESSAGES = 40
REPLIES = 12


def write_config(path: Path, market: SandboxMarketplace, agent: str) -> None:
    stores = [{"platform": s.platform, "shop_id": s.shop_id, "site": s.site, "name": s.name,
               "channel": f"#cs-{s.platform}-{s.site.lower()}", "group": "team",
               "connector": "sandbox", "credentials": {"access_token": s.access_token}}
              for s in market.ledger.stores.values()]
    path.write_text(json.dumps({
        "groups": [{"name": "team", "members": [agent]}], "stores": stores,
        "sandbox": {"url": market.base_url, "app_key": market.app_key,
                    "app_secret": market.app_secret},
        "slack": {"post_rate_per_channel": 200, "post_burst": 50},
    }))  # JSON is YAML


async def start_service(tmp_path: Path, slack: SlackEmulator, port: int
                        ) -> asyncio.subprocess.Process:
    env = worker_env(slack, tmp_path / "storebridge.yml", port,
                     **env_for(str(tmp_path / "crash.db")))
    return await start_worker(env, tmp_path / "service.log", timeout=10)


async def test_sigkill_mid_burst_loses_and_doubles_nothing(tmp_path: Path) -> None:
    async with SlackEmulator(rate_limits=False) as slack, SandboxMarketplace() as market:
        seed(market)
        market.push_retry_delays = (0.1, 0.2)  # then it is left to the repair pull
        agent = slack.add_user("mai", real_name="Mai Tran")
        channel = slack.add_channel("cs-shopee-sg")
        slack.join(channel, agent)
        slack.join(slack.add_channel("cs-lazada-my"), agent)
        write_config(tmp_path / "storebridge.yml", market, agent)
        port = free_port()
        slack.configure_app(f"http://127.0.0.1:{port}/slack/events")
        market.set_webhook(f"http://127.0.0.1:{port}/webhooks/sandbox")
        proc = await start_service(tmp_path, slack, port)
        try:
            await market.buyer_says(SHOP, BUYER, "opening question")
            root = (await slack.wait_for(lambda: slack.messages(channel)))[0]
            await slack.wait_for(lambda: len(slack.replies(channel, root["ts"])) >= 1)

            async def buyers() -> None:
                for i in range(BUYER_MESSAGES):
                    await market.buyer_says(SHOP, BUYER, f"buyer {i:02d}")
                    await asyncio.sleep(0.01)

            async def agents() -> list[str]:
                out = []
                for i in range(REPLIES):
                    out.append(await slack.user_posts(agent, channel, f"reply {i:02d}",
                                                      thread_ts=root["ts"]))
                    await asyncio.sleep(0.03)
                return out

            async def killer() -> None:
                await slack.wait_for(lambda: len(slack.replies(channel, root["ts"])) >= 12,
                                     timeout=20)
                proc.send_signal(signal.SIGKILL)

            _, reply_ts, _ = await asyncio.gather(buyers(), agents(), killer())
            await proc.wait()
            assert proc.returncode == -signal.SIGKILL
            # Slack retries event deliveries that failed while the service was down.
            failed = [d.event_id for d in slack.deliveries if d.event_id and d.status is None
                      and (d.error or "").startswith(("connection_refused", "http_timeout"))]
            proc = await start_service(tmp_path, slack, port)
            for event_id in failed:
                await slack.redeliver(event_id)

            def thread_texts() -> list[str]:
                return [json.dumps(m.get("blocks")) for m in slack.replies(channel, root["ts"])
                        if m.get("username", "").startswith("Rachel")]

            await slack.wait_for(lambda: len(thread_texts()) >= BUYER_MESSAGES + 1, timeout=30)
            await slack.wait_for(lambda: all("white_check_mark" in slack.reactions(channel, ts)
                                             for ts in reply_ts), timeout=30)
            await asyncio.sleep(0.5)  # anything doubled would show up by now
            shown = thread_texts()
            expected = ["opening question"] + [f"buyer {i:02d}" for i in range(BUYER_MESSAGES)]
            assert [next(e for e in expected if f'"{e}"' in t) for t in shown] == expected
            sent = [m["content"]["text"] for m in market.sent_messages(SHOP)]
            assert sent == [f"reply {i:02d}" for i in range(REPLIES)]
            roots = slack.messages(channel)
            assert len(roots) == 1
        finally:
            if proc.returncode is None:
                proc.terminate()
                await proc.wait()
