"""``storebridge templates import|export FILE.yml`` (the lead wires the subcommands)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.config import Settings
from bot.store import Store
from bot.store.templates import Templates
from bot.templates.yaml_io import TemplateEntry, TemplateFileError, dump, parse
from bot.yaml_strict import decode


async def import_templates(settings: Settings, path: str | Path) -> int:
    """Read a template file into the database, upserting by topic + name, and return
    how many entries it held. Nothing is written unless every entry is valid
    (:class:`~bot.templates.yaml_io.TemplateFileError` lists every problem)."""
    path = Path(path)
    entries = parse(decode(path.read_bytes(), str(path), TemplateFileError), str(path))
    store = await Store.open(settings.database)
    try:
        repo = Templates(store.database)
        async with store.database.tx():
            for e in entries:
                await repo.upsert(e.topic, e.name, e.body, e.variants, by="import")
    finally:
        await store.close()
    return len(entries)


async def export_templates(settings: Settings, path: str | Path) -> int:
    """Write every template to ``path`` in the import format; returns how many."""
    store = await Store.open(settings.database)
    try:
        entries = [TemplateEntry(t.topic, t.name, t.body, t.variants)
                   for t in await Templates(store.database).all()]
    finally:
        await store.close()
    await asyncio.to_thread(Path(path).write_text, dump(entries), encoding="utf-8")
    return len(entries)
