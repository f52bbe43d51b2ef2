from typing import Any

from deep_translator.base import BaseTranslator

class DeeplTranslator(BaseTranslator):
    def __init__(self, source: str = "de", target: str = "en", api_key: str | None = None,
                 use_free_api: bool = True, **kwargs: Any) -> None: ...
