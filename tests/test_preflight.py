"""``check`` and ``run`` catch a wrong public URL, token shapes and app-level token early."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from bot.check import run_check
from bot.config import StoreConfig
from bot.demo.marketplace import SandboxMarketplace
from bot.demo.slack_standin.slack_api import SlackEmulator
from bot.preflight import public_url_findings, shopee_push_findings
from tests.harness import HEALTH_AUTH, HEALTH_TOKEN, TEST_SECRET_KEY, seed, settings_for
from tests.test_crash_recovery import write_config

ROOT = Path(__file__).parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("url", "ok"), [
    ("https://cs.shop.example", True), ("https://cs.shop.example/", True),
    ("http://127.0.0.1:3000", True), ("https://cs.shop.example/bridge", False),
    ("ftp://cs.shop.example", False), ("cs.shop.example", False),
    ("https://cs.shop.example?x=1", False)])
def test_public_url_shape(url: str, ok: bool) -> None:
    (finding,) = public_url_findings(url)
    assert finding.ok is ok and not finding.warning


def test_shopee_push_url_warnings(tmp_path: Path) -> None:
    from bot.config import Settings
    shopee = StoreConfig(platform="shopee", shop_id="1", site="SG", name="x", channel="#x",
                         connector="shopee")
    assert shopee_push_findings(Settings()) == []  # no Shopee store, nothing to say
    (f,) = shopee_push_findings(Settings(stores=(shopee,)))
    assert f.warning and "signs the callback URL" in f.detail
    (f,) = shopee_push_findings(Settings(stores=(shopee,), public_url="http://cs.example.org"))
    assert f.warning and "plain http" in f.detail
    (f,) = shopee_push_findings(Settings(stores=(shopee,), public_url="https://cs.example.org/"))
    assert f.ok and "https://cs.example.org/webhooks/shopee" in f.detail


async def test_check_reports_tokens_socket_mode_and_public_url(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with SlackEmulator(app_token="xapp-1-good") as slack, SandboxMarketplace() as market:
        seed(market)
        agent = slack.add_user("mai")
        for name in ("cs-shopee-sg", "cs-lazada-my", "cs-ops"):
            slack.add_channel(name)
        base = settings_for(slack, market, agent, str(tmp_path / "c.db"))
        unreachable = f"http://127.0.0.1:{_free_port()}"
        good = replace(base, public_url=unreachable,
                       slack=replace(base.slack, app_token="xapp-1-good"))
        assert await run_check(good) == 0  # warnings do not fail the check
        out = capsys.readouterr().out
        assert "✓ slack socket mode" in out
        assert "! public URL reachable" in out and f"{unreachable}/healthz unreachable" in out
        assert "1 warning(s), 0 problem(s)" in out

        wrong = replace(good, public_url="https://cs.example.org/path",
                        slack=replace(base.slack, bot_token="xoxp-user-token",
                                      app_token="xapp-1-revoked"))
        assert await run_check(wrong) == 1
        out = capsys.readouterr().out
        assert "✗ public URL" in out and "without a path" in out
        assert "✗ slack bot token" in out and "a xoxp-… token" in out
        assert "xoxp-user-token" not in out
        assert "✗ slack socket mode" in out and "invalid_auth" in out


async def _run(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env={**os.environ, **env}, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def test_run_refuses_bad_tokens_and_serves_with_good_ones(tmp_path: Path) -> None:
    async with SlackEmulator(app_token="xapp-1-good") as slack, SandboxMarketplace() as market:
        seed(market)
        agent = slack.add_user("mai")
        for name in ("cs-shopee-sg", "cs-lazada-my", "cs-ops"):
            slack.add_channel(name)
        slack.configure_app(socket_mode=True)
        write_config(tmp_path / "storebridge.yml", market, agent)
        port = _free_port()
        env = {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_API_URL": slack.api_url,
               "STOREBRIDGE_SECRET_KEY": TEST_SECRET_KEY, "STOREBRIDGE_HEALTH_TOKEN": HEALTH_TOKEN,
               "SLACK_APP_TOKEN": "xapp-1-revoked", "STOREBRIDGE_DB": str(tmp_path / "r.db"),
               "STOREBRIDGE_CONFIG": str(tmp_path / "storebridge.yml"), "PORT": str(port),
               "HOST": "127.0.0.1", "STOREBRIDGE_PUBLIC_URL": f"http://127.0.0.1:{port}",
               "LOG_FORMAT": "json"}
        env.pop("SLACK_SIGNING_SECRET", None)
        proc = await _run(tmp_path, env)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 2
        assert b"invalid_auth" in err and b"the app-level token is wrong" in err

        proc = await _run(tmp_path, {**env, "SLACK_APP_TOKEN": "xoxb-swapped"})
        _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 2 and b"must be an app-level token" in err
        assert b"xoxb-swapped" not in err

        proc = await _run(tmp_path, {**env, "SLACK_APP_TOKEN": "xapp-1-good"})
        try:
            health = await _healthz(f"http://127.0.0.1:{port}/healthz")
            assert health["slack"]["socket_mode"]["state"] == "connected"
            lines = await _read_until(proc, "public URL reachable")
        finally:
            proc.terminate()
            await proc.wait()
        assert all(isinstance(json.loads(line), dict) for line in lines)
        assert not any("xapp-1-good" in line for line in lines)


async def _healthz(url: str) -> dict[str, object]:
    async with aiohttp.ClientSession() as http:
        for _ in range(150):
            try:
                async with http.get(url, headers=HEALTH_AUTH) as resp:
                    health = await resp.json()
                if health["slack"]["socket_mode"]["state"] == "connected":
                    return dict(health)
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the service never became healthy")


async def _read_until(proc: asyncio.subprocess.Process, words: str) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    async with asyncio.timeout(15):
        while not any(words in line for line in lines):
            lines.append((await proc.stdout.readline()).decode())
    return [line for line in lines if line.strip()]
