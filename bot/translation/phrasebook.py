"""``provider: demo``: an offline phrasebook, for ``storebridge demo`` and the sandbox.

It knows the sandbox buyers' fixed lines and the demo's agent replies
(:mod:`bot.translation.phrases`), and the demo's quick replies in every
language they have (the example templates, whatever fills their placeholders);
nothing else: any other text fails as
an untranslatable one does with a real provider (the message stays as written,
a reply goes out as typed), and says why. It is never a default: only
``translation: {provider: demo}`` selects it, and ``storebridge check`` flags it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from bot.translation.phrases import PHRASES

NAME = "demo"
WHAT = ("the demo phrasebook: offline, it knows only the sandbox buyers' lines and the "
        "demo's replies; use google, deepl, microsoft or libre for real buyers")


class NotInPhrasebook(LookupError):
    """The text is not one the phrasebook knows; ``str()`` says so in plain words."""


def _key(text: str) -> str:
    return " ".join(text.split())


_INDEX: dict[tuple[str, str], list[dict[str, str]]] = {}
for _entry in PHRASES:
    for _lang, _text in _entry.items():
        _INDEX.setdefault((_lang, _key(_text)), []).append(_entry)


TEMPLATES = Path(__file__).parents[1] / "templates" / "example_templates.yml"
_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
Variants = dict[str, tuple[re.Pattern[str], str]]  # language -> (pattern, text)


def _pattern(text: str) -> re.Pattern[str]:
    """``{buyer_name} 您好…`` matches ``Lim Wei Ming 您好…``, capturing the name."""
    parts, seen, rx = _PLACEHOLDER.split(text), set(), ""
    for i, part in enumerate(parts):
        if i % 2 == 0:
            rx += re.escape(part)
        elif part in seen:
            rx += f"(?P={part})"
        else:
            seen.add(part)
            rx += f"(?P<{part}>.+?)"
    return re.compile(rx)


@functools.cache
def _templates() -> list[Variants]:
    """The demo's quick replies (read once, when a text is not in the phrasebook)."""
    out = []
    for t in yaml.safe_load(TEMPLATES.read_text(encoding="utf-8")) or []:
        texts = {"en": t["body"], **(t.get("variants") or {})}
        out.append({lang: (_pattern(_key(v)), _key(v)) for lang, v in texts.items()})
    return out


def _as_template(key: str, sources: list[str] | None, target: str) -> str | None:
    for variants in _templates():
        if target not in variants:
            continue
        for lang in sources if sources is not None else list(variants):
            m = variants[lang][0].fullmatch(key) if lang in variants else None
            if m:
                return _fill(variants[target][1], m.groupdict())
    return None


def _fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda p: values.get(p.group(1)) or p.group(0), text)


class Phrasebook:
    """One direction, like deep-translator's translators: ``translate(text)``."""

    def __init__(self, source: str, target: str) -> None:
        self.source = source
        self.target = target

    def translate(self, text: str) -> str:
        key = _key(text)
        sources = ([self.source] if self.source != "auto"
                   else sorted({lang for lang, k in _INDEX if k == key}))
        for lang in sources:
            for entry in _INDEX.get((lang, key), ()):
                if self.target in entry:
                    return entry[self.target]
        found = _as_template(key, None if self.source == "auto" else [self.source],
                             self.target)
        if found is not None:
            return found
        raise NotInPhrasebook("the demo phrasebook has no translation of this text into "
                              f"{self.target} (it knows only the sandbox's fixed lines)")
