"""The persisted position of a pull: one encoding for every platform's cursors.

A cursor is compact JSON with a version ``v``; the bot stores it as an opaque string.
A platform supplies only its fields and how to read them back.

What a cursor we cannot read means is the same everywhere: the text is ours, so it
is a version change or damage. The pull then starts from the platform's window,
exactly what a full sync does (the bot drops messages it already holds, and orders
are upserts), and a warning says so. Failing instead would leave the store stuck on
an error whose only remedy is that same restart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class CursorError(ValueError):
    """A saved cursor that cannot be read."""


def encode(version: int, fields: Mapping[str, Any]) -> str:
    return json.dumps({**fields, "v": version}, separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False)


def decode(text: str, version: int, read: Callable[[dict[str, Any]], T], *,
           what: str) -> T:
    """``read`` applied to the cursor's fields; :class:`CursorError` names what is
    wrong when the text is not a version-``version`` cursor."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise CursorError(f"unreadable {what}: not JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise CursorError(f"unreadable {what}: not a JSON object")
    if doc.get("v") != version:
        raise CursorError(f"unreadable {what}: version {doc.get('v')!r}, expected {version}")
    try:
        return read(doc)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise CursorError(f"unreadable {what}: {type(exc).__name__} {exc}") from exc


def resume(text: str | None, version: int, read: Callable[[dict[str, Any]], T], *,
           what: str) -> T | None:
    """The position saved in ``text``; None for no cursor, and for one that cannot
    be read (logged): the caller starts from its window."""
    if not text:
        return None
    try:
        return decode(text, version, read, what=what)
    except CursorError as exc:
        log.warning("%s; starting again from the pull window", exc)
        return None
