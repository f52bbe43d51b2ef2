"""Glossary terms (brands, SKUs, size words) that a provider must not touch.

A term maps to None (never translated: kept as written) or to a fixed rendering.
Before the provider call each occurrence is replaced by an opaque token
(``⟦0⟧``); afterwards the token becomes the kept term or its fixed rendering.
The same rule applies in both directions (buyer → team and reply → buyer).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import Settings
from bot.store.db import Database
from bot.store.translations import glossary_terms

Terms = Mapping[str, str | None]
GLOBAL = "*"  # the glossary table's store_key for terms of every store
_TOKEN = re.compile(r"⟦\s*(\d+)\s*⟧")


@dataclass(frozen=True)
class Masked:
    text: str  # what the provider sees
    slots: tuple[str, ...]  # token i comes back as slots[i]
    used: tuple[tuple[str, str | None], ...]  # the terms found: part of the memory key

    def restore(self, translated: str) -> str:
        def back(m: re.Match[str]) -> str:
            i = int(m.group(1))
            return self.slots[i] if i < len(self.slots) else m.group(0)
        return _TOKEN.sub(back, translated)

    def lost_tokens(self, translated: str) -> int:
        """Tokens the provider dropped or mangled (their terms are then missing)."""
        kept = {int(m.group(1)) for m in _TOKEN.finditer(translated)}
        return len(set(range(len(self.slots))) - kept)


def mask(text: str, terms: Terms) -> Masked:
    """Protect every occurrence of a term (whole words, any case; longest first)."""
    if not terms:
        return Masked(text, (), ())
    by_fold = {t.casefold(): (t, v) for t, v in terms.items() if t.strip()}
    alternatives = sorted(by_fold, key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in alternatives),
                         re.IGNORECASE)
    slots: list[str] = []
    used: set[tuple[str, str | None]] = set()

    def token(m: re.Match[str]) -> str:
        term, value = by_fold[m.group(0).casefold()]
        used.add((term, value))
        slots.append(m.group(0) if value is None else value)
        return f"⟦{len(slots) - 1}⟧"

    masked = pattern.sub(token, text)
    return Masked(masked, tuple(slots), tuple(sorted(used, key=lambda u: (u[0], u[1] or ""))))


class Glossary:
    """Terms from the config (global, per store) and the ``glossary`` table; for one
    store: config global < table global < config store < table store."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.db = database

    async def terms(self, store_key: str | None = None) -> dict[str, str | None]:
        merged: dict[str, str | None] = dict(self.settings.translation.glossary)
        merged.update(await glossary_terms(self.db, GLOBAL))
        if store_key is not None:
            store = next((s for s in self.settings.stores if s.key == store_key), None)
            if store is not None:
                merged.update(store.glossary)
            merged.update(await glossary_terms(self.db, store_key))
        return merged

