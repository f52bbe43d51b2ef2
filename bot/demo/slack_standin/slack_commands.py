"""Slash commands as the app declares them, and the text Slack sends for each.

A command's ``should_escape`` (manifest ``features.slash_commands``; in the app
settings "Escape channels, users, and links sent to your app") decides what the
app receives when someone picks a person or channel in the message box:

* escaped: ``<@U0123|mai>`` and ``<#C0123|general>`` (Slack adds the name),
* not escaped (Slack's default): the text as the person sees it, ``@Mai`` and
  ``#general``; a link is the bare URL.

Tests write what the person composed, with a picked person as ``<@U…>``, exactly
like Slack clients store it; :func:`as_sent` turns that into what the app gets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .slack_state import Workspace

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|[^>]*)?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^>|]*)?(?:\|([^>]*))?>")  # <!here>, <!subteam^S1|x>
_TYPED_USER = re.compile(r"(?<![<\w])@([a-z0-9][a-z0-9._-]*)")


@dataclass(frozen=True)
class SlashCommand:
    command: str
    should_escape: bool = False  # Slack's default when the manifest leaves it out


def commands_from_manifest(path: str | Path) -> dict[str, SlashCommand]:
    """The slash commands an app manifest (YAML or JSON) declares."""
    manifest: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    declared = ((manifest.get("features") or {}).get("slash_commands")) or []
    return {c["command"]: SlashCommand(c["command"], bool(c.get("should_escape", False)))
            for c in declared if isinstance(c, dict) and c.get("command")}


def _shown_name(ws: Workspace, user_id: str) -> str:
    """The name a Slack client shows for a person: display name, else full name."""
    user = ws.users.get(user_id)
    if user is None:
        return user_id
    return user.display_name or user.real_name or user.name


def as_sent(ws: Workspace, text: str, *, should_escape: bool) -> str:
    """The ``text`` field of the command request for what the person composed."""
    if should_escape:
        def user(m: re.Match[str]) -> str:
            found = ws.users.get(m.group(1))
            return f"<@{m.group(1)}|{found.name}>" if found else m.group(0)

        def typed(m: re.Match[str]) -> str:
            found = next((u for u in ws.users.values() if u.name == m.group(1)), None)
            return f"<@{found.id}|{found.name}>" if found else m.group(0)

        def channel(m: re.Match[str]) -> str:
            found = ws.channels.get(m.group(1))
            return f"<#{m.group(1)}|{found.name}>" if found else m.group(0)

        return _CHANNEL.sub(channel, _USER.sub(user, _TYPED_USER.sub(typed, text)))
    text = _USER.sub(lambda m: f"@{_shown_name(ws, m.group(1))}", text)
    text = _CHANNEL.sub(lambda m: "#" + (ws.channels[m.group(1)].name
                                         if m.group(1) in ws.channels
                                         else (m.group(2) or m.group(1))), text)
    text = _SPECIAL.sub(lambda m: m.group(2) or f"@{m.group(1)}", text)
    return _LINK.sub(lambda m: m.group(1), text)
