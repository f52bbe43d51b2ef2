"""Relays queued replies to the marketplaces, one worker per store.

Per conversation, replies leave strictly in order: a reply that is waiting
(backoff) or whose outcome is unknown holds the ones behind it. An unknown
outcome is checked against the marketplace before anything is sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial

from bot.actions.cards import CARD_PART
from bot.actions.images import SlackFileFetcher, image_index, image_parts, rich_part
from bot.connector_hub import ConnectorHub
from bot.events import EventBus, ReplyDelivered
from bot.leases import LeaseKeeper
from bot.logs import log_context
from bot.pacing import backoff
from bot.slack_directory import SlackDirectory
from bot.store import Conversation, Message, Store
from bot.store_health import StoreHealth
from bot.text_safety import slack_to_plain
from bot.workers import KeyedWorkers, wait_for_wake
from connectors.base import Connector
from connectors.errors import (
    AuthError,
    ConnectorError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RuleViolation,
    TransientError,
)
from connectors.models import (
    BuyerId,
    ConversationFacts,
    ConversationId,
    OutboundText,
    SentMessage,
    StoreAccount,
)
from connectors.rich import ChatTarget

log = logging.getLogger(__name__)

UNKNOWN_CHECK_DELAY = 3.0  # let the marketplace settle before asking what happened
_STILL_UNKNOWN = object()


class Sender:
    def __init__(self, store: Store, hub: ConnectorHub, directory: SlackDirectory, *,
                 on_change: Callable[[str], None], max_attempts: int = 6,
                 backoff_base: float = 0.5, health: StoreHealth | None = None,
                 leases: LeaseKeeper | None = None, events: EventBus | None = None) -> None:
        self.store = store
        self.hub = hub
        self.directory = directory
        self.on_change = on_change  # channel_ref -> wake the Slack outbox
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.health = health
        #: (conversation, plain text) -> (text to send, its language or None); never raises.
        #: The core sets both hooks from the features' slots (None: no feature offers one).
        self.translate_out: Callable[[Conversation, str],
                                     Awaitable[tuple[str, str | None]]] | None = None
        self.leases = leases
        self.events = events or EventBus()
        #: Downloads an agent's shared image from Slack (the actions feature's).
        self.fetch_file: SlackFileFetcher | None = None
        self._workers = KeyedWorkers(
            self._run, "send", claim=(lambda key: leases.claim(f"send:{key}")) if leases else None,
            on_fresh=self._recover)

    async def _recover(self, store_key: str) -> None:
        """This worker just took the store's sender: a reply its previous owner left
        ``sending`` (it crashed mid-call) may or may not have reached the buyer."""
        recovered = await self.store.replies.recover_store(store_key)
        if recovered:
            log.info("%d replies of %s were mid-send when their worker stopped; checking "
                     "them first", recovered, store_key)

    async def start(self) -> None:
        if self.leases is None:  # one process: whatever is "sending" was interrupted
            await self.store.replies.recover_after_crash()
        for key in await self.store.replies.stores_with_pending():
            self.kick(key)

    async def stop(self) -> None:
        await self._workers.stop()

    def kick(self, store_key: str) -> None:
        if store_key in self.hub.stores:
            self.store.database.defer(lambda: self._workers.kick(store_key))

    async def _run(self, store_key: str, wake: asyncio.Event) -> None:
        with log_context(store=store_key):  # JSON logs name the store of every line
            await self._run_store(store_key, wake)

    async def _run_store(self, store_key: str, wake: asyncio.Event) -> None:
        while not self._workers.stopping:
            wake.clear()
            if self.health is not None and await self.health.is_paused(store_key):
                return  # replies wait ⏳; the health probe wakes us on recovery
            due = await self.store.replies.ready_to_send(store_key)
            if not due:
                at = await self.store.replies.next_due_at(store_key)
                if at is None:
                    return
                await wait_for_wake(wake, at - self.store.database.clock())
                continue
            for msg in due:
                try:
                    await self._send_one(msg)
                except Exception:  # a bug must not stop the store's other replies
                    log.exception("reply %s: unexpected error", msg.id)
                    await self.store.replies.mark_unknown(
                        msg.id, "An internal error interrupted the send; checking.",
                        self.store.database.clock() + 30)

    async def _send_one(self, msg: Message) -> None:
        conv = await self.store.conversations.get(msg.conversation_id)
        assert conv is not None
        with log_context(conversation=conv.ref):
            await self._send_parts(msg, conv)

    async def _send_parts(self, msg: Message, conv: Conversation) -> None:
        connector, account = self.hub.for_store(msg.store_key)
        parts = msg.parts if msg.parts is not None else await self._plan(
            msg, conv, connector, account)
        if parts is None:
            return  # refused: a platform rule would be broken
        for index in range(msg.parts_done, len(parts)):
            image = image_index(parts[index])
            if image is not None or parts[index] == CARD_PART:
                sent = await self._send_rich(msg, conv, index, image, connector, account)
            else:
                sent = await self._send_text(msg, conv, index, parts[index], connector, account)
            if not sent:
                return
        first = await self.store.replies.first_part_id(msg.id)
        assert first is not None
        at = self.store.database.clock()
        await self.store.replies.mark_delivered(msg.id, first, at)  # commits: then the event
        log.debug("reply %s delivered in %d part(s)", msg.id, len(parts))
        self.on_change(conv.channel_ref)
        await self.events.publish(ReplyDelivered(msg.store_key, conv.channel_ref, conv.id,
                                                 msg.id, msg.author, at))

    async def _plan(self, msg: Message, conv: Conversation, connector: Connector,
                    account: StoreAccount) -> list[str] | None:
        """What the buyer will get, as the platform's messages (written before the
        first is sent); None when a platform rule refuses the reply."""
        card = msg.attributes.get("card")
        after = [CARD_PART] if card else image_parts(msg.attributes.get("files") or [])
        # The agent's words go first; a card from before cards carried words has its
        # label as text, which is not for the buyer.
        said = "" if card and "label" not in card else msg.text
        if not said.strip() and after:
            await self.store.replies.plan(msg.id, "", after)  # no text to send
            return after
        text = await slack_to_plain(said, self.directory.user_name)
        translated_to = None
        # A template variant already in the buyer's language needs no translation.
        written_in = msg.attributes.get("language")
        if conv.translate_replies and self.translate_out is not None and (
                not written_in or written_in != conv.buyer_language):
            text, translated_to = await self.translate_out(conv, text)
        try:
            parts = connector.check_outgoing(account, text, await self._facts(conv.id))
        except RuleViolation as e:
            await self.store.replies.mark_refused(msg.id, e.user_message)
            self.on_change(conv.channel_ref)
            return None
        parts = [*parts, *after]
        await self.store.replies.plan(msg.id, text, parts, translated_to)
        return parts

    async def _send_text(self, msg: Message, conv: Conversation, index: int, part: str,
                         connector: Connector, account: StoreAccount) -> bool:
        """One text part; False when the reply stops here (failed, waiting, taken over)."""
        out = self._outbound(msg, conv.platform_conversation_id, conv.buyer_id, part, index)
        if msg.state == "unknown" and index == msg.parts_done:
            since = datetime.fromtimestamp(msg.created_at - 60, UTC)
            found = await self._look_up(msg, partial(connector.find_sent, account, out,
                                                     since), conv.channel_ref)
            if found is _STILL_UNKNOWN:
                return False
            if isinstance(found, SentMessage):
                await self.store.replies.record_part(msg.id, index, found.message_id)
                return True
        if self.leases is not None and not await self.leases.holds(f"send:{msg.store_key}"):
            return False  # another worker took this store over; it carries on
        await self.store.replies.mark_sending(msg.id)
        try:
            sent = await connector.send_text(account, out)
        except Exception as e:  # noqa: BLE001 - sorted below
            await self._after_failure(msg, e, conv.channel_ref)
            return False
        await self.store.replies.record_part(msg.id, index, sent.message_id)
        return True

    async def _send_rich(self, msg: Message, conv: Conversation, index: int,
                         image: int | None, connector: Connector, account: StoreAccount
                         ) -> bool:
        """One image or card part; False when the reply stops here (failed, waiting, refused)."""
        target = ChatTarget(ConversationId(conv.platform_conversation_id),
                            BuyerId(conv.buyer_id))
        what, send, find = rich_part(self.store, connector, account, target, msg, index, image,
                                     self.fetch_file)
        if msg.state == "unknown" and index == msg.parts_done:
            if find is None:
                # This platform cannot look a card (or, here, an image) up by anything of
                # ours, so one whose answer was lost is never resent blindly: the agent
                # decides.
                await self.store.replies.mark_failed(msg.id, (
                    f"StoreBridge cannot tell whether {what} reached the buyer (the "
                    "marketplace did not answer). Check the chat in the seller centre; Retry "
                    "sends it again."))
                self.on_change(conv.channel_ref)
                return False
            found = await self._look_up(msg, find, conv.channel_ref)
            if found is _STILL_UNKNOWN:
                return False
            if isinstance(found, SentMessage):
                await self.store.replies.record_part(msg.id, index, found.message_id)
                return True
        if self.leases is not None and not await self.leases.holds(f"send:{msg.store_key}"):
            return False
        await self.store.replies.mark_sending(msg.id)
        try:
            sent = await send()
        except RuleViolation as e:
            await self.store.replies.mark_refused(msg.id, e.user_message, hint=(
                "Share it as a JPG or PNG within the limit and it will be sent."
                if image is not None else ""))
            self.on_change(conv.channel_ref)
            return False
        except Exception as e:  # noqa: BLE001 - sorted below, like text
            await self._after_failure(msg, e, conv.channel_ref)
            return False
        await self.store.replies.record_part(msg.id, index, sent.message_id)
        return True

    async def _look_up(self, msg: Message, find: Callable[[], Awaitable[SentMessage | None]],
                       channel_ref: str) -> SentMessage | object | None:
        """An unknown outcome is settled by asking the marketplace, never by resending."""
        try:
            return await find()
        except ConnectorError as e:
            log.info("reply %s: outcome still unknown (%s)", msg.id, e)
            check_at = self.store.database.clock() + backoff(msg.attempts, cap=60)
            await self.store.replies.mark_unknown(msg.id, e.user_message, check_at)
            self.on_change(channel_ref)
            return _STILL_UNKNOWN

    async def _after_failure(self, msg: Message, exc: Exception, channel_ref: str) -> None:
        clock = self.store.database.clock
        if isinstance(exc, OutcomeUnknown):
            await self.store.replies.mark_unknown(msg.id, exc.user_message,
                                            clock() + UNKNOWN_CHECK_DELAY)
        elif isinstance(exc, AuthError):
            await self.store.replies.retry_later(msg.id, exc.user_message, clock())
            await self._pause(msg.store_key, exc)
        elif isinstance(exc, PermanentError):
            await self.store.replies.mark_failed(msg.id, exc.user_message)
        elif isinstance(exc, TransientError):
            if msg.attempts + 1 >= self.max_attempts and not isinstance(exc, RateLimited):
                # Not the reply's fault: the store is unreachable. It waits ⏳.
                await self.store.replies.retry_later(msg.id, exc.user_message, clock(), reset=True)
                await self._pause(msg.store_key, exc)
            else:
                await self.store.replies.retry_later(
                    msg.id, exc.user_message,
                    clock() + backoff(msg.attempts + 1, base=self.backoff_base,
                                      retry_after=exc.retry_after))
        else:
            raise exc
        self.on_change(channel_ref)

    async def _pause(self, store_key: str, exc: Exception) -> None:
        if self.health is not None:
            await self.health.report_failure(store_key, exc)

    async def _facts(self, conversation_id: int) -> ConversationFacts:
        last_in, since = await self.store.replies.since_buyer(conversation_id)
        return ConversationFacts(
            seller_messages_since_buyer=since,
            buyer_last_at=datetime.fromtimestamp(last_in, UTC) if last_in else None)

    @staticmethod
    def _outbound(msg: Message, conversation_id: str, buyer_id: str, text: str,
                  part: int) -> OutboundText:
        key = msg.idempotency_key or f"sb-{msg.id}"
        return OutboundText(conversation_id=ConversationId(conversation_id),
                            buyer_id=BuyerId(buyer_id), text=text,
                            idempotency_key=key if part == 0 else f"{key}#{part}")
