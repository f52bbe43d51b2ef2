"""Template files: import (validated, upsert by topic + name), export that reads back
identically, and the shipped example file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.store import Store
from bot.store.templates import Templates
from bot.templates.cli import export_templates, import_templates
from bot.templates.placeholders import KNOWN, names_in
from bot.templates.yaml_io import TemplateFileError

EXAMPLE = Path(__file__).parent.parent / "bot" / "templates" / "example_templates.yml"
LANGUAGES = {"vi", "th", "ms", "id", "zh"}
TOPICS = {"Shipping status", "Returns", "Refunds", "Sizing", "Promotions", "Address change"}


async def rows(db: str) -> list[tuple]:
    store = await Store.open(db)
    try:
        return [(t.topic, t.name, t.body,
                 t.variants) for t in await Templates(store.database).all()]
    finally:
        await store.close()


async def test_example_file_imports_and_round_trips(tmp_path: Path) -> None:
    first = Settings(db_path=str(tmp_path / "a.db"))
    count = await import_templates(first, EXAMPLE)
    templates = await rows(first.db_path)
    assert count == len(templates) >= 6
    assert {t[0] for t in templates} == TOPICS
    for topic, name, body, variants in templates:
        assert set(variants) == LANGUAGES, (topic, name)
        used = set(names_in(body))
        assert "buyer_name" in used and used <= set(KNOWN)
        for text in variants.values():  # every language says the same things
            assert set(names_in(text)) == used, (topic, name, text)

    exported = tmp_path / "out.yml"
    assert await export_templates(first, exported) == count
    second = Settings(db_path=str(tmp_path / "b.db"))
    assert await import_templates(second, exported) == count
    assert await rows(second.db_path) == templates
    again = tmp_path / "again.yml"
    await export_templates(second, again)
    assert again.read_text(encoding="utf-8") == exported.read_text(encoding="utf-8")


async def test_import_upserts_by_topic_and_name_keeping_usage(tmp_path: Path) -> None:
    settings = Settings(db_path=str(tmp_path / "t.db"))
    path = tmp_path / "t.yml"
    path.write_text("- {topic: Refunds, name: Approved, body: 'Done, {buyer_name}.'}\n",
                    encoding="utf-8")
    await import_templates(settings, path)
    store = await Store.open(settings.db_path)
    await Templates(store.database).mark_used(1, 123.0)
    await store.close()
    path.write_text("- topic: Refunds\n  name: Approved\n  body: |\n    Line one\n    Line two\n"
                    "  variants: {TH: 'คืนเงินแล้วค่ะ'}\n", encoding="utf-8")
    await import_templates(settings, path)
    store = await Store.open(settings.db_path)
    [t] = await Templates(store.database).all()
    await store.close()
    assert (t.body, t.variants, t.usage_count) == ("Line one\nLine two\n",
                                                   {"th": "คืนเงินแล้วค่ะ"}, 1)
    out = tmp_path / "out.yml"
    await export_templates(settings, out)
    assert "body: |\n    Line one\n    Line two\n" in out.read_text(encoding="utf-8")


async def test_invalid_file_names_every_bad_entry_and_writes_nothing(tmp_path: Path) -> None:
    settings = Settings(db_path=str(tmp_path / "t.db"))
    path = tmp_path / "bad.yml"
    path.write_text(
        "- {topic: Logistics, name: Fine, body: 'ok {store}'}\n"
        "- {topic: Logistics, name: Typo, body: 'Hi {buyer}'}\n"
        "- {topic: Logistics, name: NoBody}\n"
        "- {topic: Refunds, name: Langs, body: x, variants: {Thai: y, vi: ''}}\n"
        "- {topic: Logistics, name: Fine, body: again, colour: red}\n"
        "- just text\n", encoding="utf-8")
    with pytest.raises(TemplateFileError) as err:
        await import_templates(settings, path)
    found = err.value.problems
    assert any(p.startswith("entry 2 (Logistics / Typo): body uses unknown placeholder(s) "
                            "{buyer}") for p in found)
    assert "entry 3 (Logistics / NoBody): body is required (text)" in found
    assert any(p.startswith("entry 4 (Refunds / Langs): variants.thai is not a language code")
               for p in found)
    assert "entry 4 (Refunds / Langs): variants.vi is required (text)" in found
    assert any(p.startswith("entry 5 (Logistics / Fine): unknown key 'colour'") for p in found)
    assert "entry 6: expected a mapping with topic, name, body" in found
    assert str(path) in str(err.value)
    assert await rows(settings.db_path) == []

    path.write_text("- {topic: A, name: B, body: x}\n- {topic: A, name: B, body: y}\n",
                    encoding="utf-8")
    with pytest.raises(TemplateFileError, match="entry 2 \\(A / B\\): same topic and name as "
                                                 "entry 1"):
        await import_templates(settings, path)
    path.write_text("topic: A\n", encoding="utf-8")
    with pytest.raises(TemplateFileError, match="expected a list of templates"):
        await import_templates(settings, path)
