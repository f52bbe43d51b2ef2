"""bot.language: detection on short chat texts and the buyer-language rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.language import (
    SITE_LANGUAGES,
    SUPPORTED,
    buyer_language,
    chinese_variant,
    detect,
    normalize,
    site_language,
)

SAMPLE = json.loads((Path(__file__).parent / "fixtures" / "language_sample.json").read_text())
LANGUAGES = [k for k in SAMPLE if not k.startswith("_") and k != "unsure"]


def family(code: str | None) -> str | None:
    return "ms/id" if code in ("ms", "id") else code


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sample_is_detected_and_never_wrongly(lang: str) -> None:
    """On the labelled sample: at least 14 of 16 right per language (Malay and
    Indonesian counted as one family: the site decides between them), and an
    answer is never a wrong language, only None when unsure."""
    answers = [detect(text) for text in SAMPLE[lang]]
    wrong = [(t, a) for t, a in zip(SAMPLE[lang], answers, strict=True)
             if a is not None and family(a) != family(lang)]
    assert wrong == []
    assert sum(family(a) == family(lang) for a in answers) >= 14, answers


@pytest.mark.parametrize("text", SAMPLE["unsure"])
def test_texts_without_language_are_none(text: str) -> None:
    assert detect(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("สินค้ายังมีอยู่ไหมคะ", "th"),
    ("ดี", None),  # two Thai letters: too short
    ("請問還有貨嗎？", "zh-Hant"),
    ("请问还有货吗？", "zh-Hans"),
    ("有黑色的", None),  # every character is shared by both scripts
    ("L码适合60公斤穿吗", "zh-Hans"),  # digits and a size letter do not hide it
    ("这个還有嗎", None),  # mixed simplified and traditional
    ("在庫はありますか", None),  # Japanese: not a language our sellers serve
    ("재고 있어요?", None),
    ("Order SP-SG-0001 https://shopee.sg/x", None),
    ("@mai 12345 #tag", None),
    ("Kailan po darating ang order ko?", "tl"),
    ("¿Cuándo envían mi pedido?", "es"),
    ("Mình muốn đổi size M sang L được không?", "vi"),
    ("Quando vocês vão enviar meu pedido?", "pt"),
    ("When will my order be shipped?", "en"),
    ("", None),
    ("   \n ", None),
])
def test_detect(text: str, expected: str | None) -> None:
    assert detect(text) == expected


def test_answers_are_supported_codes() -> None:
    every = {detect(t) for lang in LANGUAGES for t in SAMPLE[lang]} - {None}
    assert every <= set(SUPPORTED)


@pytest.mark.parametrize(("text", "expected"), [
    ("謝謝", "zh-Hant"), ("谢谢", "zh-Hans"), ("你好", None), ("hello", None),
])
def test_chinese_variant(text: str, expected: str | None) -> None:
    assert chinese_variant(text) == expected


@pytest.mark.parametrize(("code", "expected"), [
    ("zh-TW", "zh-Hant"), ("zh_HK", "zh-Hant"), ("zh-Hant-TW", "zh-Hant"),
    ("zh-CN", "zh-Hans"), ("zh-Hans", "zh-Hans"), ("zh", "zh"), ("ZH", "zh"), ("pt-BR", "pt"),
    ("es_MX", "es"), ("EN", "en"), ("fil", "tl"), ("in", "id"), ("", None), (None, None),
    ("  vi ", "vi"),
])
def test_normalize(code: str | None, expected: str | None) -> None:
    assert normalize(code) == expected


@pytest.mark.parametrize(("site", "expected"), [
    ("SG", "en"), ("MY", "ms"), ("VN", "vi"), ("TH", "th"), ("PH", "en"), ("ID", "id"),
    ("TW", "zh-Hant"), ("BR", "pt"), ("MX", "es"), ("CO", "es"), ("CL", "es"),
    ("sg", "en"), ("XX", "en"), (None, "en"),
])
def test_site_language(site: str | None, expected: str) -> None:
    assert site_language(site) == expected


def test_every_site_language_is_supported() -> None:
    assert {lang for langs in SITE_LANGUAGES.values() for lang in langs} <= set(SUPPORTED)
    assert SITE_LANGUAGES["PH"] == ("en", "tl")


@pytest.mark.parametrize(("history", "site", "reported", "expected", "why"), [
    (["vi", "vi"], "SG", "th", "th", "the platform's word wins over detection"),
    ([], "VN", "zh-TW", "zh-Hant", "a reported tag is normalized"),
    ([], "MY", "zh", "zh-Hans", "bare zh, nothing detected, no Chinese site: simplified"),
    ([], "TW", "zh", "zh-Hant", "bare zh on the Taiwan site: traditional"),
    (["zh-Hant", None], "SG", "zh", "zh-Hant", "bare zh: the buyer's own script"),
    (["en", "en", "zh-Hans"], "TW", "zh", "zh-Hans", "bare zh: only Chinese votes count"),
    ([], "TH", None, "th", "nothing detected: the site's default"),
    ([None, None], "BR", None, "pt", "only unsure messages: the site's default"),
    ([], None, None, "en", "unknown site: English"),
    (["vi"], "SG", None, "en", "one message in a foreign language is not enough"),
    (["vi", "vi"], "SG", None, "vi", "twice is: the buyer writes Vietnamese"),
    (["vi", None, "vi", "en"], "SG", None, "vi", "two of three detected messages"),
    (["vi", "en"], "SG", None, "en", "a tie is not confident"),
    (["vi", "vi", "en", "en", "en"], "SG", None, "en", "the majority, above 60 %"),
    (["vi", "vi", "en", "th", "es"], "TH", None, "th", "40 % is not confident"),
    (["tl"], "PH", None, "tl", "one message in one of the site's languages confirms it"),
    (["en"], "MY", None, "en", "English is one of Malaysia's languages"),
    (["id", "id", "id"], "MY", None, "ms", "Malay read as Indonesian: the site decides"),
    (["ms", "ms"], "ID", None, "id", "and the other way round"),
    (["id", "id"], "SG", None, "id", "outside the family's sites the detector stands"),
    (["zh-Hant", "zh-Hant"], "MY", None, "zh-Hant", "a Chinese-speaking buyer in Malaysia"),
    (["zh-Hans", "zh-Hant"], "TW", None, "zh-Hant", "a tie: the site's default"),
])
def test_buyer_language(history: list[str | None], site: str | None, reported: str | None,
                        expected: str, why: str) -> None:
    assert buyer_language(history, site, reported) == expected, why
