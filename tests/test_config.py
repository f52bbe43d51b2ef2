"""Configuration: typed, interpolated, and every problem reported at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.config_read import load_settings

GOOD = """
team_language: en
ops_channel: "#cs-ops"
groups:
  - name: sea-team
    members: [U01AGENT1, U01AGENT2]
    managers: [U01BOSS]
stores:
  - platform: lazada
    shop_id: "100094063"
    seller_id: "100094063"
    site: MY
    name: "Men's Clothing Official"
    nickname: "Lazada MY-Men's Clothing Flagship"
    channel: "#cs-lazada-my"
    group: sea-team
    credentials:
      access_token: ${LAZADA_MY_ACCESS_TOKEN}
      refresh_token: ${LAZADA_MY_REFRESH_TOKEN}
"""


APP = {"LAZADA_APP_KEY": "k", "LAZADA_APP_SECRET": "s", "SHOPEE_PARTNER_ID": "1",
       "SHOPEE_PARTNER_KEY": "k", "TIKTOK_APP_KEY": "k", "TIKTOK_APP_SECRET": "s"}


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "storebridge.yml"
    p.write_text(text, encoding="utf-8")
    return p


def test_good_config_is_typed_and_interpolated(tmp_path: Path) -> None:
    env = {"LAZADA_MY_ACCESS_TOKEN": "at-1", "LAZADA_MY_REFRESH_TOKEN": "rt-1",
           "SLACK_BOT_TOKEN": "xoxb-1", "PORT": "8080", **APP}
    s = load_settings(write(tmp_path, GOOD), env)
    store = s.stores[0]
    assert store.key == "lazada:100094063"
    assert store.connector == "lazada"
    assert store.display_name == "Lazada MY-Men's Clothing Flagship"
    assert store.credentials["access_token"] == "at-1"
    assert s.group("sea-team").managers == ("U01BOSS",)
    assert s.port == 8080 and s.slack.bot_token == "xoxb-1"
    # Secrets never show up in logs through repr().
    assert "at-1" not in repr(s) and "xoxb-1" not in repr(s)


def test_every_problem_is_listed_with_file_and_key(tmp_path: Path) -> None:
    bad = """
team_language: english
ops_channel: cs-ops
groups:
  - name: sea-team
    members: [agent-1]
stores:
  - platform: amazon
    shop_id: "1"
    site: malaysia
    name: X
    channel: "#x"
    group: nobody
  - platform: lazada
    shop_id: "2"
    site: MY
    name: Y
    channel: "#y"
    credentials:
      access_token: ${MISSING_TOKEN}
  - platform: shopee
    shop_idd: "3"
"""
    path = write(tmp_path, bad)
    with pytest.raises(ConfigError) as err:
        load_settings(path, {})
    text = str(err.value)
    assert str(path) in text
    expected = [
        "team_language: expected a language code",
        "ops_channel: expected a channel name",
        "groups[0].members[0]: expected a Slack user id",
        "stores[0].platform: expected one of shopee, lazada, tiktok",
        "stores[0].site: expected a two-letter",
        "stores[0].group: names no group",
        "stores[1].seller_id: is required for Lazada",
        "stores[1].credentials.access_token: environment variable MISSING_TOKEN is not set",
        "stores[2].shop_idd: unknown key",
        "stores[2].shop_id: is required",
        "LAZADA_APP_KEY (environment): is required: the config has lazada stores",
    ]
    for line in expected:
        assert line in text, line
    assert len(err.value.problems) >= len(expected)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, "stores: [\n  - a: b\n  c"), {})
    assert "line" in str(err.value) and "not valid YAML" in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.yml", {})


def test_cli_exits_non_zero_with_the_list(tmp_path: Path) -> None:
    path = write(tmp_path, "stores:\n  - platform: amazon\n")
    proc = subprocess.run([sys.executable, "-m", "bot", "--config", str(path), "check"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "stores[0].platform" in proc.stderr and "stores[0].channel: is required" in proc.stderr


def test_shipped_example_config_is_valid() -> None:
    example = Path(__file__).parents[1] / "storebridge.example.yml"
    names = ("SHOPEE_SG_ACCESS_TOKEN", "SHOPEE_SG_REFRESH_TOKEN", "LAZADA_MY_ACCESS_TOKEN",
             "LAZADA_MY_REFRESH_TOKEN", "TIKTOK_VN_ACCESS_TOKEN", "TIKTOK_VN_REFRESH_TOKEN",
             "TIKTOK_VN_SHOP_CIPHER")
    s = load_settings(example, {**{n: "value" for n in names}, **APP})
    assert [x.platform for x in s.stores] == ["shopee", "lazada", "tiktok"]


def test_sla_translation_and_team_sections(tmp_path: Path) -> None:
    store_sla = ("    sla: {reminder_minutes: 2, escalation_minutes: 5, "
                 "first_response_minutes: 3}\n")
    text = GOOD.replace("    group: sea-team\n", "    group: sea-team\n" + store_sla, 1) + """
sla:
  first_response_minutes: 10
  business_hours: {start: "09:00", end: "18:00", days: [mon, tue], timezone: Asia/Singapore}
translation: {provider: libre, url: "http://127.0.0.1:5000/"}
priority_keywords: [broken]
digest_time: "08:30"
timezone: Asia/Ho_Chi_Minh
"""
    env = {"LAZADA_MY_ACCESS_TOKEN": "a", "LAZADA_MY_REFRESH_TOKEN": "r", **APP}
    s = load_settings(write(tmp_path, text), env)
    assert s.sla_for("lazada:100094063").escalation_minutes == 5
    assert s.sla.business_hours.timezone == "Asia/Singapore"
    assert s.translation.provider == "libre" and s.priority_keywords == ("broken",)
    assert s.digest_time == "08:30" and s.timezone == "Asia/Ho_Chi_Minh"

    bad = GOOD + """
sla:
  reminder_minutes: 20
  escalation_minutes: 5
  business_hours: {start: "9am", timezone: Mars/Base}
translation: {provider: libre}
digest_time: "25:00"
"""
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, bad), env)
    text = str(err.value)
    for expected in ("sla: reminder_minutes (20) must not be after escalation_minutes (5)",
                     "sla.business_hours.start: expected HH:MM",
                     "sla.business_hours.timezone: expected an IANA time zone",
                     "translation.url: is required for LibreTranslate",
                     "digest_time: expected HH:MM"):
        assert expected in text, expected


def test_platform_url_overrides_have_the_documented_shape(tmp_path: Path) -> None:
    env = {"LAZADA_MY_ACCESS_TOKEN": "a", "LAZADA_MY_REFRESH_TOKEN": "r", **APP,
           "LAZADA_API_URL": "https://api.lazada.sg", "TIKTOK_API_URL": "https://x.test/api",
           "SHOPEE_API_URL": "https://partner.shopeemobile.com", "SHOPEE_PARTNER_ID": "abc"}
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, GOOD), env)
    text = str(err.value)
    assert "LAZADA_API_URL (environment): expected up to and including /rest" in text
    assert "TIKTOK_API_URL (environment): expected scheme and host" in text
    assert "SHOPEE_PARTNER_ID (environment): expected the numeric partner id" in text
    assert "SHOPEE_API_URL" not in text
