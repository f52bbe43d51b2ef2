"""Marketplace → StoreBridge: pushes and repair pulls, each message stored once
before anything else happens."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from bot.backfill import DEFAULT_HOURS, waiting_for_answer
from bot.buyer_language import BuyerLanguages
from bot.catchup import CatchUpMarkers
from bot.connector_hub import ConnectorHub
from bot.events import ConversationOpened, EventBus, MessageClaimed, OrdersChanged
from bot.logs import log_context
from bot.render.labels import summarize
from bot.store import Store
from connectors.errors import PushRejected
from connectors.models import InboundMessage

log = logging.getLogger(__name__)

MAX_REPAIR_PAGES = 200  # one pass; the next trigger continues from the cursor
PROFILE_TIMEOUT = 10.0  # seconds for the platform to say who a new buyer is


@dataclass(frozen=True)
class PushAnswer:
    status: int
    body: bytes
    content_type: str | None = None
    reason: str | None = None


class Ingest:
    def __init__(self, store: Store, hub: ConnectorHub, *,
                 on_claimed: Callable[[str], None], events: EventBus | None = None) -> None:
        self.store = store
        self.hub = hub
        self.on_claimed = on_claimed  # channel_ref -> wake the Slack outbox
        #: Features hear of claims here (bot/events.py), after they commit. Listeners
        #: must not block: schedule work and return.
        self.events = events or EventBus()
        #: Set by the service: live posts wait while a store catches up.
        self.catchup: CatchUpMarkers | None = None
        #: A first connection brings in conversations waiting this long at most.
        self.backfill_hours = DEFAULT_HOURS
        self._tasks: set[asyncio.Task[None]] = set()
        self.languages = BuyerLanguages(store)

    async def accept(self, store_key: str, messages: Iterable[InboundMessage], *,
                     fetched: bool = False) -> int:
        """Claim, then publish the claims' events. Outside a transaction only (a pull's
        page uses :meth:`_claim` and publishes after its own). ``fetched``: the
        messages come from a catch-up's pull, in the platform's order."""
        committed: list[object] = []
        # One transaction for the claims and what they teach (language, profile): each
        # transaction queues once for SQLite's writer, and a push waits on its answer.
        async with self.store.database.tx():
            count = await self._claim(store_key, messages, committed, fetched=fetched)
        await self._publish(store_key, count, committed)
        return count

    async def _claim(self, store_key: str, messages: Iterable[InboundMessage],
                     committed: list[object], *, fetched: bool) -> int:
        """Claims each message; its events join ``committed`` once its transaction
        commits (inside a caller's transaction: when that one does)."""
        cfg = self.hub.stores[store_key]
        new: list[int] = []
        for m in messages:
            claim = await self.store.conversations.claim_inbound(
                store_key, cfg.platform, cfg.site, cfg.channel, m,
                summarize(str(m.kind), m.text, m.attributes))
            if fetched:
                await self.store.catchups.note_fetched(store_key, m.message_id)
            if claim.new_conversation and not (m.buyer.name and m.buyer.avatar_url):
                self._ask_profile(store_key, claim.conversation_id, m.conversation_id)
            elif claim.message_id is None and not m.from_seller:
                # A message seen before may know more now (a pull after a bare push).
                await self.store.buyers.learn(claim.conversation_id, name=m.buyer.name,
                                              avatar=m.buyer.avatar_url, language=m.language)
            if not m.from_seller and (claim.message_id is not None or m.language):
                text = m.text if str(m.kind) == "text" else None
                await self.languages.observe(claim.conversation_id, claim.message_id,
                                             site=cfg.site, text=text, reported=m.language)
            if claim.message_id is not None:
                new.append(claim.message_id)
                if claim.new_conversation or claim.reopened:
                    self._after_commit(committed, ConversationOpened(
                        store_key, claim.conversation_id, claim.message_id, claim.reopened))
                if not m.from_seller:
                    self._after_commit(committed, MessageClaimed(
                        store_key, cfg.channel, claim.conversation_id, claim.message_id, m,
                        claim.new_conversation, claim.reopened))
        if new:
            log.debug("%d new message(s) stored", len(new))
        return len(new)

    def _after_commit(self, committed: list[object], event: object) -> None:
        self.store.database.defer(partial(committed.append, event))

    async def _publish(self, store_key: str, count: int, committed: list[object]) -> None:
        """The listeners first (a new conversation is assigned before its card is
        drawn), then the Slack outbox is woken for the new posts."""
        await self.events.publish(*committed)
        if count:
            self.on_claimed(self.hub.stores[store_key].channel)

    def _ask_profile(self, store_key: str, conversation_id: int,
                     platform_conversation_id: str) -> None:
        """Ask the platform who the buyer is, once the claim has committed; the push is
        acknowledged without waiting for it."""
        def start() -> None:
            task = asyncio.create_task(self.learn_profile(
                store_key, conversation_id, platform_conversation_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self.store.database.defer(start)

    async def learn_profile(self, store_key: str, conversation_id: int,
                            platform_conversation_id: str) -> None:
        connector, account = self.hub.for_store(store_key)
        found = None
        try:
            found = await asyncio.wait_for(
                connector.fetch_buyer(account, platform_conversation_id), PROFILE_TIMEOUT)
        except Exception as e:  # noqa: BLE001 - a later push or pull may still name them
            log.info("buyer profile of %s in %s not fetched: %s", platform_conversation_id,
                     store_key, e)
        await self.store.buyers.learn(
            conversation_id, name=found.name if found else None,
            avatar=found.avatar_url if found else None,
            language=found.language if found else None, asked=True)
        if found and found.language:
            await self.languages.observe(conversation_id, None, reported=found.language,
                                         site=self.hub.stores[store_key].site)
        self.on_claimed(self.hub.stores[store_key].channel)

    async def handle_push(self, connector_name: str, headers: Mapping[str, str], body: bytes,
                    url: str) -> PushAnswer:
        """Verify, persist, then answer the way the platform expects. Raises nothing."""
        connector = self.hub.connector(connector_name)
        if connector is None:
            return PushAnswer(404, b"no store uses this platform", reason="unknown platform")
        try:
            batch = connector.verify_push(headers, body, url)
        except PushRejected as e:
            log.warning("rejected %s push: %s", connector_name, e.reason)
            return PushAnswer(e.status, e.reason.encode(), "text/plain", e.reason)
        for kind in batch.ignored:
            log.debug("ignored %s push of type %s", connector_name, kind)
        by_store: dict[str, list[InboundMessage]] = {}
        for m in batch.messages:
            cfg = self.hub.store_for_shop(connector_name, m.shop_id)
            if cfg is None:
                log.warning("%s push for shop %s, which is not configured; dropped",
                            connector_name, m.shop_id)
                continue
            by_store.setdefault(cfg.key, []).append(m)
        for key, msgs in by_store.items():
            with log_context(store=key):
                await self.accept(key, msgs)
        events: dict[str, list[Any]] = {}
        for event in batch.order_events:
            cfg = self.hub.store_for_shop(connector_name, event.shop_id)
            if cfg is not None:
                events.setdefault(cfg.key, []).append(event)
        for key, evs in events.items():
            await self.events.deliver(OrdersChanged(key, tuple(evs)))
        ack = connector.push_ack
        return PushAnswer(ack.status, ack.body, ack.content_type)

    async def repair(self, store_key: str, full: bool = False) -> int:
        """Catch up from the persisted cursor (``full``: from the start of what the
        platform keeps; duplicates are dropped by the unique index). The cursor moves
        with each page in the same transaction as the page's messages."""
        with log_context(store=store_key):
            if self.catchup is None:
                return await self._repair(store_key, full)
            await self.catchup.begin([store_key])
            try:
                return await self._repair(store_key, full)
            finally:
                await asyncio.shield(self.catchup.end(store_key))

    async def _repair(self, store_key: str, full: bool) -> int:
        connector, account = self.hub.for_store(store_key)
        if not full and await self.store.catchups.first_connection(
                store_key, await self.store.books.cursor(store_key)):
            return await self._first_connection(store_key)
        total = 0
        for page_no in range(MAX_REPAIR_PAGES):
            cursor = None if full and page_no == 0 else await self.store.books.cursor(store_key)
            page = await connector.fetch_since(account, cursor)
            committed: list[object] = []
            async with self.store.database.tx():
                count = await self._claim(store_key, page.messages, committed, fetched=True)
                if page.cursor is not None:
                    await self.store.books.save_cursor(store_key, page.cursor)
            await self._publish(store_key, count, committed)
            total += count
            if not page.more:
                break
        if total:
            log.info("repair sync of %s caught up %d message(s)", store_key, total)
        return total

    async def _first_connection(self, store_key: str) -> int:
        """No cursor yet: read what the platform keeps, then bring in only the
        conversations waiting for an answer within the backfill window (all pages
        first: whether a buyer still waits is only known from the newest message)."""
        connector, account = self.hub.for_store(store_key)
        cursor: str | None = None
        found: list[InboundMessage] = []
        for _ in range(MAX_REPAIR_PAGES):
            page = await connector.fetch_since(account, cursor)
            found.extend(page.messages)
            cursor = page.cursor if page.cursor is not None else cursor
            if not page.more:
                break
        since = self.store.database.clock() - self.backfill_hours * 3600
        keep = waiting_for_answer(found, since)
        committed: list[object] = []
        async with self.store.database.tx():
            total = await self._claim(store_key, keep, committed, fetched=True)
            if cursor is not None:
                await self.store.books.save_cursor(store_key, cursor)
        await self._publish(store_key, total, committed)
        log.info("first connection of %s: %d conversation(s) waiting, %d message(s)",
                 store_key, len({m.conversation_id for m in keep}), total)
        return total
