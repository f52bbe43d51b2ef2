"""Orders beside the chat: the buyer's orders on the card, order events in the
thread, ship-by and refund alerts, and order facts for templates and hand-overs."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from bot.authz import NOT_AGENT
from bot.orders.alerts import OrderAlerts
from bot.orders.render import STATUS_WORDS, orders_modal, status_line
from bot.orders.sync import OrderSync
from bot.render.labels import slack_date
from bot.text_safety import escape_untrusted

if TYPE_CHECKING:
    from bot.service import Service

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
    def __init__(self, service: Service) -> None:
        self.service = service
        wake = service.outbox.kick
        self.sync = OrderSync(service.store, service.hub, clock=service.clock, wake_slack=wake)
        self.alerts = OrderAlerts(service.store, service.settings, clock=service.clock,
                                  wake_slack=wake)

    # -- hooks ------------------------------------------------------------------------
    async def on_order_events(self, store_key: str, events: tuple[Any, ...]) -> None:
        await self.sync.on_events(store_key, events)
        self.service.spawn(self._refresh(store_key))

    async def _refresh(self, store_key: str) -> None:
        try:
            await self.sync.refresh(store_key)
        except Exception as e:  # noqa: BLE001 - stays queued; the job retries
            log.info("order details for %s not fetched yet: %s", store_key, e)

    async def on_new_message(self, message_id: int) -> None:
        store = self.service.store
        msg = await store.conversations.message(message_id)
        conv = await store.conversations.get(msg.conversation_id) if msg else None
        if msg is None or conv is None:
            return
        first = await store.conversations.first_inbound_id(conv.id) == message_id
        if first:
            self.service.spawn(self._link(conv))
        # An order card, or an order number typed in the chat, names an order worth
        # knowing now rather than at the next pull.
        refs = set(order_references(conv.store_key.split(":", 1)[0], msg.text))
        for key in ("order_sn", "order_id"):
            if msg.kind == "order" and msg.attributes.get(key):
                refs.add(str(msg.attributes[key]))
        unknown = [r for r in refs if await store.orders.get(conv.store_key, r) is None]
        if unknown:
            await store.orders.queue_refresh(conv.store_key, unknown, "mentioned in chat")
            self.service.spawn(self._refresh(conv.store_key))

    async def _link(self, conv: Any) -> None:
        try:
            await self.sync.for_conversation(conv)
        except Exception as e:  # noqa: BLE001 - the card shows orders once they are known
            log.info("orders of %s not fetched: %s", conv.ref, e)

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
        blocks = orders_modal(found, now, "")["blocks"]
        for o in found:
            conv = await self.service.store.orders.conversation_for(o["store_key"], o["buyer_id"])
            link = await self.service.outbox.effects.permalink(conv.id) if conv else None
            where = f"<{link}|the buyer's thread ({conv.ref})>" if link and conv else \
                "no conversation with this buyer yet"
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                f"{o['store_key']} · updated {slack_date(o['updated_at'])} · {where}"}]})
        return blocks


def install(service: Service) -> Any:
    feature = OrdersFeature(service)
    service.orders = feature  # type: ignore[attr-defined]
    service.order_facts = feature.order_facts  # type: ignore[attr-defined]
    service.open_orders_text = feature.open_orders_text  # type: ignore[attr-defined]
    service.digest_sections.append(feature.alerts.digest_section)
    service.ingest.on_order_events.append(feature.on_order_events)
    service.ingest.on_new_message.append(feature.on_new_message)
    sched = service.scheduler
    sched.add_job(feature.pull_all, "interval", minutes=PULL_EVERY_MINUTES, id="orders",
                  kwargs={"lazada": False}, max_instances=1, coalesce=True)
    sched.add_job(feature.pull_all, "interval", minutes=LAZADA_PULL_EVERY_MINUTES,
                  id="orders-lazada", kwargs={"lazada": True}, max_instances=1, coalesce=True)
    sched.add_job(feature.alerts.tick, "interval", seconds=ALERTS_EVERY_SECONDS,
                  id="order-alerts", max_instances=1, coalesce=True)

    def register(app: Any) -> None:
        @app.action("orders_open")
        async def orders_open(ack: Any, body: dict[str, Any], action: dict[str, Any],
                              client: Any) -> None:
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
