"""What the reply guard looks for in a typed reply, and its switch.

Pure functions (no store, no Slack): the language a reply is written in, when it is
long enough to say, and the tokens in it that may be order numbers. ``reply_guard:``
at the top of the config or per store turns the guard (or one of its checks) off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.config_checker import Checker
from bot.language import FAMILIES, detect, normalize

# Slack markup (<@U1>, <https://x|label>, :emoji:), links, e-mails and any token with a
# digit in it (order numbers, tracking numbers, prices): none of it is language, and
# an order id's letters ("231114B3M8XR2P") would only confuse the detector.
_NOISE = re.compile(r"<[^>\s]*(?:\|[^>]*)?>|:[a-z0-9_+'-]+:|https?://\S+|www\.\S+|\S+@\S+"
                    r"|\S*\d\S*")
_LATIN_WORD = re.compile(r"[^\W\d_]+")
MIN_WORDS = 3  # stricter than detection's own floor: a guard that nags gets turned off
MIN_LETTERS = 12
#: Order numbers: Shopee "231114B3M8XR2P", Lazada and TikTok all digits (15-18).
_ORDER_TOKEN = re.compile(r"(?<![\w-])#?([A-Za-z0-9][A-Za-z0-9-]{5,39})(?![\w-])")
MAX_ORDER_TOKENS = 8


@dataclass(frozen=True)
class GuardConfig:
    enabled: bool = True
    language: bool = True  # the reply's language is neither the buyer's nor translated
    orders: bool = True  # another buyer's order number, another store's name or shop id

    @property
    def checks_language(self) -> bool:
        return self.enabled and self.language

    @property
    def checks_orders(self) -> bool:
        return self.enabled and self.orders


def reply_language(text: str) -> str | None:
    """The language of an agent's reply, only when the text is long enough to say
    and the detector is sure; None for "ok", "👍", an order number, a link."""
    cleaned = _NOISE.sub(" ", text)
    letters = sum(ch.isalpha() for ch in cleaned)
    latin = sum(ch.isascii() and ch.isalpha() for ch in cleaned)
    if latin * 2 >= letters:  # space-separated words: count them
        if letters < MIN_LETTERS or len(_LATIN_WORD.findall(cleaned)) < MIN_WORDS:
            return None
    elif letters < 4:  # Thai, Chinese: no spaces, so characters
        return None
    return detect(cleaned)


def same_language(a: str | None, b: str | None) -> bool:
    """Same primary language, or two the detector cannot tell apart (ms/id)."""
    x, y = normalize(a), normalize(b)
    if not x or not y:
        return False
    x, y = x.split("-")[0], y.split("-")[0]
    return x == y or any({x, y} <= family for family in FAMILIES)


def order_tokens(text: str) -> list[str]:
    """Tokens that could be order numbers: 6-40 letters, digits and dashes with at
    least four digits (so "refund" or "size-M" are not looked up)."""
    found: list[str] = []
    for m in _ORDER_TOKEN.finditer(_strip_links(text)):
        token = m.group(1)
        if sum(ch.isdigit() for ch in token) >= 4 and token not in found:
            found.append(token)
    return found[:MAX_ORDER_TOKENS]


def _strip_links(text: str) -> str:
    return re.sub(r"<[^>\s]*(?:\|[^>]*)?>|https?://\S+", " ", text)


def names_in(text: str, names: list[str]) -> str | None:
    """The first of ``names`` the text names as a whole phrase (any case)."""
    for name in names:
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE):
            return name
    return None


def read_reply_guard(c: Checker, key: str, raw: Any) -> GuardConfig | None:
    """``reply_guard: {enabled, language, orders}``; None when absent."""
    if raw is None:
        return None
    t = c.mapping(key, raw, {"enabled", "language", "orders"})
    flags: dict[str, bool] = {}
    for name in ("enabled", "language", "orders"):
        value = t.get(name, True)
        if not isinstance(value, bool):
            c.problem(f"{key}.{name}", f"expected true or false, got {value!r}")
            value = True
        flags[name] = value
    return GuardConfig(**flags)
