"""Channel workers that carry out the durable Slack outbox in order.

One worker per channel: Slack paces chat.postMessage per channel, and one
conversation lives in one channel, so a serial worker keeps a thread's order.
A failure Slack may recover from stalls only its channel; everything stays in
the database meanwhile, so an outage or a restart loses and doubles nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from slack_sdk.web.async_client import AsyncWebClient

from bot.card_fallback import CardFallbacks
from bot.leases import LeaseKeeper
from bot.logs import log_context
from bot.pacing import TokenBucket, backoff
from bot.slack_directory import SlackDirectory
from bot.slack_effects import SlackEffects
from bot.slack_errors import Fault, SlackFailure, classify
from bot.slack_lookup import find_post
from bot.slack_work import NotYet, Permanent, SlackWork
from bot.slack_work_table import work_of
from bot.store import SlackOp, Store
from bot.store.leases import Grant
from bot.workers import KeyedWorkers, wait_for_wake

log = logging.getLogger(__name__)

MAX_UNEXPECTED = 5
#: Failures Slack may recover from: the op waits and is tried again. Every other
#: fault decides the op's fate at once (done, or given up).
RETRIED = frozenset({Fault.RATELIMITED, Fault.TRANSIENT, Fault.AUTH, Fault.UNEXPECTED})


class SlackOutbox:
    def __init__(self, store: Store, client: AsyncWebClient, directory: SlackDirectory, *,
                 stores: Callable[[str], Awaitable[dict[str, str]]], post_rate: float = 1.0,
                 post_burst: int = 3, leases: LeaseKeeper | None = None) -> None:
        self.store = store
        self.client = client
        self.directory = directory
        self.effects = SlackEffects(store, client, directory, stores=stores)
        # Posts Slack refused as built and that went out as plain text (in memory).
        self.card_fallbacks = CardFallbacks(alert=self._alert)
        self.effects.fallbacks = self.card_fallbacks
        self.post_rate = post_rate
        self.post_burst = post_burst
        self.reachable: bool | None = None
        self.identity_known = False  # auth.test answered at least once
        self._identity_task: asyncio.Task[None] | None = None
        self.last_error: str | None = None
        self.leases = leases
        self._workers = KeyedWorkers(
            self._run, "slack",
            claim=self._claim if leases else None)
        self._buckets: dict[str, TokenBucket] = {}

    async def _claim(self, ref: str) -> Grant | None:
        assert self.leases is not None
        grant = await self.leases.claim(f"slack:{ref}")
        if grant is not None and grant.fresh:
            # Another worker may have changed cards meanwhile: what we remember
            # showing is no longer a reason to skip an update.
            self.effects.forget_cards()
        return grant

    # -- lifecycle ------------------------------------------------------------
    async def start(self) -> None:
        await self.refresh_identity()
        for ref in await self.store.ops.channels_with_work():
            self.kick(ref)

    async def refresh_identity(self) -> None:
        """Learn whether we may post under buyers' names (chat:write.customize) and the
        workspace URL (thread links). Asked at start and again whenever Slack answers
        after an outage: a boot while Slack was down must not leave them unknown."""
        try:
            resp = await self.client.auth_test()
        except Exception as e:  # Slack down: keep going, posts will wait
            self._note_failure(f"auth.test: {classify(e).error}")
            return
        self.identity_known = True
        self.effects.workspace_url = resp.get("url")
        self.effects.team_id = resp.get("team_id")
        self.effects.bot_user_id, self.effects.bot_id = resp.get("user_id"), resp.get("bot_id")
        scopes = (resp.headers or {}).get("x-oauth-scopes") or ""
        self.effects.customize = "chat:write.customize" in {
            s.strip() for s in scopes.split(",")}
        self.reachable = True

    async def stop(self) -> None:
        await self._workers.stop()

    def kick(self, channel_ref: str) -> None:
        """New work for a channel: wake its worker, starting one if needed (after the
        caller's transaction, if it is in one)."""
        self.store.database.defer(lambda: self._workers.kick(channel_ref))

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no channel has ready work (tests, demo, shutdown)."""
        await self._workers.idle(timeout)

    async def _alert(self, channel_ref: str, text: str, conversation_id: int | None) -> None:
        await self.store.ops.enqueue(channel_ref, SlackWork.POST_CHANNEL,
                                     conversation_id=conversation_id, payload={"text": text})
        self.kick(channel_ref)

    # -- the worker -------------------------------------------------------------
    async def _run(self, ref: str, wake: asyncio.Event) -> None:
        failures = 0
        # Ops left inflight exist only after a crash, a takeover or a failed attempt:
        # looked for when the worker starts and after a failure, not before every op.
        reconcile = True
        while not self._workers.stopping:
            wake.clear()
            op: SlackOp | None = None
            try:
                if reconcile:
                    for op in await self.store.ops.inflight(ref):
                        await self._reconcile(op, ref)
                    reconcile = False
                    op = None
                # Taken (inflight) before the pacing wait: a crash meanwhile leaves it
                # inflight, and the next start looks it up in Slack before retrying.
                op, later = await self.store.ops.take_next(ref)
                if op is None:
                    if later is None:
                        return
                    await wait_for_wake(wake, later - self.store.database.clock())
                    continue
                work = work_of(op)
                if work is not None and work.posts:
                    try:
                        await self._bucket(ref).acquire()
                    except asyncio.CancelledError:  # shutdown: nothing was sent
                        await asyncio.shield(self.store.ops.postpone(op.id, 0.0))
                        raise
                if self.leases is not None and not await self.leases.holds(f"slack:{ref}"):
                    return  # taken over while we waited: the new holder reconciles the op
                # The id, not the ref: no extra read on Slack's busiest path.
                with log_context(conversation=op.conversation_id):
                    result_ts = await self.effects.do(op, ref)
                await self.store.ops.finish(op.id, result_ts)
                self._note_success()
                failures = 0
            except NotYet as e:
                reconcile = True
                if op is not None:
                    await self.store.ops.postpone(op.id, self.store.database.clock() + e.delay)
            except Permanent as e:
                reconcile = True
                if op is not None:
                    log.warning("slack op %s (%s) given up: %s", op.id, op.kind, e)
                    await self.store.ops.give_up(op.id, str(e))
            except Exception as e:  # noqa: BLE001 - sorted by classify()
                reconcile = True
                failures += 1
                delay = await self._after_failure(e, op, ref, failures)
                await wait_for_wake(wake, delay)

    async def _after_failure(self, exc: Exception, op: SlackOp | None, ref: str,
                             failures: int) -> float:
        """Record what a failure means for ``op``; how long the channel waits."""
        failure = classify(exc)
        if failure.kind is Fault.NOT_IN_CHANNEL:
            joined = await self._join(ref)
            if joined is None:
                return 0.0  # the op is tried again at once
            if joined.kind not in RETRIED:
                if op is not None:
                    await self.store.ops.give_up(op.id, f"the bot is not in the channel "
                                                        f"({joined.error}); invite it")
                return 0.0
            failure = joined  # Slack could not answer the join: try again later
        if op is not None and await self._settle(op, failure, exc):
            return 0.0
        if failure.kind is not Fault.RATELIMITED:  # being paced is not being down
            self._note_failure(failure.error)
        if failure.retry_after is not None:
            self._bucket(ref).block_for(failure.retry_after)
        cap = 60.0 if failure.kind is Fault.AUTH else 15.0
        return backoff(failures, retry_after=failure.retry_after, cap=cap)

    async def _join(self, ref: str) -> SlackFailure | None:
        """Join the channel (public ones only); None once in, else why not."""
        channel = await self.store.books.channel_id(ref)
        if not channel:
            return SlackFailure(Fault.NOT_IN_CHANNEL, "not_in_channel")
        try:
            await self.client.conversations_join(channel=channel)
        except Exception as e:  # noqa: BLE001 - a private channel: someone must invite us
            return classify(e)
        return None

    async def _settle(self, op: SlackOp, failure: SlackFailure, exc: Exception) -> bool:
        """Finish or give up ``op`` when the failure decides its fate; False when it
        is to be tried again."""
        if failure.kind is Fault.ALREADY:
            await self.store.ops.finish(op.id)
            return True
        if failure.kind is Fault.UNEXPECTED:
            log.error("slack op %s (%s) raised", op.id, op.kind, exc_info=exc)
            if op.attempts < MAX_UNEXPECTED:  # counts this attempt
                return False
        elif failure.kind in RETRIED:
            return False
        else:
            log.warning("slack op %s (%s) failed: %s %s", op.id, op.kind, failure.error,
                        failure.detail)
        await self.store.ops.give_up(op.id, failure.error)
        return True

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
        if not self.identity_known and (self._identity_task is None
                                        or self._identity_task.done()):
            self._identity_task = asyncio.create_task(self.refresh_identity())
        self.reachable = True
        self.last_error = None

    # -- crash recovery -----------------------------------------------------------
    async def _reconcile(self, op: SlackOp, ref: str) -> None:
        """An op was started but its outcome never recorded. A post is looked for
        where its kind posts before being tried again; other work is repeated."""
        work = work_of(op)
        if work is not None and work.posts:
            found = await find_post(self.store, self.client, op, work.found_by)
            if found:
                await self.effects.complete_post(op, found.channel, found.ts)
                await self.store.ops.finish(op.id, found.ts)
                return
        await self.store.ops.back_to_pending(op.id, "retrying after an interrupted attempt")
