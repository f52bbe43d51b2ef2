"""Priority keywords: words that make a manager want to look now, in the buyers'
languages (the lexicon is in :mod:`bot.team.priority_lexicon`), plus the words a
team adds in ``priority_keywords:``."""

from __future__ import annotations

import re
import unicodedata

from bot.team.priority_lexicon import NOT_PRIORITY, PRIORITY

# Languages whose buyers often drop accents ("devolucao", "cancelacion"): their words
# are also looked for in the text with accents removed. Not Vietnamese: without its
# marks "hủy" (cancel) becomes "huy", which is also "medal".
_ACCENTLESS = frozenset({"pt", "es"})


def _is_spaced(word: str) -> bool:
    """Latin and Vietnamese script separate words with spaces; Thai and CJK do not."""
    return all(ord(ch) < 0x0E00 for ch in word)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _compile(pattern: str, *, spaced: bool) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)" if spaced else pattern)


def _prepare(text: str) -> str:
    # NFC first: a Vietnamese "ủ" typed as u + combining marks must match the lexicon
    return unicodedata.normalize("NFC", text).casefold()


class PriorityWords:
    def __init__(self, extra: tuple[str, ...] = ()) -> None:
        # (label, pattern, look in the accentless text too)
        self._patterns: list[tuple[str, re.Pattern[str], bool]] = []
        for label, by_language in PRIORITY.items():
            for language, patterns in by_language.items():
                for p in patterns:
                    self._patterns.append((label, _compile(p, spaced=_is_spaced(p)), False))
                    if language in _ACCENTLESS and _strip_accents(p) != p:
                        self._patterns.append(
                            (label, _compile(_strip_accents(p), spaced=True), True))
        for word in extra:
            w = _prepare(word)
            spaced = _is_spaced(w)
            # a team's own word: the word and short endings ("broken" → "brokenn")
            pattern = rf"{re.escape(w)}\w{{0,3}}" if spaced else re.escape(w)
            self._patterns.append((w, _compile(pattern, spaced=spaced), False))
        self._negatives = [_compile(n, spaced=_is_spaced(n)) for n in NOT_PRIORITY]
        self._negatives += [_compile(_strip_accents(n), spaced=_is_spaced(n))
                            for n in NOT_PRIORITY if _strip_accents(n) != n]

    def _blank_negatives(self, text: str) -> str:
        for negative in self._negatives:
            text = negative.sub(lambda m: " " * len(m.group(0)), text)
        return text

    def find(self, text: str) -> list[str]:
        """Labels (e.g. "refund") of the priority words in ``text``."""
        folded = self._blank_negatives(_prepare(text))
        bare = self._blank_negatives(_strip_accents(folded))
        return sorted({label for label, p, accentless in self._patterns
                       if p.search(bare if accentless else folded)})
