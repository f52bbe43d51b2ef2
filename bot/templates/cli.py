"""``storebridge templates import|export FILE.yml`` (the lead wires the subcommands)."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.store import Store
from bot.templates.repository import Templates
from bot.templates.yaml_io import TemplateEntry, TemplateFileError, dump, parse
from bot.yaml_strict import decode


def import_templates(settings: Settings, path: str | Path) -> int:
    """Read a template file into the database, upserting by topic + name, and return
    how many entries it held. Nothing is written unless every entry is valid
    (:class:`~bot.templates.yaml_io.TemplateFileError` lists every problem)."""
    path = Path(path)
    entries = parse(decode(path.read_bytes(), str(path), TemplateFileError), str(path))
    store = Store(settings.db_path)
    try:
        repo = Templates(store.database)
        with store.database.tx():
            for e in entries:
                repo.upsert(e.topic, e.name, e.body, e.variants, by="import")
    finally:
        store.close()
    return len(entries)


def export_templates(settings: Settings, path: str | Path) -> int:
    """Write every template to ``path`` in the import format; returns how many."""
    store = Store(settings.db_path)
    try:
        entries = [TemplateEntry(t.topic, t.name, t.body, t.variants)
                   for t in Templates(store.database).all()]
    finally:
        store.close()
    Path(path).write_text(dump(entries), encoding="utf-8")
    return len(entries)
