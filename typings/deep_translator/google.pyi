from typing import Any

from deep_translator.base import BaseTranslator

class GoogleTranslator(BaseTranslator):
    def __init__(self, source: str = "auto", target: str = "en",
                 proxies: dict[str, str] | None = None, **kwargs: Any) -> None: ...
