"""The translation parts on their own: glossary masking, provider errors, memory, off."""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.config import Settings, StoreConfig, TranslationConfig
from bot.store import Store
from bot.translation import feature
from bot.translation.glossary import Glossary, mask
from bot.translation.providers import Provider, TranslationError, provider_code
from bot.translation.service import Translator
from tests.emulators.libretranslate import API_KEY, LibreTranslateEmulator


def test_glossary_masks_whole_terms_in_any_case_longest_first() -> None:
    m = mask("Hoa Mai tee, HOA MAI XL, Maid, mai", {"Hoa Mai": None, "Mai": "M",
                                                    "XL": "extra large"})
    assert m.text == "⟦0⟧ tee, ⟦1⟧ ⟦2⟧, Maid, ⟦3⟧"
    assert m.slots == ("Hoa Mai", "HOA MAI", "extra large", "M")
    # Providers sometimes space tokens out; they still come back.
    assert m.restore("[x] ⟦ 0 ⟧ tee, ⟦1⟧ ⟦2⟧, Maid, ⟦3⟧") == \
        "[x] Hoa Mai tee, HOA MAI extra large, Maid, M"
    assert m.lost_tokens("⟦0⟧ tee") == 3
    assert mask("no terms here", {}).text == "no terms here"


async def test_glossary_sources_and_precedence(tmp_path: Path) -> None:
    store_ = await Store.open(str(tmp_path / "g.db"))
    db = store_.database
    store = StoreConfig(platform="shopee", shop_id="1", site="SG", name="S", channel="#s",
                        glossary={"XL": "extra large", "Kopi": None})
    settings = Settings(stores=(store,), translation=TranslationConfig(
        glossary={"XL": None, "SKU-1": None}))
    await db.run("INSERT INTO glossary VALUES ('*', 'SKU-1', 'item one')")
    await db.run("INSERT INTO glossary VALUES ('shopee:1', 'Kopi', 'Coffee')")
    g = Glossary(settings, db)
    assert await g.terms() == {"XL": None, "SKU-1": "item one"}
    assert await g.terms("shopee:1") == {"XL": "extra large", "SKU-1": "item one", "Kopi": "Coffee"}
    await store_.close()


def test_provider_codes() -> None:
    assert provider_code("google", "zh-TW") == "zh-TW"
    assert provider_code("google", "zh") == "zh-CN"
    assert provider_code("google", "he") == "iw"
    assert provider_code("libre", "pt_BR") == "pt"
    assert provider_code("microsoft", "zh-Hant") == "zh-hant"
    assert provider_code("deepl", "auto") == "auto"


async def test_provider_errors_are_one_type_and_never_carry_the_key() -> None:
    async with LibreTranslateEmulator() as libre:
        wrong = Provider.from_config(TranslationConfig(provider="libre", url=libre.url,
                                                       api_key="secret-wrong-key"))
        with pytest.raises(TranslationError) as e:
            await wrong.translate("Cảm ơn shop", "vi", "en")
        assert "API key" in str(e.value) and "secret" not in str(e.value)
        assert e.value.__cause__ is None and e.value.__suppress_context__

        good = Provider.from_config(TranslationConfig(provider="libre", url=libre.url,
                                                      api_key=API_KEY), timeout=1)
        libre.fail_next(500)
        with pytest.raises(TranslationError, match="answered with an error"):
            await good.translate("Cảm ơn shop", "vi", "en")
        assert await good.translate("Cảm ơn shop", "vi", "en") == "Thank you, shop"
        # deep-translator's LibreTranslate list lacks Malay: the server detects it instead.
        await good.translate("Terima kasih", "ms", "en")
        assert libre.requests[-1]["source"] == "auto"
        with pytest.raises(TranslationError, match="does not support"):
            await good.translate("Thanks", "en", "th")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gone = Provider.from_config(TranslationConfig(provider="libre", api_key=API_KEY,
                                                  url=f"http://127.0.0.1:{port}"))
    with pytest.raises(TranslationError, match="could not be reached"):
        await gone.translate("Cảm ơn shop", "vi", "en")


async def test_a_correction_wins_whatever_source_produced_the_text(tmp_path: Path) -> None:
    store_ = await Store.open(str(tmp_path / "m.db"))
    db = store_.database
    async with LibreTranslateEmulator() as libre:
        provider = Provider.from_config(TranslationConfig(provider="libre", url=libre.url,
                                                          api_key=API_KEY))
        t = Translator(db, provider, Glossary(Settings(), db), team_language="en")
        assert await t.translate("Cảm ơn shop", "vi", "en") == "Thank you, shop"
        await t.correct("Cảm ơn shop", "vi", "en", "Thanks, shop!", by="U1")
        assert await t.translate("Cảm ơn shop", "auto", "en") == "Thanks, shop!"
        assert await t.lookup("Cảm ơn shop", "vi", "en") == "Thanks, shop!"
        assert libre.calls["Cảm ơn shop"] == 1
    await store_.close()


def test_provider_none_adds_nothing() -> None:
    """Off: no feature at all, so no listener, no job, no slot (the core reads them
    only from what the builder returns)."""
    service = SimpleNamespace(settings=Settings(translation=TranslationConfig(provider="none")))
    assert feature(service) is None  # type: ignore[arg-type]
