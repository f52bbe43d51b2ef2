"""Channel workers that carry out the durable Slack outbox in order.

One worker per channel: Slack paces chat.postMessage per channel, and one
conversation lives in one channel, so a serial worker keeps a thread's order.
A failure Slack may recover from stalls only its channel; everything stays in
the database meanwhile, so an outage or a restart loses and doubles nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.pacing import TokenBucket, backoff
from bot.render.banner import banner
from bot.render.card import card
from bot.render.messages import REACTIONS, delivery_notice, thread_message
from bot.slack_directory import ChannelNotFound, SlackDirectory
from bot.slack_errors import classify
from bot.store import SlackOp, Store
from bot.workers import KeyedWorkers, wait_for_wake

log = logging.getLogger(__name__)

POST_KINDS = {"post_root", "post_message", "notice", "banner"}
METADATA_TYPE = "storebridge_post"
MAX_UNEXPECTED = 5


class Permanent(Exception):
    """This op cannot succeed; record why and move on."""


class SlackOutbox:
    def __init__(self, store: Store, client: AsyncWebClient, directory: SlackDirectory, *,
                 stores: Callable[[str], dict[str, str]], post_rate: float = 1.0,
                 post_burst: int = 3) -> None:
        self.store = store
        self.client = client
        self.directory = directory
        self.store_info = stores  # store_key -> {site, platform, name}
        self.post_rate = post_rate
        self.post_burst = post_burst
        self.customize = False
        self.reachable: bool | None = None
        self.last_error: str | None = None
        self._workers = KeyedWorkers(self._run, "slack")
        self._buckets: dict[str, TokenBucket] = {}

    # -- lifecycle ------------------------------------------------------------
    async def start(self) -> None:
        await self.refresh_identity()
        for ref in self.store.ops.channels_with_work():
            self.kick(ref)

    async def refresh_identity(self) -> None:
        """Learn whether we may post under buyers' names (chat:write.customize)."""
        try:
            resp = await self.client.auth_test()
        except Exception as e:  # Slack down at start-up: keep going, posts will wait
            self._note_failure(f"auth.test: {classify(e).error}")
            return
        scopes = (resp.headers or {}).get("x-oauth-scopes") or ""
        self.customize = "chat:write.customize" in {s.strip() for s in scopes.split(",")}
        self.reachable = True

    async def stop(self) -> None:
        await self._workers.stop()

    def kick(self, channel_ref: str) -> None:
        """New work for a channel: wake its worker, starting one if needed."""
        self._workers.kick(channel_ref)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no channel has ready work (tests, demo, shutdown)."""
        await self._workers.idle(timeout)

    # -- the worker -------------------------------------------------------------
    async def _run(self, ref: str, wake: asyncio.Event) -> None:
        failures = 0
        while not self._workers.stopping:
            wake.clear()
            op: SlackOp | None = None
            try:
                for op in self.store.ops.inflight(ref):
                    await self._reconcile(op, ref)
                op, later = self.store.ops.next_for(ref)
                if op is None:
                    if later is None:
                        return
                    await wait_for_wake(wake, later - self.store.database.clock())
                    continue
                if op.kind in POST_KINDS:
                    await self._bucket(ref).acquire()
                self.store.ops.start(op.id)
                result_ts = await self._do(op, ref)
                self.store.ops.finish(op.id, result_ts)
                self._note_success()
                failures = 0
            except Permanent as e:
                if op is not None:
                    log.warning("slack op %s (%s) given up: %s", op.id, op.kind, e)
                    self.store.ops.give_up(op.id, str(e))
            except Exception as e:  # noqa: BLE001 - sorted by classify()
                failures += 1
                delay = await self._after_failure(e, op, ref, failures)
                await wait_for_wake(wake, delay)

    async def _after_failure(self, exc: Exception, op: SlackOp | None, ref: str,
                             failures: int) -> float:
        failure = classify(exc)
        if failure.kind == "already" and op is not None:
            self.store.ops.finish(op.id)
            return 0.0
        if failure.kind == "not_in_channel":
            channel = self.store.books.channel_id(ref)
            try:
                if channel:
                    await self.client.conversations_join(channel=channel)
                    return 0.0
            except Exception as e:  # noqa: BLE001 - private channel: someone must invite us
                failure = classify(e)
            if op is not None:
                self.store.ops.give_up(op.id, f"the bot is not in the channel ({failure.error}); "
                                              "invite it")
            return 0.0
        if failure.kind == "permanent" and op is not None:
            log.warning("slack op %s (%s) failed: %s", op.id, op.kind, failure.error)
            self.store.ops.give_up(op.id, failure.error)
            return 0.0
        if failure.error.startswith("unexpected") and op is not None:
            log.exception("slack op %s (%s) raised", op.id, op.kind, exc_info=exc)
            if op.attempts + 1 >= MAX_UNEXPECTED:
                self.store.ops.give_up(op.id, failure.error)
                return 0.0
        if failure.error != "ratelimited":  # being paced is not being down
            self._note_failure(failure.error)
        if failure.retry_after is not None:
            self._bucket(ref).block_for(failure.retry_after)
        cap = 60.0 if failure.kind == "auth" else 15.0
        return backoff(failures, retry_after=failure.retry_after, cap=cap)

    def _bucket(self, ref: str) -> TokenBucket:
        if ref not in self._buckets:
            self._buckets[ref] = TokenBucket(self.post_rate, self.post_burst)
        return self._buckets[ref]

    def _note_failure(self, error: str) -> None:
        if self.reachable is not False:
            log.warning("Slack unavailable (%s); work waits in the database", error)
        self.reachable = False
        self.last_error = error

    def _note_success(self) -> None:
        if self.reachable is False:
            log.info("Slack reachable again; catching up")
        self.reachable = True
        self.last_error = None

    # -- crash recovery -----------------------------------------------------------
    async def _reconcile(self, op: SlackOp, ref: str) -> None:
        """An op was started but its outcome never recorded. Posts are looked up by
        their metadata before being tried again; other ops are idempotent."""
        if op.kind in POST_KINDS:
            found = await self._find_post(op, ref)
            if found:
                await self._complete_post(op, ref, found)
                self.store.ops.finish(op.id, found)
                return
        self.store.ops.back_to_pending(op.id, "retrying after an interrupted attempt")

    async def _find_post(self, op: SlackOp, ref: str) -> str | None:
        channel = self.store.books.channel_id(ref)
        if not channel:
            return None
        conv = self.store.conversations.get(op.conversation_id or 0)
        oldest = f"{op.created_at - 5:.6f}"
        if op.kind == "post_root" or conv is None or not conv.thread_ts:
            resp = await self.client.conversations_history(
                channel=channel, oldest=oldest, limit=200, include_all_metadata=True)
        else:
            resp = await self.client.conversations_replies(
                channel=channel, ts=conv.thread_ts, oldest=oldest, limit=200,
                include_all_metadata=True)
        for m in resp.get("messages") or []:
            meta = m.get("metadata") or {}
            if meta.get("event_type") == METADATA_TYPE and \
                    (meta.get("event_payload") or {}).get("op") == op.id:
                return str(m["ts"])
        return None

    async def _complete_post(self, op: SlackOp, ref: str, ts: str) -> None:
        channel = self.store.books.channel_id(ref) or ""
        if op.kind == "post_root" and op.conversation_id:
            self.store.conversations.set_thread(op.conversation_id, channel, ts)
        elif op.kind == "post_message" and op.message_id:
            self.store.conversations.set_message_ts(op.message_id, channel, ts)
        elif op.kind == "notice" and op.message_id:
            self.store.replies.set_notice_ts(op.message_id, ts)
        elif op.kind == "banner":
            self.store.books.set_banner_ts(op.payload["store"], ref, ts)

    # -- the side effects -----------------------------------------------------------
    async def _channel(self, ref: str) -> str:
        try:
            return await self.directory.channel_id(ref)
        except ChannelNotFound as e:
            raise Permanent(f"channel {e} not found or not visible to the bot") from None

    async def _post(self, op: SlackOp, ref: str, **args: Any) -> str:
        channel = await self._channel(ref)
        resp = await self.client.chat_postMessage(
            channel=channel, metadata={"event_type": METADATA_TYPE,
                                       "event_payload": {"op": op.id}}, **args)
        ts = str(resp["ts"])
        await self._complete_post(op, ref, ts)
        return ts

    async def _do(self, op: SlackOp, ref: str) -> str | None:
        handler = getattr(self, f"_op_{op.kind}", None)
        if handler is None:
            raise Permanent(f"unknown op kind {op.kind}")
        return await handler(op, ref)

    def _card(self, conversation_id: int) -> tuple[Any, str, list[dict[str, Any]]]:
        conv = self.store.conversations.get(conversation_id)
        if conv is None:
            raise Permanent("conversation vanished")
        info = self.store_info(conv.store_key)
        text, blocks = card(conv, site=info["site"], platform=info["platform"],
                            store_name=info["name"], now=self.store.database.clock())
        return conv, text, blocks

    async def _op_post_root(self, op: SlackOp, ref: str) -> str | None:
        conv, text, blocks = self._card(op.conversation_id or 0)
        if conv.thread_ts:
            return conv.thread_ts
        return await self._post(op, ref, text=text, blocks=blocks)

    async def _op_update_card(self, op: SlackOp, ref: str) -> str | None:
        conv, text, blocks = self._card(op.conversation_id or 0)
        if not conv.thread_ts:
            return None  # the root post, still to come, renders the current state
        try:
            await self.client.chat_update(channel=conv.channel_id, ts=conv.thread_ts,
                                          text=text, blocks=blocks)
        except SlackApiError as e:
            if e.response.get("error") in ("message_not_found", "cant_update_message"):
                raise Permanent(str(e.response.get("error"))) from None
            raise
        return None

    async def _op_post_message(self, op: SlackOp, ref: str) -> str | None:
        msg = self.store.conversations.message(op.message_id or 0)
        if msg is None:
            return None  # an echo of our own reply, dropped once the send claimed it
        if msg.slack_ts:
            return msg.slack_ts
        conv = self.store.conversations.get(msg.conversation_id)
        if conv is None or not conv.thread_ts:
            raise Permanent("the conversation's thread could not be created")
        args = thread_message(msg, conv, customize=self.customize)
        return await self._post(op, ref, thread_ts=conv.thread_ts, **args)

    async def _op_sync_reaction(self, op: SlackOp, ref: str) -> str | None:
        msg = self.store.replies.get(op.message_id or 0)
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
        self.store.replies.set_shown_reaction(msg.id, want)
        return None

    async def _op_notice(self, op: SlackOp, ref: str) -> str | None:
        msg = self.store.replies.get(op.message_id or 0)
        conv = self.store.conversations.get(op.conversation_id or 0)
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
        row = self.store.books.store_row(key)
        if row is None:
            return None
        text, blocks = banner(row, self.store_info(key)["name"])
        ts = self.store.books.banner_ts(key, ref)
        if ts:
            await self.client.chat_update(channel=await self._channel(ref), ts=ts, text=text,
                                          blocks=blocks)
            if row["health"] == "ok":  # the incident is over; a new one gets a new banner
                self.store.books.set_banner_ts(key, ref, None)
            return ts
        if row["health"] == "ok":
            return None
        return await self._post(op, ref, text=text, blocks=blocks)

    async def _op_ephemeral(self, op: SlackOp, ref: str) -> str | None:
        p = op.payload
        channel = await self._channel(ref)
        try:
            await self.client.chat_postEphemeral(channel=channel, user=p["user"],
                                                 text=p["text"], thread_ts=p.get("thread_ts"))
        except SlackApiError as e:
            if classify(e).kind == "permanent":
                raise Permanent(str(e.response.get("error"))) from None
            raise
        return None
