"""What each Slack outbox row does: render from the database, call Slack.

Handlers are named ``_op_<kind>``; each returns the ts it produced (posts) or
None, and raises :class:`Permanent` when the row can never succeed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.card_fallback import CardFallbacks, call_or_plain
from bot.orders.render import card_lines
from bot.render.banner import banner
from bot.render.card import card
from bot.render.labels import thread_url
from bot.render.messages import (
    REACTIONS,
    agent_copy,
    delivery_notice,
    sent_translation,
    thread_message,
)
from bot.slack_directory import ChannelNotFound, SlackDirectory
from bot.slack_errors import classify
from bot.store import SlackOp, Store
from bot.store.service_time import last_service_seconds

SHOWN_CARDS = 20_000  # digests kept (~1.5 MB): the cards being worked on now
POST_KINDS = {"post_root", "post_message", "notice", "banner", "post_agent_copy",
              "post_sent_translation", "post_thread_note", "post_channel"}
METADATA_TYPE = "storebridge_post"
#: Seconds a new conversation's root post waits for the platform to name its buyer.
PROFILE_WAIT = 2.0


class Permanent(Exception):
    """This op cannot succeed; record why and move on."""


class NotYet(Exception):
    """This op should wait a moment (what it links to does not exist yet)."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"not yet; again in {delay:.0f} s")
        self.delay = delay


#: How long an alert about a conversation waits for the conversation's thread, so
#: its "Open the thread" link exists; after that it goes out without the link.
THREAD_WAIT = 60.0


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

    def identity(self) -> tuple[str | None, str | None]:
        """(bot user id, bot id) from auth.test; (None, None) until Slack answered."""
        return self.bot_user_id, self.bot_id

    async def permalink(self, conversation_id: int) -> str | None:
        conv = await self.store.conversations.get(conversation_id)
        if conv is None:
            return None
        return thread_url(self.workspace_url, self.team_id, conv.channel_id, conv.thread_ts)

    async def _with_link(self, op: SlackOp, text: str) -> str:
        if op.conversation_id:
            conv = await self.store.conversations.get(op.conversation_id)
            if conv is not None and not conv.thread_ts and \
                    self.store.database.clock() - op.created_at < THREAD_WAIT:
                raise NotYet(1.0)  # the buyer's thread is about to be posted
        link = await self.permalink(op.conversation_id) if op.conversation_id else None
        return f"{text} <{link}|Open the thread>" if link else text

    async def do(self, op: SlackOp, ref: str) -> str | None:
        handler = getattr(self, f"_op_{op.kind}", None)
        if handler is None:
            raise Permanent(f"unknown op kind {op.kind}")
        return await handler(op, ref)

    async def complete_post(self, op: SlackOp, ref: str, ts: str) -> None:
        channel = await self.store.books.channel_id(ref) or ""
        if op.kind == "post_root" and op.conversation_id:
            await self.store.conversations.set_thread(op.conversation_id, channel, ts)
        elif op.kind in ("post_message", "post_agent_copy") and op.message_id:
            await self.store.conversations.set_message_ts(op.message_id, channel, ts)
        elif op.kind == "notice" and op.message_id:
            await self.store.replies.set_notice_ts(op.message_id, ts)
        elif op.kind == "banner":
            await self.store.books.set_banner_ts(op.payload["store"], ref, ts)

    # -- the side effects -----------------------------------------------------------
    async def channel(self, ref: str) -> str:
        try:
            return await self.directory.channel_id(ref)
        except ChannelNotFound as e:
            raise Permanent(f"channel {e} not found or not visible to the bot") from None

    async def _post(self, op: SlackOp, ref: str, **args: Any) -> str:
        channel = await self.channel(ref)
        args = dict(channel=channel, metadata={"event_type": METADATA_TYPE,
                                               "event_payload": {"op": op.id}}, **args)
        resp = await call_or_plain(self.client.chat_postMessage, args, self.fallbacks,
                                   op.kind, op.conversation_id)
        ts = str(resp["ts"])
        await self.complete_post(op, ref, ts)
        return ts

    async def _card(self, conversation_id: int) -> tuple[Any, str, list[dict[str, Any]]]:
        conv = await self.store.conversations.get(conversation_id)
        if conv is None:
            raise Permanent("conversation vanished")
        info = await self.store_info(conv.store_key)
        others = [((await self.store_info(o.store_key))["name"], o.ref, await self.permalink(o.id))
                  for o in await self.store.team.others_of_buyer(conv)]
        now = self.store.database.clock()
        orders = card_lines(await self.store.orders.of_conversation(conv), now)
        served = (await last_service_seconds(self.store.database, conv.id)
                  if conv.status != "open" else None)
        text, blocks = card(conv, site=info["site"], platform=info["platform"],
                            store_name=info["name"], now=now, others=others, orders=orders,
                            service_seconds=served)
        return conv, text, blocks

    def forget_cards(self) -> None:
        self._shown.clear()

    def _remember_card(self, conversation_id: int, text: str, blocks: Any) -> bool:
        """Record what the card shows; False when it showed exactly that already."""
        digest = hashlib.blake2b(json.dumps([text, blocks], sort_keys=True).encode(),
                                 digest_size=16).digest()
        same = self._shown.get(conversation_id) == digest
        self._shown[conversation_id] = digest
        self._shown.move_to_end(conversation_id)
        while len(self._shown) > SHOWN_CARDS:
            self._shown.popitem(last=False)
        return not same

    async def _op_post_root(self, op: SlackOp, ref: str) -> str | None:
        # A push that named nobody: the platform is being asked; wait for it, briefly.
        # Polled: the answer may be written by another worker.
        while await self.store.buyers.still_asking(  # noqa: ASYNC110
                op.conversation_id or 0, PROFILE_WAIT):
            await asyncio.sleep(0.05)
        conv, text, blocks = await self._card(op.conversation_id or 0)
        if conv.thread_ts:
            return conv.thread_ts
        ts = await self._post(op, ref, text=text, blocks=blocks)
        self._remember_card(conv.id, text, blocks)
        return ts

    async def _op_update_card(self, op: SlackOp, ref: str) -> str | None:
        conv, text, blocks = await self._card(op.conversation_id or 0)
        if not conv.thread_ts:
            return None  # the root post, still to come, renders the current state
        if not self._remember_card(conv.id, text, blocks):
            return None  # Slack shows this already
        try:
            await call_or_plain(self.client.chat_update, dict(
                channel=conv.channel_id, ts=conv.thread_ts, text=text, blocks=blocks),
                self.fallbacks, op.kind, conv.id)
        except BaseException as e:
            self._shown.pop(conv.id, None)  # not shown after all: the retry must send
            if isinstance(e, SlackApiError) and e.response.get("error") in (
                    "message_not_found", "cant_update_message"):
                raise Permanent(str(e.response.get("error"))) from None
            raise
        return None

    async def _op_post_message(self, op: SlackOp, ref: str) -> str | None:
        msg = await self.store.conversations.message(op.message_id or 0)
        if msg is None:
            return None  # an echo of our own reply, dropped once the send claimed it
        if msg.slack_ts:
            return msg.slack_ts
        conv = await self.store.conversations.get(msg.conversation_id)
        if conv is None or not conv.thread_ts:
            raise Permanent("the conversation's thread could not be created")
        late = await self.store.conversations.arrived_late(msg)
        args = thread_message(msg, conv, customize=self.customize, late=late)
        return await self._post(op, ref, thread_ts=conv.thread_ts, **args)

    async def _op_update_message(self, op: SlackOp, ref: str) -> str | None:
        msg = await self.store.conversations.message(op.message_id or 0)
        if msg is None or not msg.slack_ts or msg.direction not in ("in", "seller"):
            return None  # not posted yet: the post will render the current state
        conv = await self.store.conversations.get(msg.conversation_id)
        assert conv is not None
        late = await self.store.conversations.arrived_late(msg)
        args = thread_message(msg, conv, customize=self.customize, late=late)
        try:
            await call_or_plain(self.client.chat_update, dict(
                channel=msg.channel_id, ts=msg.slack_ts, text=args["text"],
                blocks=args["blocks"]), self.fallbacks, op.kind, conv.id)
        except SlackApiError as e:
            if e.response.get("error") in ("message_not_found", "cant_update_message"):
                raise Permanent(str(e.response.get("error"))) from None
            raise
        return None

    async def _op_post_agent_copy(self, op: SlackOp, ref: str) -> str | None:
        msg = await self.store.replies.get(op.message_id or 0)
        conv = await self.store.conversations.get(op.conversation_id or 0)
        if msg is None or conv is None:
            return None
        if msg.slack_ts:
            return msg.slack_ts
        if not conv.thread_ts:
            raise Permanent("the conversation's thread could not be created")
        name = await self.directory.user_name(msg.author or "")
        args = agent_copy(msg, name, customize=self.customize)
        return await self._post(op, ref, thread_ts=conv.thread_ts, **args)

    async def _op_post_sent_translation(self, op: SlackOp, ref: str) -> str | None:
        msg = await self.store.replies.get(op.message_id or 0)
        conv = await self.store.conversations.get(op.conversation_id or 0)
        if msg is None or conv is None or not conv.thread_ts:
            return None
        text, blocks = sent_translation(msg)
        return await self._post(op, ref, thread_ts=conv.thread_ts, text=text, blocks=blocks)

    async def _op_sync_reaction(self, op: SlackOp, ref: str) -> str | None:
        msg = await self.store.replies.get(op.message_id or 0)
        if msg is None or not msg.slack_ts or not msg.channel_id:
            return None
        want = REACTIONS.get("note" if msg.direction == "note" else msg.state)
        have = msg.shown_reaction
        if want == have:
            return None
        for call, name in ((self.client.reactions_remove, have),
                           (self.client.reactions_add, want)):
            if not name:
                continue
            try:
                await call(channel=msg.channel_id, timestamp=msg.slack_ts, name=name)
            except SlackApiError as e:
                failure = classify(e)
                if failure.kind == "permanent" and failure.error == "message_not_found":
                    raise Permanent("the agent's message was deleted") from None
                if failure.kind != "already":
                    raise
        await self.store.replies.set_shown_reaction(msg.id, want)
        return None

    async def _op_notice(self, op: SlackOp, ref: str) -> str | None:
        msg = await self.store.replies.get(op.message_id or 0)
        conv = await self.store.conversations.get(op.conversation_id or 0)
        if msg is None or conv is None or not conv.thread_ts:
            return None
        text, blocks = delivery_notice(msg, conv.buyer_name)
        if msg.notice_ts:
            await self.client.chat_update(channel=conv.channel_id, ts=msg.notice_ts,
                                          text=text, blocks=blocks)
            return msg.notice_ts
        if msg.state != "failed":
            return None  # the reaction says enough until something goes wrong
        return await self._post(op, ref, thread_ts=conv.thread_ts, text=text, blocks=blocks)

    async def _op_banner(self, op: SlackOp, ref: str) -> str | None:
        key = op.payload["store"]
        row = await self.store.books.store_row(key)
        if row is None:
            return None
        text, blocks = banner(row, (await self.store_info(key))["name"])
        ts = await self.store.books.banner_ts(key, ref)
        if ts:
            await self.client.chat_update(channel=await self.channel(ref), ts=ts, text=text,
                                          blocks=blocks)
            if row["health"] == "ok":  # the incident is over; a new one gets a new banner
                await self.store.books.set_banner_ts(key, ref, None)
            return ts
        if row["health"] == "ok":
            return None
        return await self._post(op, ref, text=text, blocks=blocks)

    async def _op_post_thread_note(self, op: SlackOp, ref: str) -> str | None:
        """A message of ours in a conversation's thread (payload: text, blocks);
        callers escape any untrusted part."""
        conv = await self.store.conversations.get(op.conversation_id or 0)
        if conv is None or not conv.thread_ts:
            raise Permanent("the conversation's thread could not be created")
        return await self._post(op, ref, thread_ts=conv.thread_ts, text=op.payload["text"],
                                blocks=op.payload.get("blocks"), unfurl_links=False)

    async def _op_post_channel(self, op: SlackOp, ref: str) -> str | None:
        """A top-level message in a channel (alerts, digests, escalations); with a
        conversation, a link to its thread."""
        return await self._post(op, ref, text=await self._with_link(op, op.payload["text"]),
                                blocks=op.payload.get("blocks"), unfurl_links=False)

    async def _op_dm(self, op: SlackOp, ref: str) -> str | None:
        """A direct message from the bot (a transfer's recipient)."""
        opened = await self.client.conversations_open(users=op.payload["user"])
        resp = await self.client.chat_postMessage(
            channel=opened["channel"]["id"], text=await self._with_link(op, op.payload["text"]),
            unfurl_links=False)
        return str(resp["ts"])

    async def _op_ephemeral(self, op: SlackOp, ref: str) -> str | None:
        p = op.payload
        channel = await self.channel(ref)
        try:
            await self.client.chat_postEphemeral(channel=channel, user=p["user"],
                                                 text=p["text"], thread_ts=p.get("thread_ts"),
                                                 blocks=p.get("blocks"))
        except SlackApiError as e:
            if classify(e).kind == "permanent":
                raise Permanent(str(e.response.get("error"))) from None
            raise
        return None
