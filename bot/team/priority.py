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


# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, CJK.
_UNSPACED = re.compile(r"[\u0E00-\u0EFF\u1000-\u109F\u1780-\u17FF\u2E80-\u9FFF\uF900-\uFAFF]")


def _is_spaced(word: str) -> bool:
    """Latin script, Vietnamese included (its "ủ" is U+1EE7), separates words with
    spaces: those words match whole ("hủy" must not match inside "thủy", water)."""
    return _UNSPACED.search(word) is None


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def _bounded(pattern: str) -> str:
    return f"(?:{pattern})"


def _prepare(text: str) -> str:
    # NFC first: a Vietnamese "ủ" typed as u + combining marks must match the lexicon
    return unicodedata.normalize("NFC", text).casefold()


def _alternation(patterns: list[str]) -> re.Pattern[str] | None:
    """One regex per label and text form: a dozen searches a message, not hundreds.
    Word bounds are checked once around all spaced words (fast inside long words)."""
    spaced = [p for p in patterns if _is_spaced(p)]
    others = [p for p in patterns if not _is_spaced(p)]
    parts = ([rf"(?<!\w)(?:{'|'.join(spaced)})(?!\w)"] if spaced else []) + others
    return re.compile("|".join(parts)) if parts else None


class PriorityWords:
    def __init__(self, extra: tuple[str, ...] = ()) -> None:
        # label -> patterns for the text as written, and for the text without accents
        written: dict[str, list[str]] = {}
        bare: dict[str, list[str]] = {}
        for label, by_language in PRIORITY.items():
            for language, patterns in by_language.items():
                for p in patterns:
                    written.setdefault(label, []).append(_bounded(p))
                    if language in _ACCENTLESS and _strip_accents(p) != p:
                        bare.setdefault(label, []).append(_bounded(_strip_accents(p)))
        for word in extra:
            w = _prepare(word)
            # a team's own word: the word and short endings ("broken" → "brokenn")
            pattern = rf"{re.escape(w)}\w{{0,3}}" if _is_spaced(w) else re.escape(w)
            written.setdefault(w, []).append(_bounded(pattern))
        self._written = {k: _alternation(v) for k, v in written.items()}
        self._bare = {k: _alternation(v) for k, v in bare.items()}
        negatives = [_bounded(n) for n in NOT_PRIORITY]
        negatives += [_bounded(_strip_accents(n)) for n in NOT_PRIORITY
                      if _strip_accents(n) != n]
        self._negative = _alternation(negatives)

    def _blank_negatives(self, text: str) -> str:
        if self._negative is None:
            return text
        return self._negative.sub(lambda m: " " * len(m.group(0)), text)

    def find(self, text: str) -> list[str]:
        """Labels (e.g. "refund") of the priority words in ``text``."""
        prepared = _prepare(text)
        folded = self._blank_negatives(prepared)
        labels = {k for k, p in self._written.items() if p and p.search(folded)}
        if self._bare:
            stripped = _strip_accents(prepared)
            bare = folded if stripped == prepared else self._blank_negatives(stripped)
            labels |= {k for k, p in self._bare.items() if p and p.search(bare)}
        return sorted(labels)
