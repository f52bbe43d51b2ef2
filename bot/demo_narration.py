"""The demo's terminal narration: what happened in Slack, one readable line each.

Lines wrap at words (links are never cut), a reaction is shown as its emoji with
what it means, and a buyer's name is said once even though the bot's Slack text
starts with it (it does, for notifications when the name heads the message).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from bot.render.labels import KIND_ICONS
from bot.standins.slack_api import CallRecord

WIDTH = 100
REACTIONS = {
    "hourglass_flowing_sand": "⏳ sending to the buyer…",
    "white_check_mark": "✅ delivered to the buyer",
    "x": "❌ not delivered",
    "warning": "⚠️ outcome unknown: StoreBridge asks the marketplace before sending again",
    "memo": "📝 internal note, not sent to the buyer",
}
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_ROLE = re.compile(r"\s*\([^)]*\)$")  # "Rachel Tan (buyer)" -> "Rachel Tan"


def _cells(text: str) -> int:
    """Terminal columns: CJK and most emoji take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _units(body: str) -> list[str]:
    """Breakable pieces: words and spaces; CJK text (no spaces) breaks between
    characters. Links stay whole, so a line never ends mid-link."""
    units: list[str] = []
    for piece in re.findall(r"\s+|\S+", body):
        if not piece.isspace() and "://" not in piece and _cells(piece) > len(piece):
            units.extend(piece)
        else:
            units.append(piece)
    return units


def wrap(text: str, width: int = WIDTH) -> str:
    """Wrap each line at words; continuation lines are indented under the text."""
    out = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        indent = " " * (len(line) - len(body))
        current = indent
        for unit in _units(body):
            if current.strip() and _cells(current) + _cells(unit.rstrip()) > width:
                out.append(current.rstrip())
                current = indent + "   "
            if unit.isspace() and not current.strip():
                continue
            current += unit
        out.append(current.rstrip())
    return "\n".join(out)


def plain(text: str) -> str:
    """Slack links as their labels: ``<https://…|Open the thread>`` -> ``Open the thread``."""
    return _LINK.sub(lambda m: m.group(2) or m.group(1), text)


def first_line(text: Any) -> str:
    return str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""


def without_name(who: str, text: str) -> str:
    """``Rachel Tan: Hi`` said by ``Rachel Tan (buyer)`` -> ``Hi``."""
    name = _ROLE.sub("", who)
    prefix = f"{name}: "
    return text[len(prefix):] if name and text.startswith(prefix) else text


def describe(message: dict[str, Any]) -> str:
    """A sandbox buyer message in words: its text, or what kind of thing it is."""
    content = message.get("content") or {}
    if content.get("text"):
        return str(content["text"])
    kind = str(message.get("type") or "unknown")
    detail = (content.get("label") or content.get("name") or content.get("order_sn")
              or content.get("code") or content.get("url") or "")
    seconds = f", {content['duration']} s" if content.get("duration") else ""
    article = "an" if kind[:1] in "aeiou" else "a"
    what = f"{KIND_ICONS.get(kind, '❓')} {article} {kind.replace('_', ' ')}"
    return f"{what} ({detail}{seconds})" if detail else what


class Narrator:
    def __init__(self, channel_names: dict[str, str], out: Callable[[str], None]) -> None:
        self.channels = channel_names
        self.out = out

    def on_call(self, call: CallRecord) -> None:
        p, where = call.params, self.channels.get(str(call.params.get("channel")), "")
        text = plain(first_line(p.get("text")))
        if not call.ok:
            self.say(f"   ⚡ Slack answered {call.method} with {call.error}")
        elif call.method == "chat.postMessage" and not p.get("thread_ts"):
            if where == "#cs-ops":
                self.say(f"📣 in {where}: {text}")
            else:
                self.say(f"🧵 thread created in {where}: {text}")
        elif call.method == "chat.postMessage":
            who = str(p.get("username") or "StoreBridge")
            self.say(f"   💬 {who} in the thread: {without_name(who, text)}")
        elif call.method == "reactions.add":
            meaning = REACTIONS.get(str(p.get("name")), f":{p.get('name')}:")
            self.say(f"   {meaning}")
        elif call.method == "chat.update":
            self.say(f"   🔄 updated in {where}: {text}")
        # reactions.remove: the next reaction says what the state became

    def say(self, text: str) -> None:
        self.out(wrap(text))
