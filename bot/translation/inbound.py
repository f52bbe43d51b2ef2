"""Buyer messages get a translation beneath them; a failure is retried until it works.

The original is relayed first and never waits for this. States shown in Slack:
``pending`` (known foreign language, provider call under way), ``done``, ``failed``
(retried with backoff by scheduler jobs), ``none`` (it was in the team's language).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.events import MessageClaimed
from bot.pacing import backoff
from bot.store.rows import Conversation, Message
from bot.translation.providers import TranslationError, normalise, same_language
from bot.translation.service import HIT, Translator

if TYPE_CHECKING:
    from bot.feature_api import Services

log = logging.getLogger(__name__)

RETRY_CAP = 30 * 60.0
GIVE_UP_AFTER = 7 * 86400.0  # a week-old message's translation is no longer worth chasing
NEVER_TRIED_WINDOW = 86400.0  # messages claimed just before a crash never started
SWEEP_MINUTES = 30
SWEEP_BATCH = 500
_QUIET = {None, "none"}  # both render nothing: no Slack update needed between them


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class InboundTranslations:
    def __init__(self, service: Services, translator: Translator, *, retry_base: float) -> None:
        self.service = service
        self.translator = translator
        self.retry_base = retry_base
        self._running: set[int] = set()
        self._attempts: dict[int, int] = {}  # message id -> failed attempts (this process)

    async def on_message(self, event: MessageClaimed) -> None:
        """Must not block the push: the work is a task of its own."""
        self.service.spawn(self.run(event.message_id))

    async def run(self, message_id: int) -> None:
        if message_id in self._running:  # the sweep and a retry may meet
            return
        self._running.add(message_id)
        try:
            await self._translate(message_id)
        except Exception:  # a bug must not lose the message's retries
            log.exception("translation of message %s: unexpected error", message_id)
            await self._retry_later(message_id)
        finally:
            self._running.discard(message_id)

    async def _translate(self, message_id: int) -> None:
        store = self.service.store
        msg = await store.conversations.message(message_id)
        if msg is None or msg.direction != "in" or msg.kind != "text" or not msg.text.strip():
            return
        conv = await store.conversations.get(msg.conversation_id)
        team = self.translator.team_language
        if conv is None or msg.translation_state == "done":
            return
        # Only a language the platform or the team stated is imposed on the provider; a
        # detected or site-default one is a guess about the buyer, not about this message.
        trusted = conv.language_source in (None, "platform", "team")
        source = (conv.buyer_language if trusted else None) or "auto"
        if same_language(source, team):
            return
        known = await self.translator.lookup(msg.text, source, team, store_key=conv.store_key)
        if known is not None:
            await self.translator.count(HIT)  # translate() below is not asked: count it here
        if known is None and source != "auto" and msg.translation_state is None:
            await self._show(msg, conv, "pending")
        try:
            result = known if known is not None else await self.translator.translate(
                msg.text, source, team, store_key=conv.store_key)
        except TranslationError as e:
            log.info("translation of message %s failed: %s", message_id, e)
            await self._show(msg, conv, "failed")
            await self._retry_later(message_id)
            return
        self._attempts.pop(message_id, None)
        if _same_text(result, msg.text):
            # Detected as the team's own language (or the buyer switched to it): a
            # "translation" identical to the original adds nothing.
            await self._show(msg, conv, "none")
        else:
            who = await self.translator.corrected_by(msg.text, source, team,
                                                     store_key=conv.store_key)
            await self._show(msg, conv, "done", result,
                             await self.service.outbox.directory.user_name(who) if who else None)

    async def _show(self, msg: Message, conv: Conversation, state: str, text: str | None = None,
                    by: str | None = None) -> None:
        store = self.service.store
        current = await store.conversations.message(msg.id)
        before = current.translation_state if current else None
        if state == before and state != "done":
            return
        if before in _QUIET and state in _QUIET:
            # Nothing changes on screen: record it without a Slack update (chat.update
            # is rate limited and most messages are already in the team's language).
            await store.conversations.set_translation_state(msg.id, state)
            return
        await store.conversations.set_translation(
            msg.id, state, text, normalise(self.translator.team_language) if text else None,
            by=by)
        self.service.outbox.kick(conv.channel_ref)

    async def _retry_later(self, message_id: int) -> None:
        msg = await self.service.store.conversations.message(message_id)
        if msg is None or self.service.store.database.clock() - msg.created_at > GIVE_UP_AFTER:
            return
        attempt = self._attempts.get(message_id, 0) + 1
        self._attempts[message_id] = attempt
        delay = backoff(attempt, base=self.retry_base, cap=RETRY_CAP)
        self.service.scheduler.add_job(
            self.run, "date", run_date=datetime.now(UTC) + timedelta(seconds=delay),
            args=[message_id], id=f"translation-retry:{message_id}", replace_existing=True,
            misfire_grace_time=None)

    async def sweep(self) -> None:
        store = self.service.store
        now = store.database.clock()
        team = normalise(self.translator.team_language).split("-")[0]
        todo = await store.conversations.translation_todo(
            since=now - GIVE_UP_AFTER, never_tried_since=now - NEVER_TRIED_WINDOW, team=team,
            limit=SWEEP_BATCH)
        for message_id in todo:
            if message_id not in self._running and message_id not in self._attempts:
                self.service.spawn(self.run(message_id))
