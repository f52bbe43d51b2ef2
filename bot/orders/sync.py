"""Keeping orders current: pushes (thin: ids only) queue a detail fetch, a
safety pull runs from a persisted watermark, and each change that matters to a
conversation is said once in the buyer's thread."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.connector_hub import ConnectorHub
from bot.orders.render import event_text
from bot.slack_work import SlackWork
from bot.store import Conversation, Store
from connectors.errors import PermanentError
from connectors.orders import Order, OrderEvent, OrderSource

log = logging.getLogger(__name__)

MAX_PULL_PAGES = 50
NEW_ORDER_WINDOW = 24 * 3600  # older orders found by a first sync are not "new"
NoteBlocks = Callable[[str, str, Order, str], Awaitable[list[dict[str, Any]] | None]]


class OrderSync:
    def __init__(self, store: Store, hub: ConnectorHub, *, clock: Callable[[], float],
                 wake_slack: Callable[[str], None], note_blocks: NoteBlocks | None = None
                 ) -> None:
        self.store = store
        self.hub = hub
        self.clock = clock
        self.wake_slack = wake_slack
        #: (store_key, event kind, order, note text) -> blocks for the thread note, or
        #: None: the actions feature's answer buttons on buyer requests.
        self.note_blocks = note_blocks

    def source(self, store_key: str) -> tuple[OrderSource, Any] | None:
        connector, account = self.hub.for_store(store_key)
        if not isinstance(connector, OrderSource):
            return None  # e.g. the sandbox marketplace has no orders
        return connector, account

    # -- pushes -------------------------------------------------------------------------
    async def on_events(self, store_key: str, events: tuple[OrderEvent, ...]) -> None:
        """Persisted before the push is acknowledged; fetched afterwards."""
        await self.store.orders.queue_refresh(store_key, [e.order_id for e in events],
                                        ",".join(sorted({e.kind for e in events})))

    async def refresh(self, store_key: str) -> int:
        """Fetch details for queued orders; they stay queued if that fails."""
        src = self.source(store_key)
        if src is None:
            return 0
        connector, account = src
        done = 0
        while ids := await self.store.orders.pending_refresh(store_key):
            try:
                orders = await connector.get_orders(account, ids)
            except PermanentError:
                # One bad id (a number typed in a chat) must not block the rest: ask
                # one by one and drop what the platform refuses.
                orders = []
                for oid in ids:
                    try:
                        orders += await connector.get_orders(account, [oid])
                    except PermanentError as e:
                        log.info("order %s of %s dropped: %s", oid, store_key, e)
            await self.apply(store_key, orders)
            found = {o.order_id for o in orders}
            for missing in set(ids) - found:  # the platform does not know it: drop it
                await self.store.orders.drop_refresh(store_key, missing)
            done += len(orders)
        return done

    async def pull(self, store_key: str) -> int:
        """The incremental safety pull, page by page from the persisted cursor."""
        src = self.source(store_key)
        if src is None:
            return 0
        connector, account = src
        total = 0
        for _ in range(MAX_PULL_PAGES):
            page = await connector.fetch_orders_since(account, await self.store.orders.cursor(
                store_key))
            await self.apply(store_key, list(page.orders))
            await self.store.orders.save_cursor(store_key, page.cursor)
            total += len(page.orders)
            if not page.more:
                break
        return total

    async def for_conversation(self, conv: Conversation) -> None:
        """A conversation appeared: link it to the buyer's orders where the platform
        names buyers differently on each side, and fetch them where it can."""
        src = self.source(conv.store_key)
        if src is None:
            return
        connector, account = src
        mapper = getattr(connector, "order_buyer_id", None)
        buyer = conv.buyer_order_id or conv.buyer_id
        if mapper is not None and not conv.buyer_order_id:
            mapped = await mapper(account, conv.platform_conversation_id)
            if mapped:
                await self.store.orders.set_buyer_order_id(conv.id, mapped)
                buyer = mapped
        orders = await connector.orders_of_buyer(account, buyer)
        if orders:
            await self.apply(conv.store_key, orders)
        await self.store.ops.refresh_card(conv.channel_ref, conv.id)
        fresh = await self.store.conversations.get(conv.id)
        self._wake_if_posted(fresh or conv)

    def _wake_if_posted(self, conv: Conversation) -> None:
        """A conversation whose root is not posted yet is woken for by ingest once all
        its first-message listeners ran (assignment, priority): waking it from here
        first would post the card before them, then update it."""
        if conv.thread_ts:
            self.wake_slack(conv.channel_ref)

    # -- applying what was fetched ----------------------------------------------------
    async def apply(self, store_key: str, orders: list[Order]) -> None:
        now = self.clock()
        touched: dict[int, Conversation] = {}
        for order in orders:
            before = await self.store.orders.upsert(store_key, order)
            after = await self.store.orders.get(store_key, order.order_id)
            assert after is not None
            conv = await self.store.orders.conversation_for(store_key, order.buyer_id)
            if conv is None:
                continue
            touched[conv.id] = conv
            for kind, key in changes(before, after, now):
                if await self.store.orders.once(store_key, order.order_id, f"thread:{kind}", key):
                    payload: dict[str, Any] = {"text": event_text(kind, after, now)}
                    if self.note_blocks is not None:  # e.g. the request's answer buttons
                        blocks = await self.note_blocks(store_key, kind, order, payload["text"])
                        if blocks:
                            payload["blocks"] = blocks
                    await self.store.ops.enqueue(
                        conv.channel_ref, SlackWork.POST_THREAD_NOTE, conversation_id=conv.id,
                        payload=payload, dedupe_key=f"order-note:{store_key}:"
                                                    f"{order.order_id}:{kind}")
        for conv in touched.values():
            await self.store.ops.refresh_card(conv.channel_ref, conv.id)
            self._wake_if_posted(conv)


def changes(before: dict[str, Any] | None, after: dict[str, Any],
            now: float) -> list[tuple[str, str]]:
    """(kind, dedupe key) of what a conversation should hear about."""
    return [*_status_changes(before, after, now), *_request_changes(before or {}, after)]


def _status_changes(before: dict[str, Any] | None, after: dict[str, Any],
                    now: float) -> list[tuple[str, str]]:
    """A new order (only a recent one), and its shipping, delivery or cancellation."""
    out: list[tuple[str, str]] = []
    if before is None and now - after["created_at"] <= NEW_ORDER_WINDOW:
        out.append(("new", "1"))
    old_status = before["status"] if before else None
    if after["status"] in ("shipped", "delivered", "cancelled") and old_status != after[
            "status"] and (before is not None or now - after["updated_at"] <= NEW_ORDER_WINDOW):
        out.append((after["status"], "1"))
    return out


def _request_changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str]]:
    """The buyer's new cancellation or return requests."""
    out: list[tuple[str, str]] = []
    cancel = after.get("cancellation") or {}
    was = before.get("cancellation") or {}
    if cancel.get("state") == "pending" and was.get("state") != "pending":
        out.append(("cancel_requested", str(cancel.get("requested_at") or "1")))
    old_pending = {r["return_id"] for r in before.get("returns") or []
                   if r.get("state") == "pending"}
    for r in after.get("returns") or []:
        if r.get("state") == "pending" and r["return_id"] not in old_pending:
            out.append((f"return_requested:{r['return_id']}", "1"))
    return out
