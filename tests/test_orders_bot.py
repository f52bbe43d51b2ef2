"""Orders beside the chat, end to end against the Shopee emulator seeded with the
samples: the card lists the buyer's orders, order events reach the thread (by
push and by the safety pull), alerts fire once, /cs order and template facts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import aiohttp

from bot.orders import OrdersFeature
from tests.emulators.shopee import SHOP_ID
from tests.emulators.shopee_orders_env import SAMPLE_NOW
from tests.test_platform_e2e import platform_bridge

BUYER = 165105353  # the samples' buyer: chat to_id = order buyer_user_id
A, B, C = "231115A7K2QW9N", "231114B3M8XR2P", "231101C5T4HV7D"


async def chatting(b, h):  # noqa: ANN001, ANN201 - the conversation with the samples' buyer
    h._buyers["c1"] = BUYER
    h.emulator.conversation(SHOP_ID, BUYER, "minh_nguyen")
    headers, body, _ = h.signed_push("Đơn hàng của tôi đâu rồi?", "c1")
    async with aiohttp.ClientSession() as http, \
            http.post(f"{b.base_url}/webhooks/shopee", data=body, headers=headers) as r:
        assert r.status == 200
    return await b.thread(str(SHOP_ID))


def card(b, conv) -> str:  # noqa: ANN001
    return json.dumps(b.slack.message(conv.channel_id, conv.thread_ts)["blocks"],
                      ensure_ascii=False)


def notes(b, conv) -> list[str]:  # noqa: ANN001
    return [m.get("text", "") for m in b.replies(conv) if not m.get("username")]


async def test_orders_on_card_thread_events_and_alerts(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "shopee") as (b, h):
        shift = int(time.time()) - SAMPLE_NOW
        h.emulator.seed_order_samples(SHOP_ID, shift)
        conv = await chatting(b, h)
        key = f"shopee:{SHOP_ID}"
        assert await b.service.feature(OrdersFeature).sync.pull(key) == 3
        await b.wait(lambda: A in card(b, conv) and B in card(b, conv) and C in card(b, conv))
        shown = card(b, conv)
        assert "To ship" in shown and "cancellation requested" in shown
        assert "return/refund requested" in shown and "VND" in shown
        # The buyer's cancellation and return requests are said in the thread, once.
        await b.wait(lambda: any("asked to cancel" in t for t in notes(b, conv)))
        await b.wait(lambda: any("requested for order" in t for t in notes(b, conv)))
        await b.service.feature(OrdersFeature).sync.pull(key)
        await b.settle()
        assert len([t for t in notes(b, conv) if "asked to cancel" in t]) == 1

        # Alerts in the store channel, also without the conversation; each once.
        posted = await b.service.feature(OrdersFeature).alerts.tick()
        kinds = sorted(k.split(":")[0] for _, k in posted)
        assert "cancel" in kinds and "return" in kinds
        assert await b.service.feature(OrdersFeature).alerts.tick() == []
        channel = b.channels["cs-shopee-sg"]
        await b.wait(lambda: any("Cancellation request on order" in m["text"]
                                 for m in b.slack.messages(channel)))

        # A push: order A ships. Details are fetched and the thread hears it.
        h.emulator.configure_push("https://storebridge.test/webhooks/shopee",
                                  deliver_to=f"{b.base_url}/webhooks/shopee")
        h.emulator.update_order(SHOP_ID, A, order_status="SHIPPED")
        await b.wait(lambda: any(f"Order `{A}` has shipped" in t for t in notes(b, conv)),
                     timeout=10)
        await b.wait(lambda: "Shipped" in card(b, conv))

        # The Orders button opens the detail modal.
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "orders_open")
        view = json.dumps((await b.wait(lambda: b.slack.open_views(b.agent)))[-1],
                          ensure_ascii=False)
        assert A in view and "×" in view

        # Template facts and /cs order.
        facts = await b.service.feature(OrdersFeature).order_facts(conv.id)
        assert facts["order_sn"] in (A, B, C) and facts["order_status"]
        await b.slack.user_runs_command(b.agent, channel, "/cs", f"order {B}")
        answer = await b.wait(lambda: b.slack.responses)
        text = json.dumps(answer[-1].payload, ensure_ascii=False)
        assert B in text and conv.ref in text


async def test_ship_by_alert_with_a_lead_time(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "shopee") as (b, h):
        now = int(time.time())
        h.emulator.seed_order_samples(SHOP_ID, now - SAMPLE_NOW)
        h.emulator.new_order(SHOP_ID, "2311AAAA000001", ship_by_date=now + 3 * 3600)
        h.emulator.new_order(SHOP_ID, "2311AAAA000002", ship_by_date=now + 30 * 3600)
        key = f"shopee:{SHOP_ID}"
        await b.service.feature(OrdersFeature).sync.pull(key)
        alerts = b.service.feature(OrdersFeature).alerts
        posted = [oid for oid, kind in await alerts.tick() if kind == "ship_by"]
        assert "2311AAAA000001" in posted and "2311AAAA000002" not in posted
        b.clock.advance(25 * 3600)  # the second order's deadline comes within 6 h
        posted = [oid for oid, kind in await alerts.tick() if kind == "ship_by"]
        assert posted == ["2311AAAA000002"]
        section = json.dumps(await alerts.digest_section(now=b.clock()))
        assert "Orders at risk today" in section and "2311AAAA000002" in section


async def test_tiktok_links_the_chat_buyer_to_orders_through_user_id(tmp_path: Path) -> None:
    """TikTok's chat push names the buyer by im_user_id, which cannot query orders:
    the conversation is mapped to the order-side user_id, then searched by buyer."""
    async with platform_bridge(tmp_path, "tiktok") as (b, h):
        h.emulator.orders.seed_samples(h.shop.id)
        conv_id = next(iter(h.shop.conversations))
        tconv = h.shop.conversations[conv_id]
        msg = h.emulator.state.add_message(tconv, role="BUYER",
                                           content={"content": "Khi nào giao hàng vậy shop?"})
        headers, body = h.emulator.push.new_message(tconv, msg)
        async with aiohttp.ClientSession() as http, \
                http.post(f"{b.base_url}/webhooks/tiktok", data=body, headers=headers) as r:
            assert r.status == 200
        conv = await b.thread(h.shop.id)
        assert conv.buyer_id == tconv.buyer.im_user_id
        await b.wait(lambda: "578123456789012345" in card(b, conv), timeout=10)
        linked = await b.store.conversations.get(conv.id)
        assert linked.buyer_order_id == tconv.buyer.user_id != tconv.buyer.im_user_id
        # The card may be refreshed (buyer profile, language) before the order's
        # cancellation is read: it shows once it is.
        await b.wait(lambda: "cancellation requested" in card(b, conv), timeout=10)


async def test_an_order_mentioned_in_the_chat_is_fetched_and_shown(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "shopee") as (b, h):
        h.emulator.seed_order_samples(SHOP_ID, int(time.time()) - SAMPLE_NOW)
        conv = await chatting(b, h)
        await b.settle()
        assert await b.store.orders.of_conversation(conv) == []  # no pull has run
        headers, body, _ = h.signed_push(f"Đơn {B} của tôi hủy được không?", "c1")
        async with aiohttp.ClientSession() as http, \
                http.post(f"{b.base_url}/webhooks/shopee", data=body, headers=headers) as r:
            assert r.status == 200
        await b.wait(lambda: B in card(b, conv), timeout=10)
        assert [o["order_id"] for o in await b.store.orders.of_conversation(conv)] == [B]
