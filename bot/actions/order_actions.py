"""Answering a buyer's cancellation or return request from its thread.

Buttons on the request note offer what the platform allows when the note is posted;
a click re-reads the order from the platform (the state may have moved), checks who
may act, and opens a confirmation modal. Confirming *claims* the decision in the
database before the platform is called, so two clicks (or two workers) act once.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.actions.order_views import (
    DONE_WORDS,
    LABELS,
    answered_blocks,
    confirm_modal,
    request_buttons,
)
from bot.authz import NOT_ORDER_ACTOR
from bot.slack_work import SlackWork
from connectors.errors import ConnectorError, OutcomeUnknown, RuleViolation
from connectors.models import StoreAccount
from connectors.order_actions import ActionNeeds, ActionRefused, OrderAction, ReturnDecision
from connectors.orders import Order, OrderActor, OrderSource

if TYPE_CHECKING:
    from bot.feature_api import Services

log = logging.getLogger(__name__)
_DECISION = {OrderAction.RETURN_ACCEPT: ReturnDecision.ACCEPT,
             OrderAction.RETURN_REFUSE: ReturnDecision.REFUSE,
             OrderAction.RETURN_PARTIAL_REFUND: ReturnDecision.PARTIAL_REFUND}


@runtime_checkable
class OrderDesk(OrderActor, OrderSource, Protocol):
    """A connector that both reads orders and answers buyer requests."""


class OrderActions:
    def __init__(self, service: Services) -> None:
        self.service = service
        self.store = service.store

    def _actor(self, store_key: str) -> tuple[OrderDesk, StoreAccount] | None:
        connector, account = self.service.hub.for_store(store_key)
        if not isinstance(connector, OrderDesk):
            return None
        return connector, account

    async def note_blocks(self, store_key: str, kind: str, order: Order, text: str
                          ) -> list[dict[str, Any]] | None:
        """Buttons for a request note (hooked into the order sync)."""
        if kind != "cancel_requested" and not kind.startswith("return_requested:"):
            return None
        actor = self._actor(store_key)
        if actor is None:
            return None
        return_id = kind.split(":", 1)[1] if ":" in kind else ""
        allowed = actor[0].allowed_actions(order, return_id or None)
        return request_buttons(store_key, order.order_id, return_id, allowed, text)

    async def _fresh(self, store_key: str, order_id: str) -> Order | None:
        actor = self._actor(store_key)
        if actor is None:
            return None
        orders = await actor[0].get_orders(actor[1], [order_id])
        return orders[0] if orders else None

    async def open(self, user: str, value: dict[str, Any], note: dict[str, str]
                   ) -> dict[str, Any] | str:
        """The confirmation modal for a click, or why not, in plain words."""
        key, oid, rid = value["s"], value["o"], value.get("r") or ""
        action = OrderAction(value["a"])
        if key not in self.service.hub.stores:
            return "This store is no longer connected."
        if not self.service.relay.access.may_act_on_orders(user, key):
            return NOT_ORDER_ACTOR
        done = await self.store.actions.decision(key, oid, rid or oid)
        if done and done["state"] in ("acting", "done", "unknown"):
            return f"<@{done['actor']}> already answered this request."
        try:
            order = await self._fresh(key, oid)
        except ConnectorError as e:
            return f"Could not read the order from the marketplace: {e.user_message}"
        actor = self._actor(key)
        if order is None or actor is None:
            return "The marketplace no longer knows this order."
        connector, account = actor
        missing = connector.missing_for(account, action) if isinstance(
            connector, ActionNeeds) else None
        if missing:
            return missing
        if action not in connector.allowed_actions(order, rid or None):
            return ("This request can no longer be answered from Slack: it was already "
                    "answered, withdrawn, or its deadline has passed.")
        reasons = []
        if action in (OrderAction.CANCEL_REJECT, OrderAction.RETURN_REFUSE):
            try:
                reasons = await connector.refusal_reasons(
                    account, rid or oid, "return" if rid else "cancel")
            except ConnectorError as e:
                return f"Could not read the marketplace's reasons: {e.user_message}"
        meta = {**value, **note}
        return confirm_modal(order, rid, action, reasons, self.service.clock(), meta)

    async def confirm(self, user: str, meta: dict[str, Any], values: dict[str, str]
                      ) -> dict[str, str] | None:
        """Act on a confirmed modal; field errors (keeps the modal open) or None."""
        key, oid, rid = meta["s"], meta["o"], meta.get("r") or ""
        action = OrderAction(meta["a"])
        amount = values.get("amount")
        if action == OrderAction.RETURN_PARTIAL_REFUND:
            try:
                if Decimal(amount or "x") <= 0:
                    raise InvalidOperation
            except InvalidOperation:
                return {"amount": "Enter a positive amount, like 12.50."}
        if not self.service.relay.access.may_act_on_orders(user, key):
            return {"reason" if "reason" in values else "amount" if amount else "_":
                    NOT_ORDER_ACTOR}
        conv = await self.store.conversations.get(int(meta["c"]))
        self.service.spawn(self._act(user, key, oid, rid, action, values, conv, meta))
        return None

    async def _act(self, user: str, key: str, oid: str, rid: str, action: OrderAction,
                   values: dict[str, str], conv: Any, meta: dict[str, Any]) -> None:
        if not await self.store.actions.claim(key, oid, rid or oid, action.value, user):
            await self._tell(conv, user, "Someone already answered this request; nothing "
                                         "was sent again.")
            return
        actor = self._actor(key)
        if actor is None:  # checked when the modal opened; the store list is fixed at start
            raise LookupError(f"store {key} answers no order requests")
        connector, account = actor
        name = await self.service.sender.directory.user_name(user)
        try:
            if action in (OrderAction.CANCEL_ACCEPT, OrderAction.CANCEL_REJECT):
                await connector.answer_cancellation(account, oid, action is
                                                    OrderAction.CANCEL_ACCEPT,
                                                    values.get("reason"))
            else:
                await connector.answer_return(account, oid, rid, _DECISION[action],
                                              reason=values.get("reason"),
                                              amount=values.get("amount"),
                                              comment=values.get("comment") or "")
        except ActionRefused as e:
            await self.store.actions.settle(key, oid, rid or oid, "refused", e.user_message)
            await self._note(conv, f"⚠️ {name} tried to {LABELS[action].rstrip('…').lower()} "
                                   f"on order `{oid}`. {e.user_message}")
            await self._tell(conv, user, f"Nothing changed: {e.user_message}")
            return
        except OutcomeUnknown as e:
            await self.store.actions.settle(key, oid, rid or oid, "unknown", e.user_message)
            await self._note(conv, f"⚠️ {name} answered the request on order `{oid}`, but "
                                   "the marketplace did not confirm it. StoreBridge re-reads "
                                   "the order; check the seller centre before trying again.")
            await self._refresh(key, oid)
            return
        except RuleViolation as e:  # checked here before any call: nothing was sent
            await self.store.actions.settle(key, oid, rid or oid, "failed", e.user_message)
            await self._tell(conv, user, f"Nothing changed: {e.user_message}")
            return
        except ConnectorError as e:
            await self.store.actions.settle(key, oid, rid or oid, "failed", e.user_message)
            await self._tell(conv, user, f"Not done, try again: {e.user_message}")
            return
        await self.store.actions.settle(key, oid, rid or oid, "done")
        extra = f" of {values['amount']}" if values.get("amount") else ""
        outcome = f"✅ {name} {DONE_WORDS[action]} order `{oid}`{extra}."
        await self._note(conv, outcome)
        await self._mark_answered(meta, key, oid, rid, outcome)
        await self._refresh(key, oid)

    async def _mark_answered(self, meta: dict[str, Any], key: str, oid: str, rid: str,
                             outcome: str) -> None:
        """The request note loses its buttons; the store channel's alert says it is done."""
        slack = self.service.slack
        try:
            if meta.get("ch") and meta.get("ts"):
                await slack.chat_update(channel=meta["ch"], ts=meta["ts"], text=meta.get("n")
                                        or outcome, blocks=answered_blocks(meta.get("n") or "",
                                                                           outcome))
            kind = f"return:{rid}" if rid else "cancel"
            for ref, ts in await self.store.actions.posted(f"order-alert:{key}:{oid}:{kind}:"):
                channel = await self.store.books.channel_id(ref)
                if channel:
                    await slack.chat_update(channel=channel, ts=ts, text=f"Answered: {outcome}")
        except Exception as e:  # noqa: BLE001 - cosmetic: the decision is recorded already
            log.info("could not mark request on %s answered in Slack: %s", oid, e)

    async def _refresh(self, key: str, oid: str) -> None:
        """The card line and the alerts follow the platform's new state."""
        await self.store.orders.queue_refresh(key, [oid], "answered from Slack")
        refresh = self.service.slots.refresh_orders  # the orders feature's
        if refresh is None:
            return
        try:
            await refresh(key)
        except Exception as e:  # noqa: BLE001 - stays queued; the order job retries
            log.info("order %s not refreshed after an action: %s", oid, e)

    async def _note(self, conv: Any, text: str) -> None:
        if conv is None:
            return
        await self.store.ops.enqueue(conv.channel_ref, SlackWork.POST_THREAD_NOTE,
                                     conversation_id=conv.id, payload={"text": text})
        self.service.outbox.kick(conv.channel_ref)

    async def _tell(self, conv: Any, user: str, text: str) -> None:
        if conv is None:
            return
        await self.store.ops.enqueue(conv.channel_ref, SlackWork.EPHEMERAL, conversation_id=conv.id,
                                     payload={"user": user, "text": text,
                                              "thread_ts": conv.thread_ts})
        self.service.outbox.kick(conv.channel_ref)


def meta_from_click(body: dict[str, Any], conv_id: int | None) -> dict[str, str]:
    """Where the clicked note is, to take its buttons off once answered."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    return {"ch": str(container.get("channel_id") or (body.get("channel") or {}).get("id")
                      or ""),
            "ts": str(container.get("message_ts") or message.get("ts") or ""),
            "n": str(message.get("text") or "")[:1500], "c": str(conv_id or 0)}


def parse_value(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
        OrderAction(value["a"])
        return value if isinstance(value.get("s"), str) and isinstance(value.get("o"),
                                                                        str) else None
    except (ValueError, KeyError, TypeError):
        return None
