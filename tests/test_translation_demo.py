"""``translation: {provider: demo}``: the offline phrasebook of ``storebridge demo``.

It knows every line the sandbox's Malay, Vietnamese and Chinese buyers say and the
demo's replies, fails honestly on anything else, is chosen only by name, and
``check`` says what it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import TranslationConfig
from bot.config_read import load_settings
from bot.demo.marketplace.buyers import LINES
from bot.preflight import static_findings
from bot.translation.providers import Provider, TranslationError
from tests.test_config import APP, GOOD, write

ENV = {"LAZADA_MY_ACCESS_TOKEN": "at-1", "LAZADA_MY_REFRESH_TOKEN": "rt-1", **APP}


@pytest.fixture
def demo() -> Iterator[Provider]:
    provider = Provider.from_config(TranslationConfig(provider="demo"), timeout=5)
    yield provider
    provider.close()


@pytest.mark.parametrize("language", ["ms", "vi", "zh"])
async def test_every_line_the_demo_buyers_say_is_translated(demo: Provider,
                                                           language: str) -> None:
    said = [line for topic in LINES[language].values() for line in topic]
    for line in said:
        english = await demo.translate(line, language, "en")
        assert english and english != line, line
        assert english.isascii(), (line, english)


async def test_buyer_text_to_english_and_the_demo_reply_into_the_buyers_language(
        demo: Provider) -> None:
    assert await demo.translate("Saya nak batalkan pesanan ni.", "ms", "en") == \
        "I want to cancel this order."
    # Spacing does not matter; a source the platform did not state is found ("auto").
    assert await demo.translate(" Mình muốn  hủy đơn này. ", "auto", "en") == \
        "I want to cancel this order."
    reply = "Anything else I can help with?"
    assert await demo.translate(reply, "en", "ms") == "Ada apa-apa lagi yang boleh saya bantu?"
    assert await demo.translate(reply, "en", "vi") == \
        "Shop có thể giúp gì thêm cho bạn không ạ?"


async def test_a_quick_reply_is_known_in_its_languages_whoever_it_names(
        demo: Provider) -> None:
    zh = ("Lim Wei Ming 您好，很乐意为您推荐尺码！请参考商品图片中的尺码表，并与您平时穿着合身的"
          "衣服对比一下。如果方便告诉我们您的身高和体重，我们可以为您推荐合适的尺码。—— Mai")
    english = await demo.translate(zh, "zh", "en")
    assert english.startswith("Hi Lim Wei Ming, happy to help with the size!")
    assert english.endswith("we will recommend a size for you. — Mai")
    malay = await demo.translate(english.replace("Lim Wei Ming", "Nurul"), "en", "ms")
    assert malay.startswith("Hai Nurul, kami sedia membantu memilih saiz!")
    with pytest.raises(TranslationError):  # the same words with one changed: not known
        await demo.translate(english.replace("size chart", "chart"), "en", "ms")


async def test_anything_else_fails_in_plain_words_rather_than_inventing(
        demo: Provider) -> None:
    with pytest.raises(TranslationError, match="demo phrasebook has no translation"):
        await demo.translate("Boleh hantar ke Sabah?", "ms", "en")
    with pytest.raises(TranslationError, match="into th"):  # no Thai replies in the book
        await demo.translate("Anything else I can help with?", "en", "th")


def test_only_chosen_by_name_and_check_says_it_is_for_the_demo(tmp_path: Path) -> None:
    default = load_settings(write(tmp_path, GOOD), ENV)
    assert default.translation.provider == "google"
    assert not [f for f in static_findings(default) if f.item == "translation"]
    chosen = load_settings(write(tmp_path, GOOD + "translation:\n  provider: demo\n"), ENV)
    assert chosen.translation.provider == "demo"
    (finding,) = [f for f in static_findings(chosen) if f.item == "translation"]
    assert finding.warning and not finding.ok
    assert "demo phrasebook" in finding.detail and "real buyers" in finding.detail
