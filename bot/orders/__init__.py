"""Orders beside the chat: the buyer's orders on the card, order events in the
thread, ship-by and refund alerts, and order facts for templates and hand-overs."""

from __future__ import annotations

import logging
import re
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.authz import NOT_AGENT
from bot.feature_api import (
    ConversationOpened,
    Feature,
    Job,
    MessageClaimed,
    OrdersChanged,
    Register,
    Services,
    Slots,
    on,
)
from bot.orders.alerts import OrderAlerts
from bot.orders.render import STATUS_WORDS, card_block, card_lines, orders_modal, status_line
from bot.orders.sync import OrderSync
from bot.render.labels import slack_date
from bot.store import Conversation
from bot.text_safety import escape_untrusted
from connectors.orders import Order

log = logging.getLogger(__name__)

#: How each platform writes an order number, to spot one typed in a chat message.
ORDER_NUMBER = {
    "shopee": re.compile(r"\b\d{6}[0-9A-Z]{8}\b"),  # 231115A7K2QW9N: date + 8
    "lazada": re.compile(r"\b\d{15}\b"),
    "tiktok": re.compile(r"\b\d{18}\b"),  # an unknown number is dropped by the fetch
}


def order_references(platform: str, text: str) -> list[str]:
    pattern = ORDER_NUMBER.get(platform)
    return pattern.findall(text or "") if pattern else []


PULL_EVERY_MINUTES = 15
LAZADA_PULL_EVERY_MINUTES = 60  # Lazada asks apps not to loop GetOrders
ALERTS_EVERY_SECONDS = 300


class OrdersFeature:
    def __init__(self, service: Services) -> None:
        self.service = service
        wake = service.outbox.kick
        self.sync = OrderSync(service.store, service.hub, clock=service.clock, wake_slack=wake,
                              note_blocks=self._note_blocks)
        self.alerts = OrderAlerts(service.store, service.settings, clock=service.clock,
                                  wake_slack=wake)

    async def _note_blocks(self, store_key: str, kind: str, order: Order, text: str
                           ) -> list[dict[str, Any]] | None:
        offer = self.service.slots.order_note_blocks  # the actions feature's buttons
        return await offer(store_key, kind, order, text) if offer is not None else None

    # -- listeners ----------------------------------------------------------------------
    async def on_orders_changed(self, event: OrdersChanged) -> None:
        await self.sync.on_events(event.store_key, event.events)
        self.service.spawn(self._refresh(event.store_key))

    async def _refresh(self, store_key: str) -> None:
        try:
            await self.sync.refresh(store_key)
        except Exception as e:  # noqa: BLE001 - stays queued; the job retries
            log.info("order details for %s not fetched yet: %s", store_key, e)

    async def on_opened(self, event: ConversationOpened) -> None:
        if not event.reopened:  # a new buyer: their orders, for the card
            self.service.spawn(self._link(event.conversation_id))

    async def on_message(self, event: MessageClaimed) -> None:
        """An order card, or an order number typed in the chat, names an order worth
        knowing now rather than at the next pull."""
        store, msg = self.service.store, event.message
        refs = set(order_references(event.store_key.split(":", 1)[0], msg.text))
        for key in ("order_sn", "order_id"):
            if str(msg.kind) == "order" and msg.attributes.get(key):
                refs.add(str(msg.attributes[key]))
        unknown = [r for r in refs if await store.orders.get(event.store_key, r) is None]
        if unknown:
            await store.orders.queue_refresh(event.store_key, unknown, "mentioned in chat")
            self.service.spawn(self._refresh(event.store_key))

    async def _link(self, conversation_id: int) -> None:
        conv = await self.service.store.conversations.get(conversation_id)
        if conv is None:
            return
        try:
            await self.sync.for_conversation(conv)
        except Exception as e:  # noqa: BLE001 - the card shows orders once they are known
            log.info("orders of %s not fetched: %s", conv.ref, e)

    async def card_section(self, conv: Conversation, now: float) -> list[dict[str, Any]]:
        lines = card_lines(await self.service.store.orders.of_conversation(conv), now)
        return [card_block(conv.id, lines)] if lines else []

    async def pull_marketplaces(self) -> None:
        await self.pull_all(lazada=False)

    async def pull_lazada(self) -> None:
        await self.pull_all(lazada=True)

    async def pull_all(self, *, lazada: bool) -> None:
        for key, cfg in self.service.hub.stores.items():
            if (cfg.connector == "lazada") != lazada:
                continue
            for step in (self.sync.refresh, self.sync.pull):
                try:
                    await step(key)
                except Exception as e:  # noqa: BLE001 - one store's outage stops only it
                    log.info("order %s of %s failed: %s", step.__name__, key, e)

    # -- facts for other features ------------------------------------------------------
    async def order_facts(self, conversation_id: int) -> dict[str, str]:
        """Placeholders for templates, from the conversation's most recent order."""
        conv = await self.service.store.conversations.get(conversation_id)
        orders = await self.service.store.orders.of_conversation(conv, 1) if conv else []
        if not orders:
            return {}
        o = orders[0]
        facts = {"order_sn": o["order_id"],
                 "order_status": STATUS_WORDS.get(o["status"], o["status"])}
        if o.get("tracking_no"):
            facts["tracking_no"] = o["tracking_no"]
        if o.get("ship_by"):
            from datetime import UTC, datetime
            facts["ship_by"] = datetime.fromtimestamp(o["ship_by"], UTC).strftime(
                "%Y-%m-%d %H:%M UTC")
        return facts

    async def open_orders_text(self, conversation_id: int) -> str | None:
        conv = await self.service.store.conversations.get(conversation_id)
        orders = await self.service.store.orders.of_conversation(conv, 10) if conv else []
        open_ = [o for o in orders if o["status"] in ("unpaid", "to_ship", "shipped")
                 or "requested" in status_line(o)]
        if not open_:
            return None
        def deadline(o: dict[str, Any]) -> str:  # the promise the platform holds the shop to
            return (f", ship by {slack_date(o['ship_by'])}"
                    if o["status"] == "to_ship" and o.get("ship_by") else "")
        return ", ".join(f"`{escape_untrusted(o['order_id'])}` ({status_line(o)}{deadline(o)})"
                         for o in open_[:5])

    async def order_command(self, user: str, words: list[str]) -> list[dict[str, Any]] | str:
        """/cs order <number>: the order, privately, with a link to the buyer's thread."""
        if not words:
            return "Usage: `/cs order <order-number>`"
        visible = set(self.service.relay.access.visible_stores(user))
        # Another team's order is "not known" to this person: its existence is not theirs.
        found = [o for o in await self.service.store.orders.find(words[0])
                 if o["store_key"] in visible]
        if not found:
            return f"No order `{escape_untrusted(words[0])}` is known (yet)."
        now = self.service.clock()
        blocks: list[dict[str, Any]] = orders_modal(found, now, "")["blocks"]
        for o in found:
            conv = await self.service.store.orders.conversation_for(o["store_key"], o["buyer_id"])
            link = await self.service.outbox.effects.permalink(conv.id) if conv else None
            where = f"<{link}|the buyer's thread ({conv.ref})>" if link and conv else \
                "no conversation with this buyer yet"
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                f"{o['store_key']} · updated {slack_date(o['updated_at'])} · {where}"}]})
        return blocks


def feature(service: Services) -> Feature:
    orders = OrdersFeature(service)
    every = IntervalTrigger
    return Feature(
        "orders", orders,
        listeners=(on(OrdersChanged, orders.on_orders_changed),
                   on(ConversationOpened, orders.on_opened),
                   on(MessageClaimed, orders.on_message)),
        jobs=(Job("orders", orders.pull_marketplaces, every(minutes=PULL_EVERY_MINUTES)),
              Job("orders-lazada", orders.pull_lazada, every(minutes=LAZADA_PULL_EVERY_MINUTES)),
              Job("order-alerts", orders.alerts.tick, every(seconds=ALERTS_EVERY_SECONDS))),
        card_sections=(orders.card_section,),
        digest_sections=(orders.alerts.digest_section,),
        slack=_listeners(service),
        provides=Slots(order_facts=orders.order_facts, open_orders_text=orders.open_orders_text,
                       order_command=orders.order_command, refresh_orders=orders.sync.refresh))


def _listeners(service: Services) -> Register:
    def register(app: AsyncApp) -> None:
        @app.action("orders_open")
        async def orders_open(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                              client: AsyncWebClient) -> None:
            await ack()
            conv = await service.store.conversations.get(int(action["value"]))
            if conv is None:
                return
            if not service.relay.may_reply(body["user"]["id"], conv.store_key):
                await service.relay.tell(conv, body["user"]["id"], NOT_AGENT)
                return
            orders = await service.store.orders.of_conversation(conv, 10)
            await client.views_open(trigger_id=body["trigger_id"], view=orders_modal(
                orders, service.clock(), conv.buyer_name))

    return register
