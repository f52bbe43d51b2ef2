"""The shipped example config works as it is: ``stores authorize`` needs no store tokens."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.cli import main
from bot.config import ConfigError
from bot.config_read import load_settings, parse_settings
from tests.harness import TEST_SECRET_KEY

EXAMPLE = Path(__file__).parents[1] / "storebridge.example.yml"
APP_ENV = {"SHOPEE_PARTNER_ID": "2001887", "SHOPEE_PARTNER_KEY": "shpk-test-key-1234",
           "LAZADA_APP_KEY": "100001", "LAZADA_APP_SECRET": "lazada-secret",
           "TIKTOK_APP_KEY": "tt-key", "TIKTOK_APP_SECRET": "tiktok-secret"}


def test_example_loads_without_store_tokens() -> None:
    settings = load_settings(EXAMPLE, APP_ENV)
    assert len(settings.stores) == 3
    assert all(dict(s.credentials) == {} for s in settings.stores)
    with_token = load_settings(EXAMPLE, {**APP_ENV, "SHOPEE_SG_ACCESS_TOKEN": "tok"})
    assert dict(with_token.stores[0].credentials) == {"access_token": "tok"}


def test_optional_and_required_references() -> None:
    raw = {"team_language": "${LANG_CODE:-vi}", "ops_channel": "${OPS}"}
    assert parse_settings(raw, {"OPS": "#ops"}, "<t>").team_language == "vi"
    with pytest.raises(ConfigError, match=r"OPS is not set \(write \$\{OPS:-\}"):
        parse_settings(raw, {}, "<t>")


def test_stores_authorize_with_the_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {**APP_ENV, "STOREBRIDGE_PUBLIC_URL": "https://cs.shop.example",
                        "STOREBRIDGE_SECRET_KEY": TEST_SECRET_KEY,
                        "STOREBRIDGE_DB": str(tmp_path / "a.db")}.items():
        monkeypatch.setenv(name, value)
    assert main(["--config", str(EXAMPLE), "stores", "authorize", "shopee"]) == 0
    out = capsys.readouterr().out
    link = next(w for w in out.split() if w.startswith("https://"))
    query = parse_qs(urlsplit(link).query)
    assert query["partner_id"] == ["2001887"]
    assert "https://cs.shop.example/oauth/shopee/callback" in out
