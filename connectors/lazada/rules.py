"""Lazada's sending rules, checked before anything goes out (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.errors import RuleViolation

#: UNKNOWN in the docs: no maximum is published for ``txt``. Configurable on the connector.
DEFAULT_MAX_TEXT_LENGTH = 1000

#: "If the buyer has not replied within a day, the seller can send at most 5 messages."
MAX_UNANSWERED = 5


@dataclass(frozen=True)
class SendContext:
    """What the caller knows about the conversation.

    ``unanswered`` counts seller messages since the buyer last wrote;
    ``buyer_silent_for_a_day`` is true when that was more than a day ago.
    """

    unanswered: int = 0
    buyer_silent_for_a_day: bool = False


def check_outgoing(
    text: str,
    *,
    context: SendContext | None = None,
    max_length: int = DEFAULT_MAX_TEXT_LENGTH,
) -> list[str]:
    """The messages to send for ``text``, split to fit Lazada's limit.

    Raises :class:`RuleViolation` when nothing may be sent.
    """
    context = context or SendContext()
    if not text.strip():
        raise RuleViolation("empty text", code="EmptyText",
                            user_message="An empty reply cannot be sent to a Lazada buyer.")
    chunks = split_text(text, max_length)
    if context.buyer_silent_for_a_day and context.unanswered + len(chunks) > MAX_UNANSWERED:
        left = max(0, MAX_UNANSWERED - context.unanswered)
        raise RuleViolation(
            "lazada 5-message cap without a buyer reply",
            code="SEND_LIMIT_WITHOUT_REPLY",
            user_message=(
                f"Lazada allows at most {MAX_UNANSWERED} messages while the buyer has not "
                f"replied for a day; {left} left, this reply needs {len(chunks)}."
            ),
        )
    return chunks


def split_text(text: str, max_length: int) -> list[str]:
    """Cut at the last line break, else the last space, before each limit."""
    chunks: list[str] = []
    rest = text
    while len(rest) > max_length:
        window = rest[: max_length + 1]
        cut = window.rfind("\n")
        if cut <= 0:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = max_length
        head = rest[:cut].rstrip()
        rest = rest[cut:].lstrip()
        if head:
            chunks.append(head)
    if rest.strip():
        chunks.append(rest)
    return chunks


def too_long(text: str, max_length: int) -> RuleViolation:
    return RuleViolation(
        f"text of {len(text)} characters exceeds {max_length}",
        code="TextTooLong",
        user_message=(
            f"The reply is {len(text)} characters; Lazada takes at most {max_length} per "
            "message. Split it into several messages."
        ),
    )
