"""Relays queued replies to the marketplaces, one worker per store.

Per conversation, replies leave strictly in order: a reply that is waiting
(backoff) or whose outcome is unknown holds the ones behind it. An unknown
outcome is checked against the marketplace before anything is sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from bot.connector_hub import ConnectorHub
from bot.pacing import backoff
from bot.slack_directory import SlackDirectory
from bot.store import Message, Store
from bot.text_safety import slack_to_plain
from connectors.errors import (
    ConnectorError,
    OutcomeUnknown,
    PermanentError,
    TransientError,
)
from connectors.models import ConversationId, OutboundText

log = logging.getLogger(__name__)

UNKNOWN_CHECK_DELAY = 3.0  # let the marketplace settle before asking what happened


class Sender:
    def __init__(self, store: Store, hub: ConnectorHub, directory: SlackDirectory, *,
                 on_change: Callable[[str], None], max_attempts: int = 6,
                 backoff_base: float = 0.5) -> None:
        self.store = store
        self.hub = hub
        self.directory = directory
        self.on_change = on_change  # channel_ref -> wake the Slack outbox
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self._stopping = False

    async def start(self) -> None:
        recovered = self.store.replies.recover_after_crash()
        if recovered:
            log.info("%d replies were mid-send at the last stop; checking them first", recovered)
        for key in self.store.replies.stores_with_pending():
            self.kick(key)

    async def stop(self) -> None:
        self._stopping = True
        tasks = list(self._tasks.values())
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def kick(self, store_key: str) -> None:
        if self._stopping or store_key not in self.hub.stores:
            return
        self._wake.setdefault(store_key, asyncio.Event()).set()
        task = self._tasks.get(store_key)
        if task is None or task.done():
            self._tasks[store_key] = asyncio.create_task(self._run(store_key),
                                                         name=f"send:{store_key}")

    def busy(self) -> bool:
        return any(not t.done() for t in self._tasks.values())

    async def _run(self, store_key: str) -> None:
        wake = self._wake.setdefault(store_key, asyncio.Event())
        while not self._stopping:
            wake.clear()
            due = self.store.replies.ready_to_send(store_key)
            if not due:
                at = self.store.replies.next_due_at(store_key)
                if at is None:
                    return
                delay = at - self.store.database.clock()
                if delay > 0:
                    try:
                        await asyncio.wait_for(wake.wait(), timeout=delay)
                    except TimeoutError:
                        pass
                continue
            for msg in due:
                try:
                    await self._send_one(msg)
                except Exception:  # a bug must not stop the store's other replies
                    log.exception("reply %s: unexpected error", msg.id)
                    self.store.replies.mark_unknown(
                        msg.id, "An internal error interrupted the send; checking.",
                        self.store.database.clock() + 30)

    async def _send_one(self, msg: Message) -> None:
        conv = self.store.conversations.get(msg.conversation_id)
        assert conv is not None
        connector, account = self.hub.for_store(msg.store_key)
        clock = self.store.database.clock
        if msg.state == "unknown" and msg.sent_text is not None:
            out = self._outbound(msg, conv.platform_conversation_id, conv.buyer_id,
                                 msg.sent_text)
            try:
                found = await connector.find_sent(
                    account, out, datetime.fromtimestamp(msg.created_at - 60, UTC))
            except ConnectorError as e:
                log.info("reply %s: outcome still unknown (%s)", msg.id, e)
                self.store.replies.mark_unknown(msg.id, e.user_message,
                                                clock() + backoff(msg.attempts, cap=60))
                self.on_change(conv.channel_ref)
                return
            if found:
                self._delivered(msg, found.message_id, found.sent_at, conv.channel_ref)
                return
            text = msg.sent_text  # never arrived: send the very same text again
        else:
            text = await slack_to_plain(msg.text, self.directory.user_name)
        problem = self._rule_problem(text, connector.max_text_length, account.platform)
        if problem:
            self.store.replies.mark_failed(msg.id, problem)
            self.on_change(conv.channel_ref)
            return
        out = self._outbound(msg, conv.platform_conversation_id, conv.buyer_id, text)
        self.store.replies.mark_sending(msg.id, text)
        try:
            sent = await connector.send_text(account, out)
        except OutcomeUnknown as e:
            self.store.replies.mark_unknown(msg.id, e.user_message, clock() + UNKNOWN_CHECK_DELAY)
        except TransientError as e:
            if msg.attempts + 1 >= self.max_attempts:
                self.store.replies.mark_failed(
                    msg.id, f"{e.user_message} (tried {msg.attempts + 1} times)")
            else:
                self.store.replies.retry_later(
                    msg.id, e.user_message,
                    clock() + backoff(msg.attempts + 1, base=self.backoff_base,
                                      retry_after=e.retry_after))
        except PermanentError as e:
            self.store.replies.mark_failed(msg.id, e.user_message)
        else:
            self._delivered(msg, sent.message_id, sent.sent_at, conv.channel_ref)
            return
        self.on_change(conv.channel_ref)

    def _delivered(self, msg: Message, platform_id: str, at: datetime, channel_ref: str) -> None:
        self.store.replies.mark_delivered(msg.id, platform_id, at.timestamp())
        self.on_change(channel_ref)

    @staticmethod
    def _outbound(msg: Message, conversation_id: str, buyer_id: str, text: str) -> OutboundText:
        return OutboundText(conversation_id=ConversationId(conversation_id),
                            buyer_id=buyer_id,  # type: ignore[arg-type]
                            text=text, idempotency_key=msg.idempotency_key or f"sb-{msg.id}")

    @staticmethod
    def _rule_problem(text: str, limit: int, platform: str) -> str | None:
        if not text.strip():
            return "Nothing to send: the reply is empty once Slack formatting is removed."
        if len(text) > limit:
            return (f"Too long for {platform}: {len(text)} characters, the limit is {limit}. "
                    "Shorten it and use Edit & resend.")
        return None
