"""The author name a buyer's message is posted under (``chat:write.customize``).

Slack cuts ``username`` at 80 characters. Cutting our whole "<name> (buyer)" string
there let a buyer whose name was padded to 80 characters post as any agent, under
an avatar of their choice: the suffix was what got cut. The name is cut first, so
" (buyer)" always shows.
"""

from __future__ import annotations

from connectors.display_text import clean_display_name

USERNAME_LIMIT = 80
BUYER_SUFFIX = " (buyer)"


def utf16_len(text: str) -> int:
    """Length as Slack's clients count it; never less than the code point count."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-16 units, with "…" when cut, never mid-character."""
    if utf16_len(text) <= limit:
        return text
    out, used = [], 1  # room for the ellipsis
    for ch in text:
        used += utf16_len(ch)
        if used > limit:
            break
        out.append(ch)
    return "".join(out).rstrip() + "…"


def buyer_username(name: str) -> str:
    """"<name> (buyer)", at most 80 units, the suffix always whole. The name is cleaned
    again here: conversations stored before names were cleaned at the connector
    boundary still carry what the buyer typed."""
    shown = clean_display_name(name) or "Buyer"
    return fit(shown, USERNAME_LIMIT - utf16_len(BUYER_SUFFIX)) + BUYER_SUFFIX
