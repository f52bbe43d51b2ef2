"""Placeholders in a template body: which exist, filling them, and finding the
ones left unfilled (which must never reach a buyer as a literal ``{…}``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Always available from the conversation itself.
CONVERSATION_FIELDS = ("buyer_name", "store", "site", "agent")
#: Available when the orders feature tells us about the buyer's order.
ORDER_FIELDS = ("order_sn", "tracking_no", "order_status", "ship_by")
KNOWN = (*CONVERSATION_FIELDS, *ORDER_FIELDS)

# Any `{word}`: a known name without a value, or a typo such as `{ordr_sn}`, is
# equally wrong to send, so both are caught by the same pattern.
_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Filled:
    text: str
    missing: tuple[str, ...]  # placeholders still in the text, in order of appearance


def names_in(text: str) -> list[str]:
    """Every placeholder name used in ``text``, once each, in order."""
    return list(dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(text)))


def unknown_in(text: str) -> list[str]:
    return [n for n in names_in(text) if n not in KNOWN]


def fill(text: str, values: dict[str, str]) -> Filled:
    """One pass, so a value that itself looks like ``{store}`` is not expanded again;
    empty values count as missing and the placeholder stays for the agent to edit."""
    def replace(m: re.Match[str]) -> str:
        value = values.get(m.group(1))
        return value if value else m.group(0)

    out = _PLACEHOLDER.sub(replace, text)
    return Filled(out, tuple(unfilled(out)))


def unfilled(text: str) -> list[str]:
    return names_in(text)
