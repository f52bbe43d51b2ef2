"""An error that carries every problem found in a file, one line each, so the
person fixing it sees them all at once."""

from __future__ import annotations


class ProblemsError(Exception):
    noun = "problem"

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} {self.noun}(s):\n{lines}")
