"""The demo's second story: a Malay-speaking buyer cancels an order.

Her message is shown with its translation beneath (the offline ``demo``
phrasebook); the card lists her orders and her thread carries the cancellation
request with its deadline; Mai accepts it through the order action, then
promises the refund in a reply that waits ⏳ for a manager's approval, and goes
out in Malay ✅ once Hana approves it.
"""

from __future__ import annotations

import json
from typing import Any

from bot.demo_narration import Narrator
from bot.demo_steps import Results, step
from bot.service import Service
from bot.standins.slack_api import SlackEmulator
from bot.store.template_model import language_name
from connectors.sandbox import SandboxMarketplace

BUYER_ID = "b-2001"  # Nurul Aisyah, Kedai Batik Seri (Lazada MY): her order has a request
CANCEL = "Saya nak batalkan pesanan ni."
REPLY = ("No problem, we will cancel the order and refund you in full within 3 "
         "working days.")


def _has(message: dict[str, Any] | None, *words: str) -> bool:
    shown = json.dumps(message or {}, ensure_ascii=False)
    return all(w in shown for w in words)


async def cancellation_story(slack: SlackEmulator, market: SandboxMarketplace,
                             service: Service, n: Narrator, agent: str, manager: str,
                             results: Results) -> None:
    buyer = next(b for b in market.ledger.buyers.values() if b.buyer_id == BUYER_ID)
    shop = market.ledger.stores[buyer.shop_id]
    order = next(o for o in market.order_book.of_buyer(shop.shop_id, buyer.buyer_id)
                 if (o.get("cancellation") or {}).get("state") == "pending")
    n.say(f"\n🛒 {buyer.name} writes to {shop.name} ({shop.platform} {shop.site}) in "
          f"{language_name(buyer.language)}: “{CANCEL}”")
    await market.buyer_says(shop.shop_id, buyer.buyer_id, CANCEL)

    async def conversation() -> Any:
        return await service.store.conversations.first_with_thread(buyer.buyer_id)

    conv = await step(n, "a thread for her", conversation, results)
    if conv is None:
        return
    ch, root = conv.channel_id, conv.thread_ts

    def thread() -> list[dict[str, Any]]:
        return slack.replies(ch, root)

    await step(n, "her message shown with its translation beneath (🌐)", lambda: any(
        _has(m, "🌐 I want to cancel this order.") for m in thread()), results)
    await step(n, "her orders on the card (🧾)", lambda: _has(
        slack.message(ch, root), "🧾", order["order_id"]), results)
    # A reply in her thread: it can only come once the thread exists.
    request = await step(n, "the cancellation request and its deadline in her thread",
                         lambda: next((m for m in thread() if _has(
                             m, "asked to cancel", "order_act:cancel_accept")), None), results)
    if request is None:
        return

    n.say(f"\n👩 Mai clicks Accept cancellation on order {order['order_id']}, and confirms")
    await slack.user_clicks(agent, ch, request["ts"], "order_act:cancel_accept")
    views = await step(n, "the confirmation shows the order, its amount and the deadline",
                       lambda: [v for v in slack.open_views(agent) if _has(
                           v, "Respond by", order["currency"])], results)
    if views:
        await slack.user_submits_view(agent, views[-1]["id"], {})
    await step(n, "cancellation accepted on the marketplace; the card says Cancelled",
               lambda: (market.order_book.get(shop.shop_id, order["order_id"]) or {}).get(
                   "status") == "CANCELLED" and _has(slack.message(ch, root), "Cancelled"),
               results)

    n.say("\n👩 Mai clicks 🌐 Translate my replies on the card")
    await slack.user_clicks(agent, ch, root, "translate_toggle")
    await step(n, "replies to her are now translated (the card says on)", lambda: _has(
        slack.message(ch, root), "Translate my replies: on"), results)

    n.say(f"\n👩 Mai replies in English: {REPLY}")
    mine = await slack.user_posts(agent, ch, REPLY, thread_ts=root)
    held = await step(n, "the reply promises a refund, so it waits ⏳ for a manager", lambda: next(
        (m for m in thread() if _has(m, "approval_approve")), None) if not market.sent_messages(
        shop.shop_id, market.conversation_id(shop.shop_id, buyer.buyer_id)) else None, results)
    if held is None:
        return
    n.say("\n👔 Hana (manager) clicks Approve & send")
    await slack.user_clicks(manager, ch, held["ts"], "approval_approve")
    await step(n, "approved, then delivered (✅)", lambda: "white_check_mark" in
               slack.reactions(ch, mine), results)
    got = await step(n, "the buyer received it in Malay (🌐)", lambda: next((
        m["content"].get("text") for m in market.sent_messages(
            shop.shop_id, market.conversation_id(shop.shop_id, buyer.buyer_id))
        if "pesanan" in m["content"].get("text", "")), None) if any(
        _has(m, "🌐 The buyer received (ms)") for m in thread()) else None, results)
    if got:
        n.say(f"   📦 the buyer received: {got}")
