"""Text crossing between buyers and Slack.

Buyer text is data: it is escaped so it can never mention anyone, link, or
format. Agent text going to a buyer is plain: Slack's markup is resolved into
what a person would read.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_ZWJ = "\u2060"  # word joiner: invisible, breaks Slack's @keyword matching
# mrkdwn has no escape character, so the markup characters are swapped for ones that
# look alike but mean nothing to Slack: deterministic, whatever Slack's rules for
# word boundaries are (a zero-width space next to `*` is known to *enable* bold
# mid-word, so inserting one is not a safe escape).
_LOOK_ALIKE = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u02dc", "`": "\u02cb"})
_QUOTE_START = re.compile(r"^(\s*)&gt;", re.MULTILINE)
_SHORTCODE_START = re.compile(r":(?=[a-z0-9_+\-])", re.IGNORECASE)


def escape_untrusted(text: str) -> str:
    """Escape buyer-controlled text for any Slack text field (mrkdwn or fallback):
    it can neither mention, link with ``<...>``, nor format (bold, italic, strike,
    code, quote, emoji shortcodes)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.translate(_LOOK_ALIKE)
    text = _QUOTE_START.sub(lambda m: m.group(1) + _ZWJ + "&gt;", text)
    text = _SHORTCODE_START.sub(":" + _ZWJ, text)
    return _BROADCAST.sub(lambda m: "@" + _ZWJ + m.group(1), text)


def escape_mrkdwn(text: str) -> str:
    """Kept for its callers: :func:`escape_untrusted` is now inert as mrkdwn too."""
    return escape_untrusted(text)


def plain_for_buyer(text: str) -> str:
    """Only the characters a buyer should see: untrusted text stays verbatim
    in plain_text blocks, but control characters are dropped."""
    return "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32)


# --- Slack mrkdwn -> plain text for buyers ---------------------------------

UserNames = Callable[[str], Awaitable[str]]

_ANGLE = re.compile(r"<([^<>]+)>")
_CODE_BLOCK = re.compile(r"```\n?(.*?)\n?```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
_QUOTE = re.compile(r"^&gt; ?", re.MULTILINE)
_EMOJI = {
    "slightly_smiling_face": "🙂", "smile": "😄", "smiley": "😃", "grinning": "😀",
    "blush": "😊", "wink": "😉", "pray": "🙏", "thumbsup": "👍", "+1": "👍",
    "heart": "❤️", "ok_hand": "👌", "tada": "🎉", "package": "📦", "truck": "🚚",
    "white_check_mark": "✅", "sob": "😭", "joy": "😂", "wave": "👋", "star": "⭐",
}
_SHORTCODE = re.compile(r":([a-z0-9_+\-]+):")


async def slack_to_plain(text: str, user_name: UserNames) -> str:
    """Resolve mentions to names, links to URLs, strip formatting, unescape."""
    text = _CODE_BLOCK.sub(lambda m: m.group(1), text)
    text = _INLINE_CODE.sub(lambda m: m.group(1), text)
    for pattern in (_BOLD, _ITALIC, _STRIKE):
        text = pattern.sub(lambda m: m.group(1), text)
    text = _QUOTE.sub("", text)
    text = _SHORTCODE.sub(lambda m: _EMOJI.get(m.group(1), m.group(0)), text)

    parts: list[str] = []
    pos = 0
    for m in _ANGLE.finditer(text):
        parts.append(text[pos:m.start()])
        parts.append(await _resolve_angle(m.group(1), user_name))
        pos = m.end()
    parts.append(text[pos:])
    text = "".join(parts)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


async def _resolve_angle(inner: str, user_name: UserNames) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label or await user_name(target[1:]))
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!subteam^"):
        return label or "@team"
    if target.startswith("!date^"):
        return label or ""
    if target.startswith("!"):
        return "@" + target[1:]  # <!here> -> @here: harmless words on the marketplace
    if target.startswith("mailto:"):
        return label or target[len("mailto:"):]
    if label and label != target:
        return f"{label} ({target})"
    return target
