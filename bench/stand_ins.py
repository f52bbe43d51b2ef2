"""The Slack stand-in and the sandbox marketplace in a process of their own, for the benches.

A bench must measure the service, not itself. The stand-ins do real work (Slack's
strict Block Kit checks, 100k stored thread roots, ``views.publish`` of 100 blocks);
on the load generator's event loop that work stalls the loop, and the push-ack and
App Home latencies it measures would include those stalls. So the benches start
this module as a child process and drive it through :class:`StandIns`.

Run as a child (``python bench/stand_ins.py --app-secret S``) it starts
``SlackEmulator(rate_limits=False, deliver_bot_messages=False)`` and
``SandboxMarketplace(app_secret=S)`` on its own loop, serves a small control API on
127.0.0.1, prints exactly one JSON line on stdout (URLs, tokens) and nothing else,
and exits when its stdin closes: the parent ended, however it ended (even SIGKILL),
so the child never outlives the bench.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import signal
import sys
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.demo.marketplace import SandboxMarketplace  # noqa: E402
from bot.demo.slack_standin.slack_api import SlackEmulator  # noqa: E402
from bot.demo.slack_standin.slack_web_api import CallRecord  # noqa: E402

# Times crossing the process boundary are time.monotonic(): CLOCK_MONOTONIC on Linux is
# one system-wide clock, so a parent's and a child's readings are comparable (unlike
# perf_counter's, which Python does not promise; and unlike time.time, it never jumps).


def post_text(params: dict[str, Any]) -> str | None:
    """The text of a buyer message's post: its last block's (what inbound.py pushes)."""
    blocks = params.get("blocks") or [{}]
    return (blocks[-1].get("text") or {}).get("text") if isinstance(blocks, list) else None


class Child:
    """The stand-ins plus what the parent asks of them, recorded as calls arrive."""

    def __init__(self, slack: SlackEmulator, market: SandboxMarketplace) -> None:
        self.slack, self.market = slack, market
        self.home_sent: dict[str, deque[float]] = defaultdict(deque)
        self.home_latencies: list[float] = []
        self.posts = 0  # chat.postMessage in a thread, answered ok
        self.first_thread_ts: str | None = None
        self.post_times: dict[str, float] = {}  # post_text -> when Slack received it
        slack.on_call = self.on_call

    def on_call(self, call: CallRecord) -> None:
        if call.method == "views.publish":
            pending = self.home_sent.get(str(call.params.get("user_id")))
            if pending:
                self.home_latencies.append(time.monotonic() - pending.popleft())
        elif call.method == "chat.postMessage" and call.ok and call.params.get("thread_ts"):
            self.posts += 1
            self.first_thread_ts = self.first_thread_ts or str(call.params["thread_ts"])
            text = post_text(call.params)
            if text is not None:
                self.post_times[text] = time.monotonic()

    def routes(self) -> web.Application:
        app = web.Application(client_max_size=512 * 2**20)  # bulk set-up in one body
        for path, handler in (("/slack/setup", self.setup), ("/slack/threads", self.threads),
                              ("/slack/app", self.app), ("/slack/home", self.home),
                              ("/slack/post", self.post), ("/slack/wait_posts", self.wait_posts),
                              ("/market/stores", self.stores), ("/market/buyers", self.buyers)):
            app.router.add_post(path, handler)
        app.router.add_get("/slack/home_latencies", self.latencies)
        app.router.add_get("/market/sent", self.sent)
        return app

    async def setup(self, request: web.Request) -> web.Response:
        body = await request.json()
        slack = self.slack
        channels = {name: slack.add_channel(name) for name in body.get("channels", [])}
        users = [slack.add_user(name, real_name=real) for name, real in body.get("users", [])]
        if body.get("members"):
            for channel in channels.values():
                for user in users:
                    slack.join(channel, user)
        return web.json_response({"channels": channels, "users": users})

    async def threads(self, request: web.Request) -> web.Response:
        ws = self.slack.workspace
        for channel, ts, text in (await request.json())["roots"]:
            ws.store(ws.channels[channel], {"type": "message", "ts": ts, "text": text,
                                            "bot_id": ws.bot_id, "user": ws.bot_user_id})
        return web.json_response({})

    async def app(self, request: web.Request) -> web.Response:
        self.slack.configure_app((await request.json())["url"])
        # Set-up is over: its ~140k objects (100k thread roots and buyers) live to
        # the end. Left in the GC's full walks they cost this process stalls of a
        # second, which the service then saw as a slow Slack.
        gc.collect()
        gc.freeze()
        return web.json_response({})

    async def home(self, request: web.Request) -> web.Response:
        user = (await request.json())["user"]
        # Stamped here, as the event leaves for the service: the parent's request to
        # this process is not part of "app_home_opened sent -> views.publish received".
        self.home_sent[user].append(time.monotonic())
        delivery = await self.slack.user_opens_home(user)
        return web.json_response({"status": delivery.status, "error": delivery.error})

    async def post(self, request: web.Request) -> web.Response:
        b = await request.json()
        ts = await self.slack.user_posts(b["user"], b["channel"], b["text"],
                                         thread_ts=b.get("thread_ts"))
        return web.json_response({"ts": ts})

    async def wait_posts(self, request: web.Request) -> web.Response:
        """Until ``count`` thread posts and every text in ``texts`` reached Slack."""
        b = await request.json()
        texts: list[str] = b.get("texts", [])
        deadline = time.monotonic() + float(b.get("timeout", 60))
        while self.posts < b.get("count", 0) or any(t not in self.post_times for t in texts):
            if time.monotonic() > deadline:
                recent = ", ".join(c.summary() for c in self.slack.calls[-5:]) or "none"
                raise web.HTTPGatewayTimeout(text=f"{self.posts} thread posts; last: {recent}")
            await asyncio.sleep(0.01)
        return web.json_response({"count": self.posts, "first_thread_ts": self.first_thread_ts,
                                  "times": {t: self.post_times[t] for t in texts}})

    async def latencies(self, request: web.Request) -> web.Response:
        return web.json_response({"latencies": self.home_latencies})

    async def stores(self, request: web.Request) -> web.Response:
        for row in (await request.json())["stores"]:
            self.market.add_store(*row)
        return web.json_response({})

    async def buyers(self, request: web.Request) -> web.Response:
        for row in (await request.json())["buyers"]:
            self.market.add_buyer(*row)
        return web.json_response({})

    async def sent(self, request: web.Request) -> web.Response:
        count = sum(len(self.market.sent_messages(shop)) for shop in self.market.ledger.stores)
        return web.json_response({"count": count})


async def serve(app_secret: str) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    # Ctrl-C reaches the whole process group: the parent handles it and closes us (a
    # parent that carried on without its stand-ins would only pile up errors).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    async with SlackEmulator(rate_limits=False, deliver_bot_messages=False) as slack, \
            SandboxMarketplace(app_secret=app_secret) as market:
        runner = web.AppRunner(Child(slack, market).routes(), access_log=None,
                               shutdown_timeout=0.2)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(json.dumps({"control": f"http://127.0.0.1:{port}", "api_url": slack.api_url,
                          "bot_token": slack.bot_token, "signing_secret": slack.signing_secret,
                          "market_url": market.base_url, "app_key": market.app_key,
                          "app_secret": market.app_secret}), flush=True)
        eof = asyncio.ensure_future(stdin.read())  # returns when the parent closes the pipe
        await asyncio.wait([eof, asyncio.ensure_future(stop.wait())],
                           return_when=asyncio.FIRST_COMPLETED)
        eof.cancel()
        await runner.cleanup()


class StandIns:
    """The parent's side: start the child, call its control API, and end it on exit."""

    def __init__(self, app_secret: str = "sandbox-secret") -> None:
        self.app_secret = app_secret
        self.proc: asyncio.subprocess.Process | None = None
        self.http: aiohttp.ClientSession | None = None
        self.info: dict[str, str] = {}

    async def __aenter__(self) -> StandIns:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--app-secret", self.app_secret,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        try:
            assert self.proc.stdout is not None
            line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
            self.info = json.loads(line)
        except BaseException:
            await self.close()
            raise
        self.http = aiohttp.ClientSession(self.info["control"],
                                          timeout=aiohttp.ClientTimeout(total=None))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        if proc.stdin is not None:
            proc.stdin.close()  # the child's cue to stop
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            pass
        finally:  # also when cancelled (Ctrl-C): no orphan either way
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    # What the service needs to reach them (named as on SlackEmulator and SandboxMarketplace).
    @property
    def bot_token(self) -> str:
        return self.info["bot_token"]

    @property
    def signing_secret(self) -> str:
        return self.info["signing_secret"]

    @property
    def api_url(self) -> str:
        return self.info["api_url"]

    @property
    def market_url(self) -> str:
        return self.info["market_url"]

    @property
    def app_key(self) -> str:
        return self.info["app_key"]

    async def call(self, path: str, body: Any = None) -> Any:
        assert self.http is not None, "use StandIns in `async with`"
        method = self.http.get if body is None else self.http.post
        async with method(path, json=body) as resp:
            if resp.status != 200:
                raise RuntimeError(f"stand-ins {path}: {resp.status} {await resp.text()}")
            return await resp.json()

    async def setup_slack(self, channels: Sequence[str], users: Sequence[tuple[str, str]] = (),
                          members: bool = False) -> tuple[dict[str, str], list[str]]:
        """Channels (name -> id) and users (ids); ``members``: every user joins every channel."""
        r = await self.call("/slack/setup", {"channels": list(channels), "users": list(users),
                                             "members": members})
        return dict(r["channels"]), list(r["users"])

    async def add_thread_roots(self, roots: Iterable[tuple[str, str, str]]) -> None:
        """The bot's earlier posts (channel id, ts, text), stored as Slack holds them."""
        await self.call("/slack/threads", {"roots": list(roots)})

    async def configure_app(self, url: str) -> None:
        await self.call("/slack/app", {"url": url})

    async def user_opens_home(self, user: str) -> None:
        await self.call("/slack/home", {"user": user})

    async def user_posts(self, user: str, channel: str, text: str,
                         thread_ts: str | None = None) -> None:
        await self.call("/slack/post", {"user": user, "channel": channel, "text": text,
                                        "thread_ts": thread_ts})

    async def home_latencies(self) -> list[float]:
        """Seconds from each app_home_opened sent to its views.publish received."""
        return list((await self.call("/slack/home_latencies"))["latencies"])

    async def wait_posts(self, count: int = 0, texts: Sequence[str] = (),
                         timeout: float = 60) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait for ``count`` thread posts and ``texts``; ``times`` maps each text to
        time.monotonic() when Slack received it."""
        return dict(await self.call("/slack/wait_posts", {"count": count, "texts": list(texts),
                                                          "timeout": timeout}))

    async def add_stores(self, rows: Iterable[tuple[str, str, str, str, str, str]]) -> None:
        """(shop_id, platform, site, name, access_token, language) each."""
        await self.call("/market/stores", {"stores": list(rows)})

    async def add_buyers(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """(shop_id, buyer_id, name, language) each."""
        await self.call("/market/buyers", {"buyers": list(rows)})

    async def sent_count(self) -> int:
        """Messages sellers sent through the marketplace, all stores."""
        return int((await self.call("/market/sent"))["count"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--app-secret", default="sandbox-secret")
    asyncio.run(serve(ap.parse_args().app_secret))


if __name__ == "__main__":
    main()
