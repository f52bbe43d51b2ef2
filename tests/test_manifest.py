"""manifest.yml asks for exactly the scopes the code needs, with one host placeholder."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.check import REQUIRED_SCOPES

MANIFEST = Path(__file__).parents[1] / "manifest.yml"


def test_scopes_are_what_the_code_checks() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert sorted(scopes) == sorted(REQUIRED_SCOPES)
    assert "reactions:read" not in scopes  # no code reads reactions
    # A hand-over DM is looked for in the DM's history after a crash, so it is never
    # sent twice (bot/slack_lookup.py); reading an IM's history needs im:history.
    assert "im:history" in scopes
    assert len(scopes) == len(set(scopes))


def test_one_placeholder_host() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    manifest = yaml.safe_load(text)
    hosts = set(re.findall(r"https://([^/\s]+)/", yaml.safe_dump(manifest)))
    assert hosts == {"YOUR-HOST"}
    assert "connections:write" in text and "SLACK_APP_TOKEN" in text
    assert manifest["settings"]["interactivity"]["request_url"] == \
        "https://YOUR-HOST/slack/events"
