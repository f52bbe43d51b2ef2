"""The demo's second story: a Malay-speaking buyer cancels an order.

Her message is shown with its translation beneath (the offline ``demo``
phrasebook); the card lists her orders and her thread carries the cancellation
request with its deadline; Mai accepts it through the order action, then
promises the refund in a reply that waits ⏳ for a manager's approval, and goes
out in Malay ✅ once Hana approves it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.demo.marketplace import SandboxMarketplace
from bot.demo.marketplace.state import SandboxBuyer, SandboxStore
from bot.demo.narration import Narrator
from bot.demo.slack_standin.slack_api import SlackEmulator
from bot.demo.steps import Results, step
from bot.service import Service
from bot.store.template_model import language_name

BUYER_ID = "b-2001"  # Nurul Aisyah, Kedai Batik Seri (Lazada MY): her order has a request
CANCEL = "Saya nak batalkan pesanan ni."
REPLY = ("No problem, we will cancel the order and refund you in full within 3 "
         "working days.")


def _has(message: dict[str, Any] | None, *words: str) -> bool:
    shown = json.dumps(message or {}, ensure_ascii=False)
    return all(w in shown for w in words)


@dataclass
class _Story:
    """Who and where: her thread, once it exists."""

    slack: SlackEmulator
    market: SandboxMarketplace
    n: Narrator
    results: Results
    buyer: SandboxBuyer
    shop: SandboxStore
    order: dict[str, Any]
    ch: str
    root: str

    def thread(self) -> list[dict[str, Any]]:
        return self.slack.replies(self.ch, self.root)

    def card(self) -> dict[str, Any] | None:
        return self.slack.message(self.ch, self.root)

    def sent(self) -> list[dict[str, Any]]:
        """What the marketplace received for her."""
        return self.market.sent_messages(
            self.shop.shop_id, self.market.conversation_id(self.shop.shop_id, self.buyer.buyer_id))


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
    story = _Story(slack, market, n, results, buyer, shop, order, conv.channel_id,
                   conv.thread_ts)
    request = await _request_in_thread(story)
    if request is None:
        return
    await _accept_cancellation(story, agent, request)
    await _refund_promised(story, agent, manager)


async def _request_in_thread(s: _Story) -> dict[str, Any] | None:
    """Her message translated, her orders on the card, and the request with its buttons."""
    await step(s.n, "her message shown with its translation beneath (🌐)", lambda: any(
        _has(m, "🌐 I want to cancel this order.") for m in s.thread()), s.results)
    await step(s.n, "her orders on the card (🧾)", lambda: _has(
        s.card(), "🧾", s.order["order_id"]), s.results)
    # A reply in her thread: it can only come once the thread exists.
    request: dict[str, Any] | None = await step(
        s.n, "the cancellation request and its deadline in her thread",
        lambda: next((m for m in s.thread() if _has(
            m, "asked to cancel", "order_act:cancel_accept")), None), s.results)
    return request


async def _accept_cancellation(s: _Story, agent: str, request: dict[str, Any]) -> None:
    slack, order = s.slack, s.order
    s.n.say(f"\n👩 Mai clicks Accept cancellation on order {order['order_id']}, and confirms")
    await slack.user_clicks(agent, s.ch, request["ts"], "order_act:cancel_accept")
    views = await step(s.n, "the confirmation shows the order, its amount and the deadline",
                       lambda: [v for v in slack.open_views(agent) if _has(
                           v, "Respond by", order["currency"])], s.results)
    if views:
        await slack.user_submits_view(agent, views[-1]["id"], {})
    await step(s.n, "cancellation accepted on the marketplace; the card says Cancelled",
               lambda: (s.market.order_book.get(s.shop.shop_id, order["order_id"]) or {}).get(
                   "status") == "CANCELLED" and _has(s.card(), "Cancelled"),
               s.results)


async def _refund_promised(s: _Story, agent: str, manager: str) -> None:
    """Translated replies on; the refund promise waits for Hana, then reaches her in Malay."""
    slack = s.slack
    s.n.say("\n👩 Mai clicks 🌐 Translate my replies on the card")
    await slack.user_clicks(agent, s.ch, s.root, "translate_toggle")
    await step(s.n, "replies to her are now translated (the card says on)", lambda: _has(
        s.card(), "Translate my replies: on"), s.results)

    s.n.say(f"\n👩 Mai replies in English: {REPLY}")
    mine = await slack.user_posts(agent, s.ch, REPLY, thread_ts=s.root)
    held = await step(s.n, "the reply promises a refund, so it waits ⏳ for a manager",
                      lambda: next((m for m in s.thread() if _has(m, "approval_approve")),
                                   None) if not s.sent() else None, s.results)
    if held is None:
        return
    s.n.say("\n👔 Hana (manager) clicks Approve & send")
    await slack.user_clicks(manager, s.ch, held["ts"], "approval_approve")
    await step(s.n, "approved, then delivered (✅)", lambda: "white_check_mark" in
               slack.reactions(s.ch, mine), s.results)
    got = await step(s.n, "the buyer received it in Malay (🌐)", lambda: next((
        m["content"].get("text") for m in s.sent()
        if "pesanan" in m["content"].get("text", "")), None) if any(
        _has(m, "🌐 The buyer received (ms)") for m in s.thread()) else None, s.results)
    if got:
        s.n.say(f"   📦 the buyer received: {got}")
