from collections.abc import Sequence
from typing import Any

MODEL_FILE: str

class LanguageIdentifier:
    nb_ptc: Any
    nb_pc: Any
    nb_classes: list[str]
    _full_model: tuple[Any, Any, list[str]]
    @classmethod
    def from_model_file(cls, model_file: str, *args: Any, **kwargs: Any) -> LanguageIdentifier: ...
    def set_languages(self, langs: Sequence[str] | None = None) -> None: ...
    def classify(self, text: str) -> tuple[str, float]: ...
    def rank(self, text: str) -> list[tuple[str, float]]: ...
