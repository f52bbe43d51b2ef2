"""``storebridge check`` tells what works; ``storebridge demo --once`` plays the story."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.check import run_check
from bot.config import StoreConfig, TranslationConfig
from bot.demo.marketplace import SandboxMarketplace
from bot.demo.slack_standin.slack_api import SlackEmulator
from tests.harness import seed, settings_for


async def test_check_table_reports_what_works_and_what_does_not(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Every required scope but chat:write.customize (im:history: DMs found after a crash).
    scopes = ("chat:write", "reactions:write", "channels:history", "channels:read",
              "channels:join", "users:read", "groups:history", "groups:read", "commands",
              "im:write", "im:history", "files:read")
    async with SlackEmulator(scopes=scopes) as slack, SandboxMarketplace() as market:
        seed(market)
        agent = slack.add_user("mai")
        slack.add_channel("cs-shopee-sg")
        slack.add_channel("cs-ops")  # no #cs-lazada-my: misconfigured on purpose
        settings = settings_for(slack, market, agent, str(tmp_path / "c.db"))
        broken = replace(settings.stores[1], credentials={"access_token": "wrong"})
        settings = replace(settings, stores=(settings.stores[0], broken))
        code = await run_check(settings)
        out = capsys.readouterr().out
        assert code == 1
        assert "✓ config" in out and "✓ database" in out and "✓ slack " in out
        assert "✗ slack scopes" in out and "chat:write.customize" in out
        assert "✓ channel #cs-shopee-sg" in out
        assert "✗ channel #cs-lazada-my" in out and "not found" in out
        assert "✓ store shopee:sg-1 (SG)" in out
        assert "✗ store lazada:my-1 (MY)" in out and "authorization is invalid" in out

        good = replace(settings, stores=(settings.stores[0],))
        slack.scopes = (*scopes, "chat:write.customize")
        assert await run_check(good) == 0
        out = capsys.readouterr().out
        assert "0 problem(s)" in out and "translation" not in out
        warnings = int(re.search(r"(\d+) warning", out).group(1))

        # The demo's offline phrasebook works, but check says it is only for the demo.
        assert await run_check(replace(good, translation=TranslationConfig("demo"))) == 0
        out = capsys.readouterr().out
        assert re.search(r"^! translation +provider demo is the demo phrasebook", out, re.M)
        assert f"{warnings + 1} warning(s), 0 problem(s)" in out


async def test_check_says_when_slack_token_is_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async with SandboxMarketplace() as market:
        seed(market)
        async with SlackEmulator() as slack:
            settings = settings_for(slack, market, "U1", str(tmp_path / "c.db"))
        settings = replace(settings, slack=replace(settings.slack, bot_token=""),
                           stores=(StoreConfig(platform="shopee", shop_id="sg-1", site="SG",
                                               name="x", channel="#x", connector="sandbox",
                                               credentials={"access_token": "tok-sg"}),))
        assert await run_check(settings) == 1
        assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().out


def test_demo_once_plays_the_whole_story() -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "demo", "--once"],
                          capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parents[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for step in ("✓ thread created", "✓ buyer message shown", "✓ reply delivered",
                 "✓ failed send shown", "✓ retried reply delivered", "✓ quick reply delivered",
                 "✓ a third thread", "✓ priority flagged", "✓ his refund request on the order",
                 # translation, an order with a request, and the approval gate
                 "✓ her message shown with its translation beneath",
                 "✓ her orders on the card", "✓ the cancellation request and its deadline",
                 "✓ the confirmation shows the order", "✓ cancellation accepted",
                 "✓ replies to her are now translated",
                 "✓ the reply promises a refund, so it waits ⏳ for a manager",
                 "✓ approved, then delivered", "✓ the buyer received it in Malay",
                 "21 of 21 steps happened"):
        assert step in out, step
    assert "✗" not in out
    assert "the buyer received: Hi! Yes" in out  # markup became plain text
    assert "the buyer received: Tiada masalah, kami akan batalkan pesanan" in out
