"""The ``templates`` table (migration 3), asked by intent."""

from __future__ import annotations

import json

from bot.store.db import Database
from bot.store.template_model import Template

_ORDER = "ORDER BY lower(topic), lower(name)"


class DuplicateTemplate(Exception):
    """Another template already has this topic and name."""


class Templates:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, template_id: int) -> Template | None:
        row = await self.db.one("SELECT * FROM templates WHERE id = ?", template_id)
        return Template.of(row) if row else None

    async def find(self, topic: str, name: str) -> Template | None:
        row = await self.db.one("SELECT * FROM templates WHERE topic = ? AND name = ?", topic, name)
        return Template.of(row) if row else None

    async def all(self) -> list[Template]:
        return [Template.of(r) for r in await self.db.all(f"SELECT * FROM templates {_ORDER}")]

    async def count(self) -> int:
        return int(await self.db.value("SELECT COUNT(*) FROM templates"))

    async def topics(self) -> list[str]:
        return [
            r[0]
            for r in await self.db.all(
                "SELECT topic FROM templates GROUP BY topic ORDER BY lower(topic)"
            )
        ]

    async def search(
        self, query: str = "", *, topic: str | None = None, limit: int = 100
    ) -> list[Template]:
        """Templates whose topic, name, body or any variant contains every word of
        ``query`` (case-insensitive), optionally within one topic."""
        where, args = [], []
        for word in query.split():
            like = f"%{_like_escape(word)}%"
            where.append(
                "(topic LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR "
                "body LIKE ? ESCAPE '\\' OR variants LIKE ? ESCAPE '\\')"
            )
            # variants is JSON with ensure_ascii=False, so non-Latin text matches too
            args += [like, like, like, like]
        if topic:
            where.append("topic = ?")
            args.append(topic)
        sql = "SELECT * FROM templates" + (" WHERE " + " AND ".join(where) if where else "")
        rows = await self.db.all(f"{sql} {_ORDER} LIMIT ?", *args, limit)
        return [Template.of(r) for r in rows]

    async def by_name(self, text: str) -> list[Template]:
        """Exact matches for what an agent typed: ``name`` or ``topic/name``, any case."""
        topic, sep, name = text.partition("/")
        if sep:
            rows = await self.db.all(
                "SELECT * FROM templates WHERE lower(topic) = lower(?) AND lower(name) = lower(?)",
                topic.strip(),
                name.strip(),
            )
        else:
            rows = await self.db.all(
                f"SELECT * FROM templates WHERE lower(name) = lower(?) {_ORDER}", text.strip()
            )
        return [Template.of(r) for r in rows]

    async def upsert(
        self, topic: str, name: str, body: str, variants: dict[str, str], *, by: str | None = None
    ) -> tuple[int, bool]:
        """Insert, or replace the text of the template with this topic and name
        (its usage history stays). Returns ``(id, created)``."""
        now = self.db.clock()
        async with self.db.tx():
            known = await self.find(topic, name)
            if known:
                await self.db.run(
                    "UPDATE templates SET body = ?, variants = ?, updated_at = ? WHERE id = ?",
                    body,
                    _json(variants),
                    now,
                    known.id,
                )
                return known.id, False
            new_id = await self.db.insert(
                "INSERT INTO templates (topic, name, body, variants, created_by, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                topic,
                name,
                body,
                _json(variants),
                by,
                now,
                now,
            )
            assert new_id is not None
            return new_id, True

    async def update(
        self, template_id: int, topic: str, name: str, body: str, variants: dict[str, str]
    ) -> bool:
        async with self.db.tx():
            clash = await self.find(topic, name)
            if clash and clash.id != template_id:
                raise DuplicateTemplate(f"{topic} — {name}")
            changed = await self.db.run(
                "UPDATE templates SET topic = ?, name = ?, body = ?, "
                "variants = ?, updated_at = ? WHERE id = ?",
                topic,
                name,
                body,
                _json(variants),
                self.db.clock(),
                template_id,
            )
            return changed == 1

    async def delete(self, template_id: int) -> bool:
        return await self.db.run("DELETE FROM templates WHERE id = ?", template_id) == 1

    async def mark_used(self, template_id: int, at: float) -> None:
        await self.db.run(
            "UPDATE templates SET usage_count = usage_count + 1, last_used_at = ? WHERE id = ?",
            at,
            template_id,
        )

    async def unused_since(self, cutoff: float) -> list[Template]:
        """Not used since ``cutoff`` (never-used ones count from their creation)."""
        rows = await self.db.all(
            f"SELECT * FROM templates WHERE COALESCE(last_used_at, created_at) < ? {_ORDER}", cutoff
        )
        return [Template.of(r) for r in rows]


def _json(variants: dict[str, str]) -> str:
    return json.dumps(dict(sorted(variants.items())), ensure_ascii=False)


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
