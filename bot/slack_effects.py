"""What Slack work is done with: the bot's identity, where to post, posting with
the metadata that finds a post again, rendering a card. Each kind's handler is
a row of :data:`bot.slack_work_table.WORK`."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.card_fallback import CardFallbacks, call_or_plain
from bot.render.card import card
from bot.render.labels import thread_url
from bot.slack_directory import ChannelNotFound, SlackDirectory
from bot.slack_lookup import metadata
from bot.slack_work import NotYet, Permanent
from bot.slack_work_table import work_of
from bot.store import Conversation, SlackOp, Store
from bot.store.service_time import last_service_seconds

SHOWN_CARDS = 20_000  # digests kept (~1.5 MB): the cards being worked on now
#: How long an alert about a conversation waits for the conversation's thread, so
#: its "Open the thread" link exists; after that it goes out without the link.
THREAD_WAIT = 60.0
#: A feature's blocks on the card: (conversation, now) -> blocks.
CardSection = Callable[[Conversation, float], Awaitable[list[dict[str, Any]]]]
log = logging.getLogger(__name__)


class SlackEffects:
    def __init__(self, store: Store, client: AsyncWebClient, directory: SlackDirectory, *,
                 stores: Callable[[str], Awaitable[dict[str, str]]]) -> None:
        self.store = store
        self.client = client
        self.directory = directory
        self.store_info = stores  # store_key -> {site, platform, name}
        self.customize = False
        self.workspace_url: str | None = None  # from auth.test, for thread links
        self.team_id: str | None = None
        self.fallbacks: CardFallbacks | None = None  # set by the outbox, which owns it
        #: What each card last showed in Slack (a digest, most recent cards only): an
        #: update that would show the same is not sent (a new conversation's root
        #: already renders its first message: 2 Slack calls, not 3).
        self._shown: OrderedDict[int, bytes] = OrderedDict()
        self.bot_user_id: str | None = None  # auth.test's, for bolt's self-event filter
        self.bot_id: str | None = None
        #: The features' sections of the card (bot/feature_api.py), in order.
        self.card_sections: list[CardSection] = []

    def identity(self) -> tuple[str | None, str | None]:
        """(bot user id, bot id) from auth.test; (None, None) until Slack answered."""
        return self.bot_user_id, self.bot_id

    async def do(self, op: SlackOp, ref: str) -> str | None:
        """Carry out one row; the ts it posted, if it posted."""
        work = work_of(op)
        if work is None:
            raise Permanent(f"unknown op kind {op.kind}")
        return await work.do(self, op, ref)

    async def complete_post(self, op: SlackOp, channel: str, ts: str) -> None:
        """Write a post's ts where the product reads it (after posting, or after
        finding the post again)."""
        work = work_of(op)
        if work is not None and work.record is not None:
            await work.record(self.store, op, channel, ts)

    # -- shared by the handlers -------------------------------------------------------
    async def permalink(self, conversation_id: int) -> str | None:
        conv = await self.store.conversations.get(conversation_id)
        if conv is None:
            return None
        return thread_url(self.workspace_url, self.team_id, conv.channel_id, conv.thread_ts)

    async def with_link(self, op: SlackOp, text: str) -> str:
        if op.conversation_id:
            conv = await self.store.conversations.get(op.conversation_id)
            if conv is not None and not conv.thread_ts and \
                    self.store.database.clock() - op.created_at < THREAD_WAIT:
                raise NotYet(1.0)  # the buyer's thread is about to be posted
        link = await self.permalink(op.conversation_id) if op.conversation_id else None
        return f"{text} <{link}|Open the thread>" if link else text

    async def channel(self, ref: str) -> str:
        try:
            return await self.directory.channel_id(ref)
        except ChannelNotFound as e:
            raise Permanent(f"channel {e} not found or not visible to the bot") from None

    async def post(self, op: SlackOp, channel: str, **args: Any) -> str:
        """chat.postMessage carrying the row's id, so a crash before we record the
        answer is repaired by finding the post (bot/slack_lookup.py)."""
        args = dict(channel=channel, metadata=metadata(op.id), **args)
        resp = await call_or_plain(self.client.chat_postMessage, args, self.fallbacks,
                                   op.kind, op.conversation_id)
        ts = str(resp["ts"])
        await self.complete_post(op, channel, ts)
        return ts

    async def post_in(self, op: SlackOp, ref: str, **args: Any) -> str:
        """A post in the row's channel."""
        return await self.post(op, await self.channel(ref), **args)

    async def card(self, conversation_id: int
                   ) -> tuple[Conversation, str, list[dict[str, Any]]]:
        conv = await self.store.conversations.get(conversation_id)
        if conv is None:
            raise Permanent("conversation vanished")
        info = await self.store_info(conv.store_key)
        others = [((await self.store_info(o.store_key))["name"], o.ref, await self.permalink(o.id))
                  for o in await self.store.team.others_of_buyer(conv)]
        now = self.store.database.clock()
        sections = [b for section in self.card_sections
                    for b in await self._card_section(section, conv, now)]
        served = (await last_service_seconds(self.store.database, conv.id)
                  if conv.status != "open" else None)
        text, blocks = card(conv, site=info["site"], platform=info["platform"],
                            store_name=info["name"], now=now, others=others,
                            sections=sections, service_seconds=served)
        return conv, text, blocks

    @staticmethod
    async def _card_section(section: CardSection, conv: Conversation, now: float
                            ) -> list[dict[str, Any]]:
        try:
            return await section(conv, now)
        except Exception:  # noqa: BLE001 - one feature's bug must not cost the whole card
            log.exception("card section %r of %s failed", section, conv.ref)
            return []

    def forget_cards(self) -> None:
        self._shown.clear()

    def forget_card(self, conversation_id: int) -> None:
        """Not shown after all (the update failed): the retry must send it."""
        self._shown.pop(conversation_id, None)

    def remember_card(self, conversation_id: int, text: str, blocks: Any) -> bool:
        """Record what the card shows; False when it showed exactly that already."""
        digest = hashlib.blake2b(json.dumps([text, blocks], sort_keys=True).encode(),
                                 digest_size=16).digest()
        same = self._shown.get(conversation_id) == digest
        self._shown[conversation_id] = digest
        self._shown.move_to_end(conversation_id)
        while len(self._shown) > SHOWN_CARDS:
            self._shown.popitem(last=False)
        return not same
