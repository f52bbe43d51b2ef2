"""Template files: a YAML list of ``{topic, name, body, variants: {vi: …, th: …}}``.

Reading validates every entry and reports every problem at once, each naming
its entry; writing produces a file that reads back to exactly the same templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.problems import ProblemsError
from bot.templates.validate import problems
from bot.yaml_strict import load_text

_ENTRY_KEYS = ("topic", "name", "body", "variants")


class TemplateFileError(ProblemsError):
    """Raised with every problem found; ``problems`` holds one line each."""

    noun = "template problem"


@dataclass(frozen=True)
class TemplateEntry:
    topic: str
    name: str
    body: str
    variants: dict[str, str] = field(default_factory=dict)


def parse(text: str, source: str = "<templates>") -> list[TemplateEntry]:
    data = load_text(text, source, TemplateFileError)  # repeated keys are errors too
    if data is None:
        return []
    if not isinstance(data, list):
        raise TemplateFileError(source, ["expected a list of templates "
                                         "(- topic: …, name: …, body: …)"])
    found: list[str] = []
    entries: list[TemplateEntry] = []
    seen: dict[tuple[str, str], int] = {}
    for i, raw in enumerate(data, start=1):
        where = _where(i, raw)
        if not isinstance(raw, dict):
            found.append(f"{where}: expected a mapping with topic, name, body")
            continue
        found += [f"{where}: unknown key {k!r} (expected one of: {', '.join(_ENTRY_KEYS)})"
                  for k in raw if k not in _ENTRY_KEYS]
        variants = raw.get("variants")
        if isinstance(variants, dict):  # YAML reads `no:` or `id:` keys fine; codes are text
            variants = {str(k).lower() if isinstance(k, str) else k: v
                        for k, v in variants.items()}
        issues = problems(raw.get("topic"), raw.get("name"), raw.get("body"), variants)
        found += [f"{where}: {key} {message}" for key, message in issues]
        if issues or any(k not in _ENTRY_KEYS for k in raw):
            continue
        entry = TemplateEntry(raw["topic"].strip(), raw["name"].strip(), raw["body"],
                              dict(variants or {}))
        key = (entry.topic, entry.name)
        if key in seen:
            found.append(f"{where}: same topic and name as entry {seen[key]}")
            continue
        seen[key] = i
        entries.append(entry)
    if found:
        raise TemplateFileError(source, found)
    return entries


def dump(entries: list[TemplateEntry]) -> str:
    data = [{"topic": e.topic, "name": e.name, "body": e.body,
             **({"variants": dict(sorted(e.variants.items()))} if e.variants else {})}
            for e in entries]
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100)


def _where(index: int, raw: Any) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("topic"), str) \
            and isinstance(raw.get("name"), str):
        return f"entry {index} ({raw['topic']} / {raw['name']})"
    return f"entry {index}"


class _Dumper(yaml.SafeDumper):
    """Multi-line text as ``|`` blocks so exported files stay readable and editable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    # PyYAML falls back to a quoted style by itself when a block cannot hold the
    # text exactly (trailing spaces, tabs), so the round trip stays exact.
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
