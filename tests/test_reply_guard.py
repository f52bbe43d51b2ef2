"""The reply guard over real HTTP (issue 11, item 3): a typed reply in a language the
buyer does not write, naming another buyer's order or another store, waits (⏳,
nothing sent) until its author answers a private question: Send anyway / Cancel."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.actions.reply_guard import CANCEL, NOT_YOURS, SEND
from bot.actions.reply_guard_rules import GuardConfig, order_tokens, reply_language
from bot.config import ConfigError, TranslationConfig
from bot.config_read import load_settings
from bot.http import build_web_app
from bot.service import Service
from bot.store import Conversation
from connectors.orders import Order, OrderItem, OrderStatus
from tests.emulators.libretranslate import API_KEY, LibreTranslateEmulator
from tests.harness import Bridge, running_bridge, serve

VIETNAMESE = "Dạ shop gửi hàng cho bạn ngay hôm nay nhé"


async def started(b: Bridge, buyer: str = "b-rachel") -> Conversation:
    await b.buyer_says("The cup arrived broken", buyer=buyer)
    conv = await b.thread()
    await b.wait(lambda: b.replies(conv) or None)
    return conv


def prompts(b: Bridge, user: str) -> list[dict[str, Any]]:
    """The guard's questions ``user`` can still answer (an answer removes the buttons)."""
    return [e for e in b.slack.ephemerals(user) if SEND in json.dumps(e.get("blocks") or [])]


async def asked(b: Bridge, user: str, words: str) -> dict[str, Any]:
    found = await b.wait(lambda: [e for e in prompts(b, user) if words in e["text"]])
    return found[-1]


def told(b: Bridge, user: str, words: str) -> Any:
    return b.wait(lambda: [r for r in b.slack.responses
                           if r.user_id == user and words in json.dumps(r.payload)])


async def state(b: Bridge, conv: Conversation, ts: str) -> str:
    return (await b.store.conversations.message_by_ts(conv.channel_id, ts)).state


async def order(b: Bridge, store_key: str, buyer: str, order_id: str) -> None:
    now = datetime.now(UTC)
    await b.store.orders.upsert(store_key, Order(
        shop_id=store_key.split(":")[1], order_id=order_id, buyer_id=buyer,
        status=OrderStatus.SHIPPED, platform_status="SHIPPED", amount="10", currency="SGD",
        created_at=now, updated_at=now, items=(OrderItem("Mug", 1),)))


async def test_wrong_language_waits_then_send_anyway_sends_it_once(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, VIETNAMESE)
        prompt = await asked(b, b.agent, "looks like Vietnamese, but Rachel Tan writes in "
                                         "English")
        assert "hourglass_flowing_sand" in b.reactions(conv, ts)
        await b.settle()
        assert b.sent_texts() == [] and await state(b, conv, ts) == "unconfirmed"

        # Two clicks at once (a double click, two workers): one send.
        await asyncio.gather(*(b.slack.user_clicks(b.agent, conv.channel_id, prompt["ts"], SEND)
                               for _ in range(2)))
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        await told(b, b.agent, "already sent or cancelled")
        await b.wait(lambda: not prompts(b, b.agent))  # the question lost its buttons
        await b.settle()
        assert b.sent_texts() == [VIETNAMESE]
        row = await b.store.conversations.message_by_ts(conv.channel_id, ts)
        assert row.attributes["guard"]["by"] == b.agent


async def test_cancel_never_sends(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, VIETNAMESE)
        prompt = await asked(b, b.agent, "Vietnamese")
        await b.slack.user_clicks(b.agent, conv.channel_id, prompt["ts"], CANCEL)
        await b.wait(lambda: [e for e in b.slack.ephemerals(b.agent)
                              if e["ts"] == prompt["ts"] and "Not sent" in e["text"]])
        await b.wait(lambda: not b.reactions(conv, ts))  # ⏳ gone: it will not leave
        assert await state(b, conv, ts) == "cancelled"
        mid = (await b.store.conversations.message_by_ts(conv.channel_id, ts)).id
        assert await b.service.relay.guard.answer(b.agent, mid, True) == (
            "This reply was already sent or cancelled.", False)
        await b.settle()
        assert b.sent_texts() == []


async def test_the_buyers_language_and_own_store_pass_straight_through(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await order(b, "shopee:sg-1", "b-rachel", "231114B3M8XR2P")
        conv = await started(b)
        for text in ("Could you send a photo of the box?", "ok 👍",
                     "Your order 231114B3M8XR2P is packed and ships today",
                     "Thanks for shopping at Kopi & Co. Homeware!",
                     "Tracking 99887766554433 is not in our records yet"):
            ts = await b.agent_replies(conv, text)
            await b.wait(lambda ts=ts: "white_check_mark" in b.reactions(conv, ts))
        assert prompts(b, b.agent) == []


async def test_another_buyers_or_stores_order_is_held(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        await order(b, "shopee:sg-1", "b-daniel", "231115A7K2QW9N")
        await order(b, "lazada:my-1", "b-aisyah", "512345678901234")
        conv = await started(b)
        ts = await b.agent_replies(conv, "Your order 231115A7K2QW9N is on its way")
        await asked(b, b.agent, "Order 231115A7K2QW9N belongs to another buyer of this "
                                "store, not Rachel Tan.")
        ts2 = await b.agent_replies(conv, "Order #512345678901234 ships today from our store")
        await asked(b, b.agent, "Order 512345678901234 belongs to a buyer of another store "
                                "(Men's Clothing Official (MY)), not Rachel Tan.")
        await b.settle()
        assert b.sent_texts() == []
        assert {await state(b, conv, ts), await state(b, conv, ts2)} == {"unconfirmed"}


async def test_another_stores_name_is_held(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, "Thanks for shopping at men's clothing official!")
        await asked(b, b.agent, "names “Men's Clothing Official”, another of the seller's "
                                "stores, but Rachel Tan wrote to Kopi &amp; Co. Homeware.")
        await b.settle()
        assert b.sent_texts() == [] and await state(b, conv, ts) == "unconfirmed"


async def test_only_the_author_or_a_manager_may_answer(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        an = b.agents[1]
        conv = await started(b)
        ts = await b.agent_replies(conv, VIETNAMESE)
        await asked(b, b.agent, "Vietnamese")
        mine = (await b.store.conversations.message_by_ts(conv.channel_id, ts)).id
        # An cannot see Mai's question; a click forged from An's own names Mai's reply.
        await b.agent_replies(conv, "Barang akan dihantar esok pagi ya", user=an)
        own = await asked(b, an, "looks like Malay")
        await b.slack.user_clicks(an, conv.channel_id, own["ts"], SEND, value=str(mine))
        await told(b, an, NOT_YOURS)
        await b.settle()
        assert b.sent_texts() == [] and await state(b, conv, ts) == "unconfirmed"
        assert prompts(b, an)  # a refusal leaves An's own question as it was
        # The store's manager may answer for Mai (from a question of their own here).
        await b.agent_replies(conv, "Gracias por tu compra, llegará mañana", user=b.manager)
        boss = await asked(b, b.manager, "looks like Spanish")
        await b.slack.user_clicks(b.manager, conv.channel_id, boss["ts"], CANCEL,
                                  value=str(mine))
        await b.until(lambda: b.store.replies.get(mine), lambda m: m.state == "cancelled")


async def test_team_language_passes_when_replies_are_translated(tmp_path: Path) -> None:
    async with LibreTranslateEmulator() as libre:
        config = TranslationConfig(provider="libre", url=libre.url, api_key=API_KEY)
        env = {"SANDBOX_SEND_TIMEOUT": "0.5", "STOREBRIDGE_TRANSLATION_RETRY_SECONDS": "0.2"}
        async with running_bridge(tmp_path, translation=config, env=env) as b:
            b.market.add_buyer("sg-1", "b-linh", "Linh Nguyen", "vi")
            conv = await started(b, "b-linh")
            # Off: English to a Vietnamese buyer is a slip, and the way out is named.
            ts = await b.agent_replies(conv, "Yes, size M is in stock.")
            await asked(b, b.agent, "looks like English, but Linh Nguyen writes in Vietnamese. "
                                    "“Translate my replies” on the card would translate it.")
            assert await state(b, conv, ts) == "unconfirmed"
            await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts,
                                      "translate_toggle")
            await b.until(lambda: b.store.conversations.get(conv.id),
                          lambda c: c.translate_replies)
            ts = await b.agent_replies(conv, "Your order has shipped.")
            await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
            assert b.sent_texts() == ["Đơn hàng của bạn đã được gửi đi."]
            # Written in the buyer's language, it passes too.
            ts = await b.agent_replies(conv, VIETNAMESE)
            await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
            assert len(prompts(b, b.agent)) == 1  # only the first question


async def test_send_anyway_still_passes_the_approval_gate(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, "Shop sẽ hoàn tiền cho bạn trong hôm nay nhé")
        prompt = await asked(b, b.agent, "Vietnamese")
        await b.slack.user_clicks(b.agent, conv.channel_id, prompt["ts"], SEND)
        await told(b, b.agent, "waits for a manager's approval")
        await b.wait(lambda: [m for m in b.replies(conv) if "Awaiting approval" in m["text"]])
        await b.settle()
        assert await state(b, conv, ts) == "held" and b.sent_texts() == []


async def test_an_edit_is_checked_again(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, VIETNAMESE)
        await asked(b, b.agent, "Vietnamese")
        await b.slack.user_edits(b.agent, conv.channel_id, ts, "Your parcel ships today, sorry!")
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        assert b.sent_texts() == ["Your parcel ships today, sorry!"]
        await b.wait(lambda: [e for e in b.slack.ephemerals(b.agent)
                              if "edited reply is on its way" in e["text"]])


async def test_the_question_survives_a_restart(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, VIETNAMESE)
        prompt = await asked(b, b.agent, "Vietnamese")
        assert b.runner is not None
        await b.runner.cleanup()  # the service stops; the held reply is in the database
        service = Service(b.service.settings, repair_on_start=False, stable_for=0.2,
                          probe_base=0.2, clock=b.clock)
        b.runner, b.base_url = await serve(build_web_app(service))
        b.service = service
        b.slack.configure_app(f"{b.base_url}/slack/events")
        b.market.set_webhook(f"{b.base_url}/webhooks/sandbox")
        try:
            await b.settle()
            assert b.sent_texts() == [] and await state(b, conv, ts) == "unconfirmed"
            await b.slack.user_clicks(b.agent, conv.channel_id, prompt["ts"], SEND)
            await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
            assert b.sent_texts() == [VIETNAMESE]
        finally:
            await b.runner.cleanup()


async def test_switched_off(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, reply_guard=GuardConfig(enabled=False)) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, VIETNAMESE)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
    (tmp_path / "lang").mkdir()
    async with running_bridge(tmp_path / "lang",
                              reply_guard=GuardConfig(language=False)) as b:
        conv = await started(b)
        ts = await b.agent_replies(conv, VIETNAMESE)
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, ts))
        await b.agent_replies(conv, "Also sold at Men's Clothing Official (MY)")
        await asked(b, b.agent, "another of the seller's stores")


def test_per_store_switch_and_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("""
reply_guard: {orders: false}
stores:
  - {platform: shopee, shop_id: "1", site: SG, name: X, channel: "#x",
     reply_guard: {language: false}}
  - {platform: shopee, shop_id: "2", site: SG, name: Y, channel: "#y"}
""")
    s = load_settings(path, {"SHOPEE_PARTNER_ID": "1", "SHOPEE_PARTNER_KEY": "k"})
    one, two = s.reply_guard_for("shopee:1"), s.reply_guard_for("shopee:2")
    assert (one.checks_language, one.checks_orders) == (False, True)
    assert (two.checks_language, two.checks_orders) == (True, False)
    path.write_text("reply_guard: {enabled: maybe, spelling: true}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, {})
    assert "reply_guard.enabled: expected true or false" in str(err.value)
    assert "reply_guard.spelling: unknown key" in str(err.value)


def test_what_counts_as_language_and_as_an_order_number() -> None:
    for text in ("ok", "👍 :pray:", "231114B3M8XR2P", "https://shopee.sg/x?id=123456",
                 "Terima kasih", "<@U01AGENT1> 231114B3M8XR2P"):
        assert reply_language(text) is None, text
    assert reply_language(VIETNAMESE) == "vi"
    assert reply_language("Order 231114B3M8XR2P ships today, sorry for the wait") == "en"
    assert order_tokens("Order #231114B3M8XR2P and 512345678901234, size-M, 50%, "
                        "https://x.example/231115A7K2QW9N") == ["231114B3M8XR2P",
                                                                "512345678901234"]
