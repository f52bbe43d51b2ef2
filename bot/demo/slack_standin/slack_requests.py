"""What a Web API request is to the Slack stand-in: its arguments (in any of the
three ways Slack takes them), its failure as Slack words it, and the rate limit
it spends from."""

from __future__ import annotations

import json
import math
import time
from typing import Any


class SlackError(Exception):
    """A Web API failure: rendered as ``{"ok": false, "error": error, **extra}``."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


class Params(dict[str, Any]):
    """Request arguments, tolerant of the three ways Slack accepts them.

    Form bodies and query strings carry everything as strings (``blocks`` and
    ``metadata`` as JSON text, booleans as ``"true"``/``"1"``); JSON bodies
    carry real types.  The accessors normalise both.
    """

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.get(name)
        if value is None or value == "":
            return default
        return str(value)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in {"1", "true", "yes"}

    def number(self, name: str, default: int) -> int:
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None

    def structured(self, name: str, error: str = "invalid_arguments") -> Any:
        """Return a JSON-valued argument, decoding it when it arrived as a string."""
        value = self.get(name)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise SlackError(error) from None
        return value


class TokenBucket:
    """Classic token bucket: ``burst`` requests at once, refilled at ``rate`` per second."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> int:
        """Consume a token; return 0 on success, else the whole seconds to wait (>= 1)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0
        wait = (1.0 - self.tokens) / self.rate if self.rate > 0 else 60.0
        return max(1, math.ceil(wait))
