"""Config and template files: a key written twice, or a file that is not UTF-8,
is a clear error naming the file and where, never a silent override or a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.config_read import load_settings
from bot.templates.yaml_io import TemplateFileError, parse
from tests.test_config import APP, GOOD, write

ROOT = Path(__file__).parents[1]
ENV = {"LAZADA_MY_ACCESS_TOKEN": "a", "LAZADA_MY_REFRESH_TOKEN": "r", **APP}

# A second `groups:` further down the file, as someone pasting a block would leave it:
# PyYAML keeps the last one, so membership silently changed.
SECOND_GROUPS = GOOD + """
groups:
  - name: sea-team
    members: [U01INTRUDER]
"""


def test_duplicate_top_level_key_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, SECOND_GROUPS)
    with pytest.raises(ConfigError) as err:
        load_settings(path, ENV)
    second = SECOND_GROUPS.splitlines().index("groups:", 5) + 1
    assert err.value.source == str(path)
    assert err.value.problems == [f"line {second}: duplicate key 'groups' (already set on line 4)"]
    assert str(path) in str(err.value)


def test_duplicate_nested_and_flow_keys_are_all_listed(tmp_path: Path) -> None:
    text = GOOD.replace("    site: MY\n", "    site: MY\n    site: SG\n") + \
        "sla: {first_response_minutes: 5, first_response_minutes: 50}\n"
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text), ENV)
    assert len(err.value.problems) == 2
    assert "duplicate key 'site'" in err.value.problems[0]
    assert "duplicate key 'first_response_minutes'" in err.value.problems[1]


def test_merge_keys_may_still_be_overridden(tmp_path: Path) -> None:
    text = GOOD.replace("  - platform: lazada\n", "  - &base\n    platform: lazada\n") \
        + "x-unused: {<<: *base, site: SG}\n"
    with pytest.raises(ConfigError) as err:  # only the unknown key, not a "duplicate"
        load_settings(write(tmp_path, text), ENV)
    assert not [p for p in err.value.problems if "duplicate" in p]


def test_config_that_is_not_utf8_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "storebridge.yml"
    latin1 = GOOD.replace("Men's Clothing Official", "Café Crème").encode("latin-1")
    path.write_bytes(latin1)
    with pytest.raises(ConfigError) as err:
        load_settings(path, ENV)
    byte = latin1.index("é".encode("latin-1"))
    line = latin1[:byte].count(b"\n") + 1
    assert err.value.problems == [f"line {line}, byte {byte}: not UTF-8 (byte 0xe9); "
                                  "save the file as UTF-8"]
    proc = subprocess.run([sys.executable, "-m", "bot", "--config", str(path), "check"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2 and "not UTF-8" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_template_file_duplicate_key_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(TemplateFileError) as err:
        parse("- topic: Shipping\n  name: Late\n  body: Sorry\n  body: Sorry {agent}\n",
              "t.yml")
    assert err.value.problems == ["line 4: duplicate key 'body' (already set on line 3)"]
    bad = tmp_path / "bad.yml"
    raw = "- topic: Giao hàng\n  name: A\n  body: B\n".encode("cp1258")
    bad.write_bytes(raw)
    cfg = tmp_path / "sb.yml"
    cfg.write_text("stores: []\n")
    env = {"PATH": "/usr/bin:/bin", "STOREBRIDGE_DB": str(tmp_path / "t.db")}
    done = subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "templates",
                           "import", str(bad)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "bad.yml" in done.stderr
    assert f"line 1, byte {raw.index(0xe0)}: not UTF-8" in done.stderr
    assert "Traceback" not in done.stderr
