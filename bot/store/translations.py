"""The shared translation memory: each distinct text is translated once, ever.

Rows live in the ``translations`` table, unique per (text_hash, source, target,
provider), so they survive restarts and are shared by every worker. A person's
correction is stored beside the machine's translation and wins from then on, for
that text in that target language, whatever source or provider produced it.
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

    async def lookup(self, key: MemoryKey) -> str | None:
        corrected = await self.db.one(
            "SELECT corrected FROM translations WHERE text_hash = ? AND target = ? AND "
            "corrected IS NOT NULL ORDER BY id DESC LIMIT 1",
            key.text_hash,
            key.target,
        )
        if corrected:
            return str(corrected[0])
        row = await self.db.one(
            "SELECT translated FROM translations WHERE text_hash = ? AND source = ? AND "
            "target = ? AND provider = ?",
            key.text_hash,
            key.source,
            key.target,
            key.provider,
        )
        return str(row[0]) if row else None

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
        self, key: MemoryKey, text: str, corrected: str, by: str, machine: str | None = None
    ) -> None:
        """A person's translation of ``text``; ``machine`` is what was shown before,
        kept as the row's machine translation if the text had none yet."""
        async with self.db.tx():
            await self.db.run(
                "UPDATE translations SET corrected = ?, corrected_by = ? WHERE "
                "text_hash = ? AND target = ?",
                corrected,
                by,
                key.text_hash,
                key.target,
            )
            await self.db.run(
                "INSERT OR IGNORE INTO translations (text_hash, source, target, provider, "
                "text, translated, corrected, corrected_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                key.text_hash,
                key.source,
                key.target,
                key.provider,
                text,
                machine or corrected,
                corrected,
                by,
                self.db.clock(),
            )


async def glossary_terms(db: Database, store_key: str) -> dict[str, str | None]:
    """The ``glossary`` table's terms of one store (or of every store: ``*``)."""
    return {
        r["term"]: r["translation"]
        for r in await db.all(
            "SELECT term, translation FROM glossary WHERE store_key = ?", store_key
        )
    }
