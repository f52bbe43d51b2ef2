"""The demo's terminal narration: what happened in Slack, one readable line each.

Lines wrap at words (links are never cut), a reaction is shown as its emoji with
what it means, and a buyer's name is said once even though the bot's Slack text
starts with it (it does, for notifications when the name heads the message).
Mentions and dates read as Slack shows them; a translation is said beneath the
message it belongs to, and a card's order lines when they change.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable
from typing import Any

from bot.demo.slack_standin.slack_web_api import CallRecord
from bot.render.labels import KIND_ICONS

WIDTH = 100
REACTIONS = {
    "hourglass_flowing_sand": "⏳ sending to the buyer…",
    "white_check_mark": "✅ delivered to the buyer",
    "x": "❌ not delivered",
    "warning": "⚠️ outcome unknown: StoreBridge asks the marketplace before sending again",
    "memo": "📝 internal note, not sent to the buyer",
}
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_DATE = re.compile(r"<!date\^(\d+)\^[^|>]*(?:\|[^>]*)?>")
HELD = "⏳ held: awaiting a manager's approval, not sent yet"
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


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    raw = params.get("blocks")
    if isinstance(raw, str):  # the Web API takes blocks as a JSON string too
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    return [b for b in raw if isinstance(b, dict)] if isinstance(raw, list) else []


def translation_of(blocks: list[dict[str, Any]]) -> str | None:
    """A buyer message's translation: the context just before its Fix button."""
    for before, block in zip(blocks, blocks[1:], strict=False):
        if "translation_fix" in json.dumps(block) and before.get("type") == "context":
            return str((before.get("elements") or [{}])[0].get("text") or "") or None
    return None


def card_facts(blocks: list[dict[str, Any]]) -> list[str]:
    """What a card says that the narration follows: order lines, reply translation."""
    if not any(str(b.get("block_id") or "").startswith("card:") for b in blocks):
        return []
    facts = []
    for block in blocks:
        text = str((block.get("text") or {}).get("text") or "")
        facts += [line for line in text.splitlines() if line.startswith("🧾")]
        for element in block.get("elements") or []:
            if element.get("action_id") == "translate_toggle":
                facts.append(str((element.get("text") or {}).get("text") or ""))
    return facts


class Narrator:
    def __init__(self, channel_names: dict[str, str], out: Callable[[str], None],
                 users: dict[str, str] | None = None) -> None:
        self.channels = channel_names
        self.out = out
        self.users = dict(users or {})
        self._shown: dict[str, list[str]] = {}  # message ts -> the facts said about it
        self._said: dict[str, str] = {}  # message ts -> its text when posted or updated
        self._last: str | None = None  # the message the last line said, if it was one
        #: Channels with an ⏳ not yet said: the channel's next message tells whether
        #: the reply is being sent or held for approval.
        self._sending: list[str] = []

    def readable(self, text: str) -> str:
        """Slack markup as a person reads it: link labels, @names, dates."""
        text = _MENTION.sub(lambda m: "@" + self.users.get(m.group(1), m.group(1)), text)
        text = _DATE.sub(lambda m: time.strftime("%a %H:%M", time.localtime(int(m.group(1)))),
                         text)
        return plain(text)

    def on_call(self, call: CallRecord) -> None:
        p, where = call.params, self.channels.get(str(call.params.get("channel")), "")
        text = self.readable(first_line(p.get("text")))
        channel = str(p.get("channel") or "")
        if channel in self._sending:
            self._sending.remove(channel)
            held = call.method == "chat.postMessage" and "Awaiting approval" in text
            self.out(wrap(f"   {HELD if held else REACTIONS['hourglass_flowing_sand']}"))
        blocks = _blocks(p)
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
        elif call.method == "reactions.add" and p.get("name") == "hourglass_flowing_sand":
            self._sending.append(channel)  # said with what comes next: sending, or held
        elif call.method == "reactions.add":
            meaning = REACTIONS.get(str(p.get("name")), f":{p.get('name')}:")
            self.say(f"   {meaning}")
        elif call.method == "chat.update":
            self._updated(str(p.get("ts") or ""), where, text, blocks)
            return
        ts = str(call.response.get("ts") or "")
        if ts:
            self._said[ts] = text
            self._last = ts
        self._follow(ts, blocks)
        # reactions.remove: the next reaction says what the state became

    def _updated(self, ts: str, where: str, text: str, blocks: list[dict[str, Any]]) -> None:
        if "Translation pending" in json.dumps(blocks, ensure_ascii=False):
            return  # the translation itself is said when it arrives
        # Unchanged words (a request note losing its buttons once answered: the answer is
        # said in the thread), or a buyer message whose only news is its translation.
        quiet = self._said.get(ts) == text or (translation_of(blocks)
                                               and not card_facts(blocks))
        if not quiet:
            self.say(f"   🔄 updated in {where}: {text}")
        self._said[ts] = text
        self._follow(ts, blocks)

    def _follow(self, ts: str, blocks: list[dict[str, Any]]) -> None:
        """Say the translation and card facts that are new for this message; a
        translation that arrives after other lines says which message it belongs to."""
        translation = translation_of(blocks)
        facts = ([f"🌐 translation: {translation.removeprefix('🌐 ')}"] if translation
                 else []) + card_facts(blocks)
        before, beneath = self._shown.get(ts, []), ts and ts == self._last
        for fact in facts:
            if fact in before or fact.startswith("🌐 Translate my replies: off"):
                continue
            if fact.startswith("🌐 translation:") and not beneath:
                fact = fact.replace("translation:", f"translation of “{self._said.get(ts)}”:", 1)
            self.say(f"      {fact}")
        if ts:
            self._shown[ts] = facts
            self._last = ts if beneath else self._last

    def say(self, text: str) -> None:
        self._last = None
        while self._sending:  # the story speaks: what the ⏳ meant is known by now
            self._sending.pop(0)
            self.out(wrap(f"   {REACTIONS['hourglass_flowing_sand']}"))
        self.out(wrap(text))
