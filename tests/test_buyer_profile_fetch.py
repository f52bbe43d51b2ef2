"""A conversation started by a push shows the buyer the platform knows (name, avatar)
on its very first card, without delaying the push's acknowledgement; when the platform
could not say at first, a later pull that knows more updates the conversation and its
card. Over real HTTP against each platform's emulator."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.test_platform_e2e import platform_bridge

#: The emulator endpoint behind each connector's fetch_buyer.
PROFILE_ENDPOINT = {"shopee": "get_one_conversation", "lazada": "/im/session/get",
                    "tiktok": "conversations"}
PROFILE_FAILURE: dict[str, Any] = {"shopee": "error_server", "lazada": "ServiceUnavailable",
                                   "tiktok": 36009003}


async def push(b: Any, h: Any, name: str, text: str, key: str = "c1") -> float:
    headers, body, _ = h.signed_push(text, key)
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http, http.post(
            f"{b.base_url}/webhooks/{name}", data=body, headers=headers) as r:
        assert r.status == 200
    return time.perf_counter() - started


def card_text(b: Any, conv: Any) -> str:
    root = b.slack.message(conv.channel_id, conv.thread_ts)
    return json.dumps(root["blocks"], ensure_ascii=False) + root["text"]


@pytest.mark.parametrize("name", ["shopee", "lazada", "tiktok"])
async def test_first_card_names_the_buyer(tmp_path: Path, name: str) -> None:
    async with platform_bridge(tmp_path, name) as (b, h):
        await h.buyer_says("c1", "warm-up")  # the conversation exists on the platform
        buyer_name, avatar, _ = h.buyer_profile("c1")
        elapsed = await push(b, h, name, "Hello, is this in stock?")
        assert elapsed < 0.5  # acknowledged before the profile is fetched
        conv = await b.thread(str(h.store.shop_id))
        card = card_text(b, conv)
        assert buyer_name in card and "Buyer 1" not in card.replace(buyer_name, "")
        assert conv.buyer_name == buyer_name and conv.buyer_avatar == avatar
        await b.wait(lambda: b.replies(conv) or None)
        post = b.replies(conv)[0]
        assert post.get("username", "").startswith(buyer_name)
        assert post.get("icons", {}).get("image_48") == avatar


@pytest.mark.parametrize("name", ["lazada", "tiktok"])
async def test_a_later_pull_names_a_buyer_the_push_did_not(tmp_path: Path, name: str) -> None:
    async with platform_bridge(tmp_path, name) as (b, h):
        buyer_name, avatar, _ = h.buyer_profile("c1")  # the pushed message is the only one
        h.emulator.fail_next(PROFILE_ENDPOINT[name], PROFILE_FAILURE[name], 10)
        await push(b, h, name, "Where is my parcel?")
        conv = await b.thread(str(h.store.shop_id))
        assert conv.buyer_name.startswith("Buyer ") and buyer_name not in card_text(b, conv)
        if name == "tiktok":  # its pull reads the same conversation list
            h.emulator.faults.clear()
        await b.service.repair(conv.store_key, True)  # the pushed message, pulled again
        named = await b.until(lambda: b.store.conversations.get(conv.id),
                              lambda c: c.buyer_name == buyer_name)
        assert named.buyer_avatar == avatar
        await b.wait(lambda: buyer_name in card_text(b, conv), timeout=10)
