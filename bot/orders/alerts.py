"""Deadlines the seller must not miss, whether or not the buyer is chatting:
ship-by approaching, cancellation and return/refund requests awaiting an answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import Settings
from bot.orders.render import alert_text, countdown
from bot.render.labels import slack_date
from bot.slack_work import SlackWork
from bot.store import Store
from bot.text_safety import escape_untrusted

AT_RISK_HORIZON = 24 * 3600


def due_items(order: dict[str, Any]) -> list[tuple[str, float | None, str]]:
    """(kind, deadline, dedupe key) of what this order waits on the seller for."""
    items: list[tuple[str, float | None, str]] = []
    if order["status"] == "to_ship" and order.get("ship_by"):
        items.append(("ship_by", order["ship_by"], str(order["ship_by"])))
    cancel = order.get("cancellation") or {}
    if cancel.get("state") == "pending":
        items.append(("cancel", cancel.get("respond_by"), str(cancel.get("respond_by"))))
    for r in order.get("returns") or []:
        if r.get("state") == "pending":
            items.append((f"return:{r['return_id']}", r.get("respond_by"),
                          str(r.get("respond_by"))))
    return items


class OrderAlerts:
    def __init__(self, store: Store, settings: Settings, *, clock: Callable[[], float],
                 wake_slack: Callable[[str], None]) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.wake_slack = wake_slack
        self._max_lead: float | None = None

    def lead_seconds(self, store_key: str) -> float:
        cfg = self.settings.store(store_key)
        hours = cfg.ship_by_lead_hours or self.settings.ship_by_lead_hours
        return hours * 3600

    def max_lead(self) -> float:
        """The longest ship-by lead of any store: orders due later are not read."""
        if self._max_lead is None:
            hours = [s.ship_by_lead_hours or 0 for s in self.settings.stores]
            self._max_lead = max([self.settings.ship_by_lead_hours, *hours]) * 3600
        return self._max_lead

    async def tick(self) -> list[tuple[str, str]]:
        """Post each due alert once in the store's channel: (order id, kind)."""
        now = self.clock()
        posted: list[tuple[str, str]] = []
        for order in await self.store.orders.with_deadline_before(now + self.max_lead()):
            key = order["store_key"]
            try:
                cfg = self.settings.store(key)
            except KeyError:
                continue
            for kind, deadline, dedupe in due_items(order):
                if kind == "ship_by" and (deadline is None
                                          or deadline - now > self.lead_seconds(key)):
                    continue
                if not await self.store.orders.once(key, order["order_id"], f"alert:{kind}",
                                                    dedupe):
                    continue
                conv = await self.store.orders.conversation_for(key, order["buyer_id"])
                text = alert_text(kind.split(":")[0], order, deadline, now,
                                  conv.buyer_name if conv else None)
                await self.store.ops.enqueue(cfg.channel, SlackWork.POST_CHANNEL,
                                       conversation_id=conv.id if conv else None,
                                       payload={"text": text},
                                       dedupe_key=f"order-alert:{key}:{order['order_id']}:"
                                                  f"{kind}:{dedupe}")
                self.wake_slack(cfg.channel)
                posted.append((order["order_id"], kind))
        return posted

    async def at_risk(self, now: float) -> list[dict[str, Any]]:
        """The digest's "at risk today": deadlines within a day, or already missed."""
        out = []
        for order in await self.store.orders.with_deadline_before(now + AT_RISK_HORIZON):
            for kind, deadline, _ in due_items(order):
                if deadline is not None and deadline - now <= AT_RISK_HORIZON:
                    out.append({"order": order, "kind": kind.split(":")[0],
                                "deadline": deadline})
        return sorted(out, key=lambda x: x["deadline"])

    async def digest_section(self, now: float | None = None) -> list[dict[str, Any]]:
        now = self.clock() if now is None else now
        risky = await self.at_risk(now)
        if not risky:
            return []
        words = {"ship_by": "ship", "cancel": "answer cancellation", "return": "answer return"}
        lines = [f"• `{escape_untrusted(r['order']['order_id'])}` ({r['order']['store_key']}): "
                 f"{words[r['kind']]} by {slack_date(r['deadline'])} "
                 f"({countdown(r['deadline'], now)})" for r in risky[:30]]
        return [{"type": "section", "text": {"type": "mrkdwn", "text":
                 "*Orders at risk today*\n" + "\n".join(lines)}}]
