"""Rules checked before anything is sent to Shopee (pure functions, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.errors import RuleViolation

#: Shopee publishes no text limit for send_message (none found in any accessible
#: source); 1000 characters is our conservative default and a constructor argument.
DEFAULT_MAX_TEXT = 1000
NO_API_SITES = frozenset({"TW"})


@dataclass(frozen=True)
class OutgoingContext:
    site: str
    max_length: int = DEFAULT_MAX_TEXT
    max_parts: int = 5  # Shopee allows several messages in a row; more looks like spam


def split_text(text: str, limit: int) -> list[str]:
    """Split at the last newline, else the last space, before ``limit`` characters."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = window.rfind("\n")
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def check_outgoing(text: str, *, context: OutgoingContext) -> list[str]:
    """The messages ``text`` must go out as, or :class:`RuleViolation` in plain words."""
    if context.site.upper() in NO_API_SITES:
        raise RuleViolation(
            "shopee send_message does not support region TW", code="region_tw",
            user_message="Shopee does not allow replies through its API for Taiwan stores; "
                         "reply in Shopee Seller Centre instead.")
    if not text.strip():
        raise RuleViolation("empty text", code="empty",
                            user_message="The reply is empty; nothing was sent.")
    parts = split_text(text, context.max_length)
    if len(parts) > context.max_parts:
        raise RuleViolation(
            f"text of {len(text)} chars needs {len(parts)} messages", code="too_long",
            user_message=f"The reply is {len(text)} characters; Shopee takes at most "
                         f"{context.max_length} characters per message and we send at most "
                         f"{context.max_parts} messages for one reply. Shorten it.")
    return parts


def ensure_single(text: str, *, context: OutgoingContext) -> str:
    """One ``send_text`` is one Shopee message: refuse text that needs splitting."""
    parts = check_outgoing(text, context=context)
    if len(parts) > 1:
        raise RuleViolation(
            f"text of {len(text)} chars exceeds {context.max_length}", code="too_long",
            user_message=f"The reply is {len(text)} characters; Shopee takes at most "
                         f"{context.max_length} characters per message. Split it into "
                         f"{len(parts)} messages or shorten it.")
    return text.strip()
