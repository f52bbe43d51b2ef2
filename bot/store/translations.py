"""The shared translation memory: each distinct text is translated once, ever.

Machine translations live in the ``translations`` table, unique per (text_hash,
source, target, provider), so they survive restarts and are shared by every worker.
A person's correction belongs to their team (``translation_corrections``, one row
per text, target language and scope: the store's group, or the store when it has
none) and wins, for that team only, whatever source or provider produced the text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from bot.store.db import Database


@dataclass(frozen=True)
class MemoryKey:
    text_hash: str
    source: str
    target: str
    provider: str


def text_hash(text: str, used_terms: tuple[tuple[str, str | None], ...] = ()) -> str:
    """The text's identity. The glossary terms found in it are part of it: a term
    added (or another store's term) means a different translation."""
    material = (
        text if not used_terms else (text + "\x00" + json.dumps(used_terms, ensure_ascii=False))
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class TranslationMemory:
    def __init__(self, database: Database) -> None:
        self.db = database

    async def lookup(self, key: MemoryKey, scope: str | None = None) -> str | None:
        """The team's correction first (``scope``: see bot/authz.py), then one made
        before corrections had an owner (scope '*'), then the machine's."""
        found = await self.correction(key, scope)
        if found:
            return found[0]
        row = await self.db.one(
            "SELECT translated FROM translations WHERE text_hash = ? AND source = ? AND "
            "target = ? AND provider = ?",
            key.text_hash,
            key.source,
            key.target,
            key.provider,
        )
        return str(row[0]) if row else None

    async def correction(self, key: MemoryKey, scope: str | None) -> tuple[str, str | None] | None:
        """(corrected text, who corrected it) as ``scope`` reads it, or None."""
        for wanted in (scope, "*"):
            if wanted is None:
                continue
            row = await self.db.one(
                "SELECT corrected, corrected_by FROM translation_corrections WHERE "
                "text_hash = ? AND target = ? AND scope = ?",
                key.text_hash,
                key.target,
                wanted,
            )
            if row:
                return str(row[0]), row[1]
        return None

    async def save(self, key: MemoryKey, text: str, translated: str) -> None:
        """First writer wins: another worker may have stored the same text meanwhile."""
        await self.db.run(
            "INSERT OR IGNORE INTO translations (text_hash, source, target, provider, text, "
            "translated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            key.text_hash,
            key.source,
            key.target,
            key.provider,
            text,
            translated,
            self.db.clock(),
        )

    async def correct(
        self, key: MemoryKey, text: str, corrected: str, by: str, *, scope: str,
        machine: str | None = None,
    ) -> None:
        """A person's translation of ``text`` for their team (``scope``); ``machine``
        is what was shown before, kept as the machine translation if there was none."""
        now = self.db.clock()
        async with self.db.tx():
            await self.db.run(
                "INSERT INTO translation_corrections (text_hash, target, scope, corrected, "
                "corrected_by, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (text_hash, target, scope) DO UPDATE SET "
                "corrected = excluded.corrected, corrected_by = excluded.corrected_by, "
                "created_at = excluded.created_at",
                key.text_hash,
                key.target,
                scope,
                corrected,
                by,
                now,
            )
            await self.db.run(
                "INSERT OR IGNORE INTO translations (text_hash, source, target, provider, "
                "text, translated, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                key.text_hash,
                key.source,
                key.target,
                key.provider,
                text,
                machine or corrected,
                now,
            )


async def glossary_terms(db: Database, store_key: str) -> dict[str, str | None]:
    """The ``glossary`` table's terms of one store (or of every store: ``*``)."""
    return {
        r["term"]: r["translation"]
        for r in await db.all(
            "SELECT term, translation FROM glossary WHERE store_key = ?", store_key
        )
    }
