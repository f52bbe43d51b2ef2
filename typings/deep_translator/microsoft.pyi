from typing import Any

from deep_translator.base import BaseTranslator

class MicrosoftTranslator(BaseTranslator):
    def __init__(self, source: str = "auto", target: str = "en", api_key: str | None = None,
                 region: str | None = None, proxies: dict[str, str] | None = None,
                 **kwargs: Any) -> None: ...
