"""What a quick reply is, and which language variant a buyer gets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: Names shown next to a language code in Slack; unknown codes are shown as is.
LANGUAGE_NAMES = {
    "en": "English", "vi": "Vietnamese", "th": "Thai", "ms": "Malay", "id": "Indonesian",
    "zh": "Chinese", "zh-tw": "Chinese (Traditional)", "tl": "Filipino", "pt": "Portuguese",
    "es": "Spanish", "ko": "Korean", "ja": "Japanese",
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.lower(), code)


def normalise_language(code: str | None) -> str | None:
    """Lower-case, ``_`` as ``-``: platforms send ``zh_TW``, ``zh-TW`` or ``ZH``."""
    if not code:
        return None
    return code.strip().replace("_", "-").lower() or None


@dataclass(frozen=True)
class Template:
    id: int
    topic: str
    name: str
    body: str
    variants: dict[str, str] = field(default_factory=dict)
    usage_count: int = 0
    last_used_at: float | None = None
    created_by: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    @classmethod
    def of(cls, row: Any) -> Template:
        data = {k: row[k] for k in row.keys()}
        data["variants"] = json.loads(data["variants"] or "{}")
        return cls(**data)

    @property
    def label(self) -> str:
        return f"{self.topic} — {self.name}"

    def text_for(self, buyer_language: str | None, team_language: str) -> tuple[str, str | None]:
        """The body in the buyer's language, else the team's, else the default body.

        Returns the text and the variant's language (None: the default body). A
        regional code (``zh-tw``) falls back to its base language (``zh``).
        """
        for lang in (buyer_language, team_language):
            code = normalise_language(lang)
            if code is None:
                continue
            for candidate in (code, code.split("-")[0]):
                if candidate in self.variants:
                    return self.variants[candidate], candidate
        return self.body, None
