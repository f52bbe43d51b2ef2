"""Reading loosely typed JSON from the marketplaces: a field that should be an object
or a list, and is something else (or missing), reads as an empty one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
