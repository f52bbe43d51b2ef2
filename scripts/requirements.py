#!/usr/bin/env python3
"""Write requirements.txt from pyproject.toml's runtime dependencies.

    python3 scripts/requirements.py          # rewrite requirements.txt
    python3 scripts/requirements.py --check  # exit 1 if it is out of date

pyproject.toml is the one place dependencies are declared; requirements.txt exists
for what reads only it (the standard Python buildpack behind the Procfile, the
Dockerfile's cached dependency layer, scanners).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("# Generated from pyproject.toml by scripts/requirements.py; do not edit.\n"
          "# After changing [project] dependencies run: python3 scripts/requirements.py\n")


def runtime_dependencies(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return list(data["project"]["dependencies"])


def render(deps: list[str]) -> str:
    return HEADER + "".join(f"{d}\n" for d in deps)


def main(argv: list[str]) -> int:
    target = ROOT / "requirements.txt"
    wanted = render(runtime_dependencies())
    if "--check" in argv:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != wanted:
            print("requirements.txt is out of date: run python3 scripts/requirements.py",
                  file=sys.stderr)
            return 1
        return 0
    target.write_text(wanted, encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)} ({len(runtime_dependencies())} dependencies)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
