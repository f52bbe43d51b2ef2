from typing import Any

from deep_translator.base import BaseTranslator

class LibreTranslator(BaseTranslator):
    def __init__(self, source: str = "en", target: str = "es", api_key: str | None = None,
                 use_free_api: bool = True, custom_url: str | None = None,
                 **kwargs: Any) -> None: ...
