"""Buyer messages are translated beneath the original, each distinct text once, ever.

deep-translator's real LibreTranslator reaches the LibreTranslate emulator over
HTTP; the service runs whole (Slack emulator, sandbox marketplace).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.config import TranslationConfig
from bot.http import build_web_app
from bot.service import Service
from bot.store import Conversation
from bot.translation import feature
from bot.translation.inbound import InboundTranslations
from tests.emulators.libretranslate import API_KEY, LibreTranslateEmulator
from tests.harness import SHOP, Bridge, running_bridge, serve

VI_BUYERS = [("b-linh", "Linh Nguyen"), ("b-minh", "Minh Tran"), ("b-hoa", "Hoa Le"),
             ("b-khoa", "Khoa Pham"), ("b-lan", "Lan Vo")]


@asynccontextmanager
async def translating_bridge(tmp_path: Path, *, glossary: dict[str, str | None] | None = None,
                             timeout: float = 2.0, **overrides: Any
                             ) -> AsyncIterator[tuple[Bridge, LibreTranslateEmulator]]:
    async with LibreTranslateEmulator() as libre:
        config = TranslationConfig(provider="libre", url=libre.url, api_key=API_KEY,
                                   glossary=glossary or {})
        env = {"SANDBOX_SEND_TIMEOUT": "0.5", "STOREBRIDGE_TRANSLATION_TIMEOUT": str(timeout),
               "STOREBRIDGE_TRANSLATION_RETRY_SECONDS": "0.2"}
        async with running_bridge(tmp_path, service_kwargs={"features": [feature]},
                                  translation=config, env=env, **overrides) as b:
            for buyer_id, name in VI_BUYERS:
                b.market.add_buyer(SHOP, buyer_id, name, "vi")
            b.market.add_buyer(SHOP, "b-anon", "Anon", "")  # the platform names no language
            yield b, libre


async def conversation_of(b: Bridge, buyer: str) -> Conversation | None:
    row = await b.store.database.one("SELECT id FROM conversations WHERE buyer_id = ? AND "
                               "thread_ts IS NOT NULL", buyer)
    return await b.store.conversations.get(row[0]) if row else None


def translation_line(post: dict[str, Any]) -> str | None:
    """The 🌐 line beneath a buyer's message as Slack shows it (None: no translation)."""
    for block in post.get("blocks", []):
        for element in block.get("elements", []) if block["type"] == "context" else []:
            if "🌐" in element.get("text", ""):
                return element["text"]
    return None


async def shown(b: Bridge, buyer: str, text: str, expect: str | None = None,
                timeout: float = 8.0) -> dict[str, Any]:
    """The buyer's post of ``text`` once its translation line contains ``expect``."""
    async def ready() -> dict[str, Any] | None:
        conv = await conversation_of(b, buyer)
        if conv is None:
            return None
        for post in b.replies(conv):
            if text in str(post.get("blocks")):
                line = translation_line(post)
                if expect is None or (line and expect in line):
                    return post
        return None
    return await b.wait(ready, timeout=timeout)


async def restart(b: Bridge) -> None:
    """Stop the service and start a new one over the same database."""
    assert b.runner is not None
    await b.runner.cleanup()
    service = Service(b.service.settings, repair_on_start=False, features=[feature],
                      stable_for=0.2, probe_base=0.2)
    runner, base = await serve(build_web_app(service))
    b.slack.configure_app(f"{base}/slack/events")
    b.market.set_webhook(f"{base}/webhooks/sandbox")
    b.service, b.runner, b.base_url = service, runner, base


async def test_buyer_message_shows_translation_beneath_it(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, libre):
        await b.buyer_says("Còn size M không?", buyer="b-linh")
        post = await shown(b, "b-linh", "Còn size M không?", "Is size M still available?")
        assert translation_line(post) == "🌐 Is size M still available?"
        assert "translation_fix" in str(post["blocks"])
        # The team's own language is not sent anywhere.
        await b.buyer_says("Hi, has my order shipped?")
        english = await shown(b, "b-rachel", "has my order shipped")
        await b.settle()
        assert translation_line(english) is None
        assert list(libre.calls) == ["Còn size M không?"]
        assert libre.requests[0]["source"] == "vi" and libre.requests[0]["target"] == "en"


async def test_each_text_is_translated_once_even_across_a_restart(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, libre):
        await b.buyer_says("Khi nào giao hàng?", buyer="b-linh")
        await shown(b, "b-linh", "Khi nào giao hàng?", "When will it be delivered?")
        await b.buyer_says("Khi nào giao hàng?", buyer="b-minh")
        await shown(b, "b-minh", "Khi nào giao hàng?", "When will it be delivered?")
        assert libre.calls["Khi nào giao hàng?"] == 1
        try:
            await restart(b)
            await b.buyer_says("Khi nào giao hàng?", buyer="b-hoa")
            await shown(b, "b-hoa", "Khi nào giao hàng?", "When will it be delivered?")
            await b.buyer_says("Cảm ơn shop", buyer="b-hoa")
            await shown(b, "b-hoa", "Cảm ơn shop", "Thank you, shop")
            assert libre.calls == {"Khi nào giao hàng?": 1, "Cảm ơn shop": 1}
            rows = await b.store.database.all("SELECT text, source, target, provider FROM "
                                        "translations ORDER BY id")
            assert [tuple(r) for r in rows] == [("Khi nào giao hàng?", "vi", "en", "libre"),
                                                ("Cảm ơn shop", "vi", "en", "libre")]
        finally:
            assert b.runner is not None
            await b.runner.cleanup()


async def test_a_burst_of_the_same_text_makes_one_provider_call(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, libre):
        libre.delay = 0.4  # every message arrives while the first call is under way
        buyers = [buyer for buyer, _ in VI_BUYERS]
        await asyncio.gather(*(b.buyer_says("Đơn hàng của tôi đâu?", buyer=buyer)
                               for buyer in buyers))
        for buyer in buyers:
            await shown(b, buyer, "Đơn hàng của tôi đâu?", "Where is my order?")
        assert libre.calls == {"Đơn hàng của tôi đâu?": 1}


async def test_glossary_terms_never_reach_the_provider(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path, glossary={"Hoa Mai": None}) as (b, libre):
        # A store's own term, kept in the database: always rendered one way.
        await b.store.database.run("INSERT INTO glossary (store_key, term, translation) "
                             "VALUES ('shopee:sg-1', 'áo thun', 'T-shirt')")
        text = "Áo thun Hoa Mai màu đỏ còn không?"
        await b.buyer_says(text, buyer="b-linh")
        post = await shown(b, "b-linh", text, "[vi→en]")
        assert translation_line(post) == "🌐 [vi→en] T-shirt Hoa Mai colour red still not?"
        sent = libre.requests[-1]["q"]
        assert "Hoa Mai" not in sent and "thun" not in sent.lower()
        assert "màu đỏ" in sent  # the rest is translated as usual


async def test_unknown_language_is_detected_or_left_alone(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, libre):
        await b.buyer_says("Hello, is this in stock?", buyer="b-anon")
        await b.buyer_says("Còn size M không?", buyer="b-anon")
        await shown(b, "b-anon", "Còn size M không?", "Is size M still available?")
        english = await shown(b, "b-anon", "Hello, is this in stock?")
        assert translation_line(english) is None  # detected as the team's language
        assert {r["source"] for r in libre.requests} == {"auto"}
        states = dict(await b.store.database.all("SELECT text, translation_state FROM messages "
                                           "WHERE direction = 'in'"))
        assert states == {"Hello, is this in stock?": "none", "Còn size M không?": "done"}


async def test_back_translation_for_template_previews(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path) as (b, libre):
        translator = b.service.feature(InboundTranslations).translator
        assert await translator.back_translate("Vâng, size M vẫn còn hàng.", "vi") == \
            "[vi→en] Vâng, size M vẫn still goods."
        assert await translator.translate("Yes, size M is in stock.", "en", "vi") == \
            "Vâng, size M vẫn còn hàng."
        assert await translator.translate("Yes, size M is in stock.", "en", "vi") == \
            "Vâng, size M vẫn còn hàng."
        assert libre.calls["Yes, size M is in stock."] == 1  # the memory answered again
        assert await translator.back_translate("Hello", "en") == "Hello"  # nothing to do
        libre.fail_next(500)
        assert await translator.back_translate("Cảm ơn shop", "vi") is None
        assert await translator.back_translate("Cảm ơn shop", "vi") == "Thank you, shop"
