from typing import Any

class BaseTranslator:
    # Sent as the request's source parameter; None leaves it out (the API detects).
    _source: str | None
    def translate(self, text: str, **kwargs: Any) -> str: ...
