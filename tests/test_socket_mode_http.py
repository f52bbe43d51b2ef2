"""Socket Mode: the HTTP side is neither an open door nor held hostage by the socket."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from bot.demo.slack_standin.slack_api import SlackEmulator
from bot.demo.slack_standin.slack_payloads import sign
from bot.http import build_web_app
from bot.service import Service
from tests.emulators.sandbox import SandboxMarketplace
from tests.harness import HEALTH_AUTH, running_bridge, seed, serve, settings_for


def _slash(slack: SlackEmulator, user: str, channel: str, text: str) -> str:
    return urlencode({"token": "x", "team_id": slack.workspace.team_id, "channel_id": channel,
                      "user_id": user, "user_name": "mai", "command": "/cs", "text": text,
                      "response_url": f"{slack.base_url}/_emulator/response/unknown",
                      "trigger_id": "1.2.3"})


async def test_no_signing_secret_means_no_http_events_route(tmp_path: Path) -> None:
    """Before the fix the route was mounted with the secret "unset": this request,
    signed with that word, set the agent idle."""
    async with running_bridge(tmp_path, socket_mode=True, signing_secret="") as b:
        body = _slash(b.slack, b.agent, b.channels["cs-shopee-sg"], "idle")
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{b.base_url}/slack/events", data=body.encode(),
                                 headers={**sign("unset", body),
                                          "Content-Type": "application/x-www-form-urlencoded"}
                                 ) as resp:
                assert resp.status == 404
        assert await b.service.store.team.status(b.agent) == "online"
        # Socket Mode itself still works.
        await b.buyer_says("Still there?")
        await b.thread()


async def test_signing_secret_keeps_http_route_in_socket_mode(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, socket_mode=True) as b:
        body = _slash(b.slack, b.agent, b.channels["cs-shopee-sg"], "idle")
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{b.base_url}/slack/events", data=body.encode(),
                                 headers={**headers, **sign("unset", body)}) as resp:
                assert resp.status == 401
            async with http.post(f"{b.base_url}/slack/events", data=body.encode(),
                                 headers={**headers, **sign(b.slack.signing_secret, body)}
                                 ) as resp:
                assert resp.status == 200
        assert await b.service.store.team.status(b.agent) == "idle"
        async with aiohttp.ClientSession() as http, \
                http.get(f"{b.base_url}/healthz", headers=HEALTH_AUTH) as resp:
            socket = (await resp.json())["slack"]["socket_mode"]
        assert socket == {"state": "connected", "error": None}


async def test_http_serves_while_the_socket_cannot_connect(tmp_path: Path) -> None:
    async with SlackEmulator(rate_limits=False, app_token="xapp-real") as slack, \
            SandboxMarketplace() as market:
        seed(market)
        agent = slack.add_user("mai")
        settings = settings_for(slack, market, agent, str(tmp_path / "sb.db"))
        service = Service(settings, repair_on_start=False)
        slack.configure_app(socket_mode=True)
        async with asyncio.timeout(5):  # before the fix, start-up waited for the socket
            runner, base = await serve(build_web_app(service, socket_mode_token="xapp-wrong"))
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(100):
                    async with http.get(f"{base}/healthz", headers=HEALTH_AUTH) as resp:
                        assert resp.status == 200
                        health = await resp.json()
                    if health["slack"]["socket_mode"]["state"] == "failed":
                        break
                    await asyncio.sleep(0.05)
                assert health["slack"]["socket_mode"]["state"] == "failed"
                assert health["slack"]["socket_mode"]["error"] == "invalid_auth"
                assert health["status"] == "degraded"
                # Webhooks are served meanwhile: a forged push is refused, not hung.
                async with http.post(f"{base}/webhooks/sandbox", data=b"{}") as resp:
                    assert resp.status in (400, 401)
            assert not slack.socket_connections
        finally:
            await runner.cleanup()
