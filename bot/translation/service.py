"""The translator: memory first, glossary-protected provider calls, one call per text.

Also what other parts use (slots of bot/feature_api.py): the sender's hook
(:meth:`Translator.translate_reply`) and the template preview's
:meth:`Translator.back_translate`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable

from bot.store.counters import Counters
from bot.store.db import Database
from bot.store.rows import Conversation
from bot.store.translations import MemoryKey, TranslationMemory, text_hash
from bot.translation.glossary import Glossary, Masked, mask
from bot.translation.providers import Provider, TranslationError, normalise, same_language

log = logging.getLogger(__name__)

#: The memory's health in the daily digest (counted in the database: every worker adds up).
HIT, MISS, FAILURE = "translation.hit", "translation.miss", "translation.failure"


class Translator:
    def __init__(self, database: Database, provider: Provider, glossary: Glossary, *,
                 team_language: str,
                 scope_of: Callable[[str | None], str | None] = lambda _key: None) -> None:
        self.provider = provider
        #: Whose corrections a store's conversations read (bot/authz.py: team_scope).
        self.scope_of = scope_of
        self.glossary = glossary
        self.memory = TranslationMemory(database)
        self.counters = Counters(database)
        self.team_language = team_language
        # One provider call per text at a time: concurrent requests share it.
        self._in_flight: dict[MemoryKey, asyncio.Task[str]] = {}

    async def _prepare(self, text: str, source: str, target: str, store_key: str | None
                 ) -> tuple[MemoryKey, Masked]:
        masked = mask(text, await self.glossary.terms(store_key))
        key = MemoryKey(text_hash(text, masked.used), normalise(source), normalise(target),
                        self.provider.name)
        return key, masked

    async def lookup(self, text: str, source: str, target: str, *, store_key: str | None = None
               ) -> str | None:
        """The remembered translation (a correction first), without calling anyone."""
        if same_language(source, target) or not text.strip():
            return text
        key, _ = await self._prepare(text, source, target, store_key)
        return await self.memory.lookup(key, self.scope_of(store_key))

    async def corrected_by(self, text: str, source: str, target: str, *,
                           store_key: str | None = None) -> str | None:
        """Who, in this store's team, corrected the translation of ``text`` (a user id)."""
        key, _ = await self._prepare(text, source, target, store_key)
        found = await self.memory.correction(key, self.scope_of(store_key))
        return found[1] if found else None

    async def translate(self, text: str, source: str, target: str, *,
                        store_key: str | None = None) -> str:
        """``text`` from ``source`` (or "auto") into ``target``, with the glossary
        (global, plus ``store_key``'s) applied. Raises :class:`TranslationError`."""
        if same_language(source, target) or not text.strip():
            return text
        key, masked = await self._prepare(text, source, target, store_key)
        scope = self.scope_of(store_key)
        known = await self.memory.lookup(key, scope)
        if known is not None:
            await self.count(HIT)
            return known
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch(key, text, masked))
            self._in_flight[key] = task
            task.add_done_callback(functools.partial(self._settled, key))
        # shield: one caller giving up (a cancelled sender) must not cancel the others'.
        machine = await asyncio.shield(task)
        # Read back: this team's correction or another worker's row may have landed.
        return await self.memory.lookup(key, scope) or machine

    def _settled(self, key: MemoryKey, task: asyncio.Task[str]) -> None:
        self._in_flight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here too: every waiter may have gone

    async def count(self, name: str) -> None:
        """Counting must never cost a translation: a failed count is only logged."""
        try:
            await self.counters.add(name)
        except Exception:  # noqa: BLE001
            log.warning("could not count %s", name, exc_info=True)

    async def _fetch(self, key: MemoryKey, text: str, masked: Masked) -> str:
        """The provider call: a memory miss (callers joining it are not counted again)."""
        await self.count(MISS)
        try:
            raw = await self.provider.translate(masked.text, key.source, key.target)
        except TranslationError:
            await self.count(FAILURE)
            raise
        if masked.slots and masked.lost_tokens(raw):
            log.warning("the %s provider dropped %d protected glossary term(s)",
                        self.provider.name, masked.lost_tokens(raw))
        await self.memory.save(key, text, masked.restore(raw))
        return masked.restore(raw)

    async def correct(self, text: str, source: str, target: str, corrected: str, *, by: str,
                store_key: str | None = None, shown: str | None = None) -> None:
        """Save a person's translation of ``text``: used for it from now on, in the
        conversations of their team (the store's group, or the store)."""
        key, _ = await self._prepare(text, source, target, store_key)
        await self.memory.correct(key, text, corrected, by, machine=shown,
                                  scope=self.scope_of(store_key) or "*")

    async def back_translate(self, text: str, lang: str) -> str | None:
        """``text``, written in ``lang``, in the team's language; None if that failed."""
        try:
            return await self.translate(text, lang, self.team_language)
        except TranslationError as e:
            log.info("back-translation from %s failed: %s", lang, e)
            return None

    async def translate_reply(self, conv: Conversation, text: str) -> tuple[str, str | None]:
        """The sender's hook: an agent's reply in the buyer's language. Never raises;
        on any failure the original goes out (``(text, None)``)."""
        target = conv.buyer_language
        if not target or same_language(target, self.team_language) or not text.strip():
            return text, None
        try:
            out = await self.translate(text, self.team_language, target,
                                       store_key=conv.store_key)
        except TranslationError as e:
            log.warning("reply in %s not translated (%s); sending the original", conv.ref, e)
            return text, None
        except Exception:  # noqa: BLE001 - a reply must never be stuck on translation
            log.exception("reply in %s: unexpected translation error", conv.ref)
            return text, None
        return out, normalise(target)
