"""Building the bolt app with SLACK_BOT_TOKEN in the environment logs no warning."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tests.harness import running_bridge


async def test_no_token_unused_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    caplog.set_level(logging.DEBUG)
    async with running_bridge(tmp_path) as b:
        await b.buyer_says("Hello?")
        await b.thread()  # the app works with the client it was given
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [w for w in warnings if "will be unused" in w], warnings
    assert os.environ["SLACK_BOT_TOKEN"] == "xoxb-from-the-environment"  # put back
