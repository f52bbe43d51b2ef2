"""Reading YAML the way an operator expects: a key written twice in one mapping is
an error, not a silent override (PyYAML keeps the last one, so a second ``groups:``
quietly changed who may reply), and a file that is not UTF-8 is a clear error with
its byte position instead of a traceback.

Every problem is collected and raised together as the caller's
:class:`~bot.problems.ProblemsError` subclass, so the config file and template
files report the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.problems import ProblemsError

_MERGE = "tag:yaml.org,2002:merge"


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that records each key repeated within one mapping."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue  # `<<: *defaults` then overriding a key is YAML's intent
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:
                continue  # unhashable key: SafeLoader reports it below
            if first is None:
                seen[key] = line
            else:
                self.duplicates.append((line, f"line {line}: duplicate key {key!r} "
                                              f"(already set on line {first})"))
        return super().construct_mapping(node, deep=deep)


def load_text(text: str, source: str, error: type[ProblemsError]) -> Any:
    """Parse ``text``; raise ``error(source, problems)`` on any syntax problem or
    repeated key."""
    loader = StrictLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise error(source, [f"{where}: not valid YAML ({getattr(e, 'problem', None) or e})"]
                    ) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        # Values are built lazily, so the order found is not the file's order.
        raise error(source, [text for _, text in sorted(loader.duplicates)])
    return data


def decode(raw: bytes, source: str, error: type[ProblemsError]) -> str:
    """``raw`` as UTF-8 text, or ``error`` naming the line and byte of the first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise error(source, [f"line {line}, byte {e.start}: not UTF-8 (byte "
                             f"0x{raw[e.start]:02x}); save the file as UTF-8"]) from None


def load_file(path: Path, error: type[ProblemsError]) -> Any:
    """Read and parse a YAML file; OSErrors propagate for the caller to word."""
    return load_text(decode(path.read_bytes(), str(path), error), str(path), error)
