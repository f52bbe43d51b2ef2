"""The suite runs from a clone of the repository alone: nothing under tests/ may
read files from outside it (the platforms' vectors and samples live in fixtures/)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
OUTSIDE = re.compile(r"""parents\[(\d+)\]\s*/\s*["'](?!fixtures)""")


def test_no_test_module_reads_outside_the_repository() -> None:
    offenders = []
    for path in TESTS.rglob("*.py"):
        depth = len(path.relative_to(TESTS).parts)  # 1: tests/x.py, 2: tests/emulators/x.py
        for match in OUTSIDE.finditer(path.read_text("utf-8")):
            if int(match.group(1)) > depth:  # parents[depth] is the repository root
                offenders.append(f"{path.relative_to(TESTS)}: {match.group(0)}")
        if "../shared" in path.read_text("utf-8") and path.name != Path(__file__).name:
            offenders.append(f"{path.relative_to(TESTS)}: ../shared")
    assert offenders == []


def test_fixtures_are_the_platform_vectors() -> None:
    import json

    vectors = json.loads((TESTS / "fixtures" / "sign-vectors.json").read_text("utf-8"))
    samples = json.loads((TESTS / "fixtures" / "platform-orders-samples.json").read_text("utf-8"))
    assert {"shopee", "lazada", "tiktok"} <= {k.lower() for k in vectors} | {
        k.lower() for k in samples}
