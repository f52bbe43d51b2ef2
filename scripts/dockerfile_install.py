#!/usr/bin/env python3
"""Replay the Dockerfile's install steps in a fresh venv, where there is no Docker engine.

    python3 scripts/dockerfile_install.py [--keep DIR]

Each ``COPY`` copies from the build context (minus .dockerignore's top-level names)
into a scratch WORKDIR; each ``RUN`` segment that is a ``pip install`` runs with the
fresh venv's pip there; the other segments (user and directory set-up) are listed as
skipped. Then the image's ``CMD`` program must exist and answer ``--help``, and the
package must import. What it proves: the Dockerfile copies everything the build needs
(pyproject's readme, the packages) and requirements.txt installs on Python 3.11.
What it cannot: the base image, USER, HEALTHCHECK at run time.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            word, _, rest = pending.partition(" ")
            out.append((word.upper(), rest.strip()))
            pending = ""
    return out


def _ignored(context: Path) -> set[str]:
    file = context / ".dockerignore"
    names = file.read_text(encoding="utf-8").splitlines() if file.exists() else []
    return {n.strip() for n in names if n.strip() and not n.startswith("#")}


def _copy(context: Path, workdir: Path, args: str) -> None:
    *sources, dest = shlex.split(args)
    target = workdir / dest
    ignored = shutil.ignore_patterns("__pycache__", "*.egg-info", *_ignored(context))
    for src in sources:
        path = context / src
        if not path.exists():
            raise SystemExit(f"COPY {src}: not in the build context")
        if path.is_dir():
            shutil.copytree(path, target if not dest.endswith("/") or len(sources) == 1
                            else target / path.name, ignore=ignored, dirs_exist_ok=True)
        else:
            dst = target / path.name if dest.endswith("/") else target
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dst)


def replay(context: Path, scratch: Path) -> list[str]:
    env_dir, workdir = scratch / "venv", scratch / "app"
    workdir.mkdir(parents=True, exist_ok=True)
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip, log = str(env_dir / "bin" / "pip"), []
    cmd: list[str] = []
    for word, args in instructions(context / "Dockerfile"):
        if word == "COPY":
            _copy(context, workdir, args)
            log.append(f"COPY {args}")
        elif word == "RUN":
            for segment in args.split("&&"):
                argv = shlex.split(segment)
                if argv[:2] == ["pip", "install"]:
                    subprocess.run([pip, *argv[1:]], cwd=workdir, check=True)
                    log.append(f"RUN {segment.strip()}")
                else:
                    log.append(f"skipped: RUN {segment.strip()}")
        elif word == "CMD":
            cmd = json.loads(args)
    if not cmd:
        raise SystemExit("the Dockerfile has no CMD")
    program = env_dir / "bin" / cmd[0]
    subprocess.run([str(program), "--help"], check=True, capture_output=True)
    subprocess.run([str(env_dir / "bin" / "python"), "-c", "import bot.http, bot.cli"],
                   cwd=scratch, check=True)  # from site-packages, not the source tree
    log.append(f"ok: {cmd[0]} --help, import bot.http")
    return log


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", help="build here and keep it (default: a temp dir)")
    args = parser.parse_args()
    if args.keep:
        print("\n".join(replay(ROOT, Path(args.keep))))
        return 0
    with tempfile.TemporaryDirectory(prefix="storebridge-image-") as tmp:
        print("\n".join(replay(ROOT, Path(tmp))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
