"""The buyer's language on Shopee, Lazada and TikTok (none of them reports one): detected
from the buyer's messages, shown on the card, correctable from it by the store's team,
and used to translate replies (LibreTranslate emulator) and the buyer's messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import StoreConfig, TranslationConfig
from tests.emulators import lazada, shopee, tiktok
from tests.emulators.libretranslate import API_KEY, LibreTranslateEmulator
from tests.harness import running_bridge
from tests.test_platform_e2e import env_for

PLATFORMS = ["shopee", "lazada", "tiktok"]


@asynccontextmanager
async def translated_bridge(tmp_path: Path, name: str) -> AsyncIterator[tuple[Any, Any]]:
    module = {"shopee": shopee, "lazada": lazada, "tiktok": tiktok}[name]
    async with (aiohttp.ClientSession() as session, module.harness(session) as h,
                LibreTranslateEmulator() as libre):
        store = StoreConfig(
            platform=name, shop_id=str(h.store.shop_id), site=h.store.site, name=f"{name} shop",
            channel="#cs-shopee-sg", group="team", connector=name,
            seller_id=str(h.store.shop_id) if name == "lazada" else None,
            api_url=h.store.api_url, credentials=dict(h.store.credentials))
        translation = TranslationConfig(provider="libre", url=libre.url, api_key=API_KEY)
        async with running_bridge(tmp_path, public_url="https://storebridge.test",
                                  env=env_for(name, h), stores=(store,),
                                  translation=translation) as b:
            yield b, h


async def push(b: Any, h: Any, name: str, text: str) -> None:
    headers, body, _ = h.signed_push(text, "c1")
    async with aiohttp.ClientSession() as http:
        for _ in range(20):  # a push answered 503 (not stored in time) is redelivered
            async with http.post(f"{b.base_url}/webhooks/{name}", data=body,
                                 headers=headers) as r:
                if r.status != 503:
                    assert r.status == 200
                    return
            await asyncio.sleep(0.2)
        raise AssertionError("push never accepted")


def card(b: Any, conv: Any) -> str:
    return json.dumps(b.slack.message(conv.channel_id, conv.thread_ts)["blocks"],
                      ensure_ascii=False)


@pytest.mark.parametrize("name", PLATFORMS)
async def test_detected_language_translates_both_ways(tmp_path: Path, name: str) -> None:
    async with translated_bridge(tmp_path, name) as (b, h):
        await push(b, h, name, "Còn size M không?")
        await push(b, h, name, "Khi nào giao hàng?")
        conv = await b.thread(str(h.store.shop_id))
        # An SG store: Vietnamese takes two messages to outweigh the site's English.
        conv = await b.until(lambda: b.store.conversations.get(conv.id),
                             lambda c: c.buyer_language == "vi")
        assert conv.language_source == "detected"
        await b.wait(lambda: "Vietnamese (detected)" in card(b, conv), timeout=10)
        # The buyer's words are translated beneath them (back-translation).
        await b.wait(lambda: any("When will it be delivered?" in json.dumps(m["blocks"])
                                 for m in b.replies(conv)), timeout=10)
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "translate_toggle")
        await b.until(lambda: b.store.conversations.get(conv.id), lambda c: c.translate_replies)
        ts = await b.agent_replies(conv, "Yes, size M is in stock.")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts), timeout=10)
        assert h.sent_texts("c1") == ["Vâng, size M vẫn còn hàng."]


@pytest.mark.parametrize("name", PLATFORMS)
async def test_team_corrects_the_language_from_the_card(tmp_path: Path, name: str) -> None:
    async with translated_bridge(tmp_path, name) as (b, h):
        await push(b, h, name, "Kapan pesanan saya dikirim?")
        conv = await b.thread(str(h.store.shop_id))
        await b.wait(lambda: "Language:" in card(b, conv))
        # Someone outside the store's team may not change it.
        await b.slack.user_clicks(b.outsider, conv.channel_id, conv.thread_ts,
                                  "buyer_language_set", value="th")
        await b.wait(lambda: any("Only agents" in e.get("text", "")
                                 for e in b.slack.ephemerals(b.outsider)))
        assert (await b.store.conversations.get(conv.id)).buyer_language != "th"
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts,
                                  "buyer_language_set", value="id")
        await b.until(lambda: b.store.conversations.get(conv.id),
                      lambda c: (c.buyer_language, c.language_source) == ("id", "team"))
        await b.wait(lambda: "Indonesian (set by the team)" in card(b, conv), timeout=10)
        # Later messages in another language no longer change a team's choice.
        await push(b, h, name, "Còn size M không?")
        await push(b, h, name, "Khi nào giao hàng?")
        await b.until(lambda: b.store.database.value(
            "SELECT COUNT(*) FROM messages WHERE detected_language = 'vi'"), lambda n: n == 2)
        assert (await b.store.conversations.get(conv.id)).buyer_language == "id"
