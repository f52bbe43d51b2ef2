"""Reading a YAML mapping key by key, collecting every problem on the way."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# ${NAME} must be set; ${NAME:-default} falls back (to nothing with ${NAME:-}), as in sh.
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


class Checker:
    """Collects problems while reading a mapping, one key path at a time."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def interpolate(self, key: str, value: Any) -> Any:
        if isinstance(value, str):
            def repl(m: re.Match[str]) -> str:
                name, default = m.group(1), m.group(2)
                if default is not None:
                    return self.env.get(name) or default
                if name not in self.env:
                    self.problem(key, f"environment variable {name} is not set (write "
                                      f"${{{name}:-}} if it is optional)")
                    return ""
                return self.env[name]
            return _ENV_REF.sub(repl, value)
        if isinstance(value, list):
            return [self.interpolate(f"{key}[{i}]", v) for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {k: self.interpolate(f"{key}.{k}" if key else str(k), v)
                    for k, v in value.items()}
        return value

    def mapping(self, key: str, value: Any, allowed: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(key, f"expected a mapping, got {type(value).__name__}")
            return {}
        for k in value:
            if k not in allowed:
                self.problem(f"{key}.{k}" if key else str(k),
                             f"unknown key (expected one of: {', '.join(sorted(allowed))})")
        return value

    def text(self, key: str, value: Any, *, required: bool = False) -> str | None:
        if value is None or value == "":
            if required:
                self.problem(key, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(key, f"expected text, got {type(value).__name__}")
            return None
        return str(value)

    def channel(self, key: str, value: Any, *, required: bool = False) -> str | None:
        ch = self.text(key, value, required=required)
        if ch and not (ch.startswith("#") and len(ch) > 1 or _CHANNEL_ID.match(ch)):
            self.problem(key, f"expected a channel name like '#cs-shopee-sg' or an id like "
                              f"'C0123ABCD', got {ch!r}")
        return ch

    def number(self, key: str, value: Any, default: float, *, minimum: float) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            self.problem(key, f"expected a number >= {minimum}, got {value!r}")
            return default
        return float(value)
