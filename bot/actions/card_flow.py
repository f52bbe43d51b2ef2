"""The product-or-order card modal: search the store's products, pick one of the
buyer's orders, add a message, preview, send (bot/actions/cards.py says how a card
is sent)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.actions.cards import MESSAGE, ORDER, PICK, SEARCH, VIEW
from bot.text_safety import escape_untrusted
from connectors.errors import ConnectorError
from connectors.models import StoreAccount
from connectors.rich import Product, RichSender

if TYPE_CHECKING:
    from bot.feature_api import Services
    from bot.store import Conversation


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75] or value}, "value": value[:150]}


def product_label(p: Product) -> str:
    price = f" · {p.price} {p.currency}".rstrip() if p.price else ""
    return f"{p.name}{price}"


class CardFlow:
    def __init__(self, service: Services) -> None:
        self.service = service

    def _rich(self, store_key: str) -> tuple[RichSender, StoreAccount] | None:
        connector, account = self.service.hub.for_store(store_key)
        return (connector, account) if isinstance(connector, RichSender) else None

    async def view(self, conv: Conversation, user: str, query: str,
                   picked: str | None = None) -> dict[str, Any] | str:
        """The modal: product search and results, this buyer's orders, a preview."""
        if not self.service.relay.may_reply(user, conv.store_key):
            return "You are not an agent of this store's team, so you cannot send it cards."
        rich = self._rich(conv.store_key)
        if rich is None:
            return "This store's marketplace connection cannot send product or order cards."
        connector, account = rich
        products: list[Product] = []
        if query.strip():
            try:
                products = await connector.search_products(account, query.strip())
            except ConnectorError as e:
                return f"The product search failed: {e.user_message}"
        orders = await self.service.store.orders.of_conversation(conv, 25)
        search = {"type": "input", "block_id": SEARCH, "dispatch_action": True,
                  "optional": True, "label": {"type": "plain_text",
                                              "text": "Find a product (name or id)"},
                  "element": {"type": "plain_text_input", "action_id": SEARCH,
                              **({"initial_value": query} if query else {})}}
        blocks: list[dict[str, Any]] = [search]
        chosen = next((p for p in products if p.product_id == picked), None) or (
            products[0] if products else None)
        if products:
            blocks.append({"type": "input", "block_id": PICK, "optional": True,
                           "dispatch_action": True, "label": {"type": "plain_text",
                                                               "text": "Product"},
                           "element": {"type": "static_select", "action_id": PICK,
                                       "initial_option": _option(product_label(chosen),
                                                                 chosen.product_id)
                                       if chosen else None,
                                       "options": [_option(product_label(p), p.product_id)
                                                   for p in products[:100]]}})
            blocks[-1]["element"] = {k: v for k, v in blocks[-1]["element"].items() if v}
        elif query.strip():
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                           f"No product matches “{escape_untrusted(query)}”."}]})
        if orders:
            blocks.append({"type": "input", "block_id": ORDER, "optional": True, "label": {
                "type": "plain_text", "text": "…or one of this buyer's orders"},
                "element": {"type": "static_select", "action_id": ORDER, "options": [
                    _option(f"{o['order_id']} · {o['amount']} {o['currency']}", o["order_id"])
                    for o in orders]}})
        blocks += self._preview(chosen, connector, bool(orders))
        blocks.append({"type": "input", "block_id": MESSAGE, "optional": True, "label": {
            "type": "plain_text", "text": "Message with it (optional, sent first)"},
            "element": {"type": "plain_text_input", "action_id": MESSAGE, "multiline": True}})
        meta = {"c": conv.id, "q": query, "p": [[p.product_id, product_label(p)]
                                                 for p in products[:100]]}
        return {"type": "modal", "callback_id": VIEW, "private_metadata": json.dumps(meta)[:3000],
                "title": {"type": "plain_text", "text": "Send a card"},
                "submit": {"type": "plain_text", "text": "Send"}, "blocks": blocks}

    @staticmethod
    def _preview(p: Product | None, connector: RichSender, has_orders: bool
                 ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if p is not None:
            as_text = "" if connector.cards.product else (
                "\n_This marketplace cannot send product cards: it goes as a text line._")
            section: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text":
                f"*Preview:* {escape_untrusted(product_label(p))}\n"
                f"id `{escape_untrusted(p.product_id)}`"
                + (f" · {escape_untrusted(p.status)}" if p.status else "") + as_text}}
            if p.image_url and p.image_url.startswith("https://"):
                section["accessory"] = {"type": "image", "image_url": p.image_url,
                                        "alt_text": p.name[:100] or "product"}
            out.append(section)
        if has_orders and not connector.cards.order:
            out.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                        "This marketplace cannot send order cards: an order goes as a text "
                        "line with its number."}]})
        return out

    async def send(self, user: str, meta: dict[str, Any], values: dict[str, str]
                   ) -> dict[str, str] | None:
        conv = await self.service.store.conversations.get(int(meta["c"]))
        if conv is None or not self.service.relay.may_reply(user, conv.store_key):
            return {SEARCH: "You cannot send cards in this conversation."}
        product, order = values.get(PICK), values.get(ORDER)
        if bool(product) == bool(order):
            return {ORDER if order else SEARCH: "Pick one product or one order to send."}
        labels = dict(meta.get("p") or [])
        if product and product not in labels:
            return {SEARCH: "Search again: that product is not in the results."}
        if order and await self.service.store.orders.get(conv.store_key, order) is None:
            return {ORDER: "That order is not this store's."}
        card = {"kind": "product" if product else "order", "id": product or order or "",
                "label": labels[product] if product else order or ""}
        text = values.get(MESSAGE, "")
        await self.service.relay.queue_reply(
            conv, user, text, lambda held: self.service.store.replies.record_from_bot(
                conv, user, text, source="card", card=card, held=held))
        await self.service.store.books.set_current(user, conv.id)
        return None

