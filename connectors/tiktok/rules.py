"""TikTok's rules for an outgoing text, checked before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.errors import RuleViolation
from connectors.tiktok.errors import CODES

#: TEXT content may hold at most 2000 characters.
MAX_TEXT_LENGTH = 2000
_LIMIT_WORDS = (f"TikTok Shop allows at most {MAX_TEXT_LENGTH} characters in one chat "
                "message.")


@dataclass(frozen=True)
class SendContext:
    """What is known about the conversation. ``can_send_message`` comes from the
    conversation list; ``split`` allows breaking a long text into several messages."""

    can_send_message: bool | None = None
    split: bool = True


def text_length(text: str) -> int:
    """Length as TikTok may count it. We count UTF-16 units (an emoji is two), which
    is never less than the number of characters, so a text we accept always fits."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """How many leading characters of ``text`` fit into ``limit`` UTF-16 units."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """Split at paragraph, line or word breaks where possible."""
    parts: list[str] = []
    rest = text
    while text_length(rest) > limit:
        cut = _fit(rest, limit)
        window = rest[:cut]
        for sep in ("\n\n", "\n", " "):
            at = window.rfind(sep)
            if at > cut // 2:
                cut = at
                break
        chunk = rest[:cut].rstrip()
        if chunk:
            parts.append(chunk)
        rest = rest[cut:].lstrip()
    if rest.strip():
        parts.append(rest)
    return parts


def check_outgoing(text: str, *, context: SendContext = SendContext()) -> list[str]:
    """The messages to send for ``text``, or :class:`RuleViolation` naming the rule."""
    if not text or not text.strip():
        raise RuleViolation("empty text", user_message="An empty message cannot be sent.")
    if context.can_send_message is False:
        raise RuleViolation("can_send_message is false", code="45109001",
                            user_message=CODES[45109001].words)
    if text_length(text) <= MAX_TEXT_LENGTH:
        return [text]
    if not context.split:
        raise RuleViolation(f"text of {text_length(text)} characters", code="length",
                            user_message=f"{_LIMIT_WORDS} This reply has "
                                         f"{text_length(text)}; shorten or split it.")
    return split_text(text)
