"""``provider: demo``: an offline phrasebook, for ``storebridge demo`` and the sandbox.

It knows the sandbox buyers' fixed lines and the demo's agent replies
(:mod:`connectors.sandbox.phrasebook`) and nothing else: any other text fails as
an untranslatable one does with a real provider (the message stays as written,
a reply goes out as typed), and says why. It is never a default: only
``translation: {provider: demo}`` selects it, and ``storebridge check`` flags it.
"""

from __future__ import annotations

from connectors.sandbox.phrasebook import PHRASES

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
        raise NotInPhrasebook("the demo phrasebook has no translation of this text into "
                              f"{self.target} (it knows only the sandbox's fixed lines)")
