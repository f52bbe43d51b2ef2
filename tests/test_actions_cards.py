"""Product and order cards over real HTTP: from the card button or ``/reply``, search
the store's products through the platform, preview, send; order cards; the text
fallback said in the preview where a platform cannot send the card."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.emulators.shopee import SHOP_ID
from tests.emulators.shopee_orders_env import SAMPLE_NOW
from tests.harness import running_bridge
from tests.test_actions_orders import ready
from tests.test_orders_bot import BUYER, A
from tests.test_platform_e2e import platform_bridge


def top_view(b: Any, user: str) -> dict[str, Any]:
    return b.slack.open_views(user)[-1]


async def test_product_card_from_the_card_button_with_search_and_preview(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        b.market.shelf.add_product("sg-1", "p-100", "Ceramic mug, blue", "12.90", "SGD")
        b.market.shelf.add_product("sg-1", "p-200", "Ceramic mug, red", "13.90", "SGD")
        b.market.shelf.add_product("sg-1", "p-300", "Tea towel", "5.00", "SGD")
        await b.buyer_says("Do you have the mug in red?")
        conv = await b.thread()
        await b.wait(lambda: b.replies(conv) or None)
        # An outsider cannot open it.
        await b.slack.user_clicks(b.outsider, conv.channel_id, conv.thread_ts, "card_open")
        await b.wait(lambda: [r for r in b.slack.responses if r.user_id == b.outsider])
        assert b.slack.open_views(b.outsider) == []

        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "card_open")
        view = await b.wait(lambda: b.slack.open_views(b.agent) and top_view(b, b.agent))
        await b.slack.user_acts_in_view(b.agent, view["id"], "card_search", "mug")
        view = await b.wait(lambda: "Ceramic mug, blue" in json.dumps(top_view(b, b.agent))
                            and top_view(b, b.agent))
        assert "Tea towel" not in json.dumps(view) and "Preview" in json.dumps(view)
        await b.slack.user_acts_in_view(b.agent, view["id"], "card_pick", "p-200")
        view = await b.wait(lambda: "Preview:* Ceramic mug, red" in json.dumps(
            top_view(b, b.agent)) and top_view(b, b.agent))
        answer = await b.slack.user_submits_view(b.agent, view["id"],
                                                 {"card_pick": {"card_pick": "p-200"}})
        assert answer.status == 200
        copy = await b.wait(lambda: next((m for m in b.replies(conv)
                                          if "Product: Ceramic mug, red" in m["text"]), None))
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, copy["ts"]))
        sent = b.market.sent_messages("sg-1")
        assert [(m["type"], m["content"]["product_id"]) for m in sent] == [("product", "p-200")]


async def test_order_card_and_product_by_id_from_reply_on_shopee(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "shopee") as (b, h):
        h.emulator.seed_order_samples(SHOP_ID, int(time.time()) - SAMPLE_NOW)
        conv = await ready(b, h)
        await b.store.books.set_current(b.agent, conv.id)
        channel = b.channels["cs-shopee-sg"]
        await b.slack.user_runs_command(b.agent, channel, "/reply", "order")
        view = await b.wait(lambda: b.slack.open_views(b.agent) and top_view(b, b.agent))
        assert A in json.dumps(view) and "cannot send order cards" not in json.dumps(view)
        await b.slack.user_submits_view(b.agent, view["id"], {"card_order": {"card_order": A}})
        copy = await b.wait(lambda: next((m for m in b.replies(conv)
                                          if f"Order {A}" in m["text"]), None))
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, copy["ts"]), timeout=10)
        shopee_conv = h.emulator.conversation(SHOP_ID, BUYER)
        assert [m.content.get("order_sn") for m in shopee_conv.messages
                if m.from_shop_id == SHOP_ID and m.message_type == "order"] == [A]
        # Nothing picked, or both: refused in the modal, nothing sent.
        await b.slack.user_runs_command(b.agent, channel, "/reply", "order")
        view = await b.wait(lambda: b.slack.open_views(b.agent) and top_view(b, b.agent))
        bad = await b.slack.user_submits_view(b.agent, view["id"], {})
        assert bad.json["response_action"] == "errors"
