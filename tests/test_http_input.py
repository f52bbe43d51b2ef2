"""Bad input gets a clear answer and never crashes the service."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import aiohttp

from tests.harness import running_bridge


def sandbox_headers(secret: str, body: bytes, ts: int | None = None) -> dict[str, str]:
    ts = ts or int(time.time())
    sig = hmac.new(secret.encode(), f"{ts}\n".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Sandbox-Timestamp": str(ts), "X-Sandbox-Signature": sig,
            "Content-Type": "application/json"}


async def test_webhook_rejections(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b, aiohttp.ClientSession() as http:
        url = f"{b.base_url}/webhooks/sandbox"
        good = json.dumps({"event": "message", "shop_id": "sg-1", "message": {}}).encode()
        async with http.post(url, data=good) as r:  # unsigned
            assert r.status == 401 and "missing" in (await r.text())
        async with http.post(url, data=good, headers=sandbox_headers("wrong", good)) as r:
            assert r.status == 401
        stale = sandbox_headers(b.market.app_secret, good, ts=int(time.time()) - 3600)
        async with http.post(url, data=good, headers=stale) as r:
            assert r.status == 401
        for body in (b"not json", b"[]", good):  # good is signed but lacks message fields
            async with http.post(url, data=body,
                                 headers=sandbox_headers(b.market.app_secret, body)) as r:
                assert r.status == 400, body
                assert await r.text()
        async with http.post(f"{b.base_url}/webhooks/nowhere", data=good) as r:
            assert r.status == 404
        huge = b"x" * (2 * 1024 * 1024)
        async with http.post(url, data=huge) as r:
            assert r.status == 413
        other = json.dumps({"event": "shop_updated", "shop_id": "sg-1"}).encode()
        async with http.post(url, data=other,
                             headers=sandbox_headers(b.market.app_secret, other)) as r:
            assert r.status == 200 and await r.read() == b""  # acknowledged, ignored
        assert (await b.store.database.one("SELECT COUNT(*) FROM messages"))[0] == 0
        async with http.get(f"{b.base_url}/healthz") as r:
            assert r.status == 200  # still alive


async def test_unsigned_slack_request_is_refused(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b, aiohttp.ClientSession() as http:
        body = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {
            "type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "1.2",
            "thread_ts": "1.1"}})
        async with http.post(f"{b.base_url}/slack/events", data=body,
                             headers={"Content-Type": "application/json",
                                      "X-Slack-Request-Timestamp": str(int(time.time())),
                                      "X-Slack-Signature": "v0=deadbeef"}) as r:
            assert r.status == 401
        assert (await b.store.database.one("SELECT COUNT(*) FROM slack_events"))[0] == 0


async def test_close_and_reopen_from_the_card(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("hello")
        conv = await b.thread()
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "conversation_close")
        await b.wait(lambda: "Closed" in json.dumps(
            b.slack.message(conv.channel_id, conv.thread_ts)["blocks"]))
        assert (await b.store.conversations.get(conv.id)).closed_at is not None
        # A new buyer message reopens it.
        await b.buyer_says("are you there?")
        await b.wait(lambda: "conversation_close" in json.dumps(
            b.slack.message(conv.channel_id, conv.thread_ts)["blocks"]))
        assert (await b.store.conversations.get(conv.id)).status == "open"


async def test_app_home_lists_stores_with_their_counts(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("hello")
        await b.thread()
        delivery = await b.slack.user_opens_home(b.agent)
        assert delivery.status == 200
        view = await b.wait(lambda: b.slack.workspace.home_views.get(b.agent))
        home = json.dumps(view, ensure_ascii=False)
        assert "Kopi &amp; Co. Homeware" in home or "Kopi & Co. Homeware" in home
        assert "1 open, 1 unread" in home and "Men's Clothing Official" in home
