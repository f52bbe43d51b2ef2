"""`storebridge templates import|export` from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.dbmode import env_for

ROOT = Path(__file__).parents[1]


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "sb.yml"
    cfg.write_text("stores: []\n")
    env = {"PATH": "/usr/bin:/bin", **env_for(str(tmp_path / "t.db"))}
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)


def test_import_the_example_then_export_it(tmp_path: Path) -> None:
    example = ROOT / "bot" / "templates" / "example_templates.yml"
    done = run(tmp_path, "templates", "import", str(example))
    assert done.returncode == 0, done.stderr
    count = len(yaml.safe_load(example.read_text(encoding="utf-8")))
    assert f"imported {count} template(s)" in done.stdout
    out = tmp_path / "out.yml"
    done = run(tmp_path, "templates", "export", str(out))
    assert done.returncode == 0 and f"exported {count}" in done.stdout
    assert len(yaml.safe_load(out.read_text(encoding="utf-8"))) == count


def test_a_bad_file_names_the_entry_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("- topic: Logistics\n  name: Typo\n  body: Hi {buyer}\n")
    done = run(tmp_path, "templates", "import", str(bad))
    assert done.returncode == 2 and "Typo" in done.stderr and "{buyer}" in done.stderr
    missing = run(tmp_path, "templates", "import", str(tmp_path / "nope.yml"))
    assert missing.returncode == 2 and "nope.yml" in missing.stderr
