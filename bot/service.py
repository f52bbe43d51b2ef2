"""The composition root: builds every part once, starts and stops them in order."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, TypeVar

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.catchup import CatchUpMarkers
from bot.config import Settings
from bot.connector_hub import ConnectorHub
from bot.events import EventBus
from bot.feature_api import Feature, FeatureBuilder, Sections, Services, Slots
from bot.features import default_features, install, slack_registers
from bot.ingest import Ingest
from bot.language import warm_up
from bot.leases import LeaseKeeper
from bot.loop_probe import LoopProbe
from bot.relay import Relay
from bot.sender import Sender
from bot.service_health import ServiceHealth
from bot.slack_app import build_bolt_app
from bot.slack_directory import SlackDirectory
from bot.slack_outbox import SlackOutbox
from bot.store import Store, TokenCipher, is_postgres
from bot.store.bookkeeping import StoreRecord
from bot.store.db import Clock
from bot.store.single_process import SingleProcessLock
from bot.store_health import StoreHealth
from bot.store_sync import REPAIR_EVERY_MINUTES, StoreSync

log = logging.getLogger(__name__)

SWEEP_SECONDS = 2  # how soon a survivor notices a dead worker's queues (after their TTL)
#: Jobs every worker runs; all others run on the one worker holding ``job:<id>``.
EVERY_WORKER_JOBS = frozenset({"sweep"})
EVENT_MEMORY_SECONDS = 2 * 86400  # Slack retries within minutes; keep ids two days
T = TypeVar("T")


class Service(ServiceHealth):
    store: Store
    slack: AsyncWebClient
    hub: ConnectorHub
    outbox: SlackOutbox
    sender: Sender
    ingest: Ingest
    relay: Relay
    bolt: AsyncApp
    #: What the core hands the features (bot/feature_api.py), once started.
    services: Services

    def __init__(self, settings: Settings, *, clock: Clock = time.time,
                 repair_on_start: bool = True, stable_for: float = 3.0,
                 probe_base: float = 1.0, features: list[FeatureBuilder] | None = None) -> None:
        self.settings = settings
        self.features = default_features() if features is None else features
        self.installed: list[Feature] = []
        #: Events the core publishes (bot/events.py) to the features' listeners.
        self.events = EventBus()
        self.stable_for = stable_for
        self.probe_base = probe_base
        self.clock = clock
        self.repair_on_start = repair_on_start
        self._session: aiohttp.ClientSession | None = None
        self.scheduler = AsyncIOScheduler()
        self._background: set[asyncio.Task[Any]] = set()
        self._single: SingleProcessLock | None = None
        self.loop_probe = LoopProbe()

    async def start(self) -> None:
        s = self.settings
        self.loop_probe.start()
        # Detection runs on pushes, so the model is loaded before the first (0.6 s,
        # mostly LZMA and numpy, which release the GIL): beside the steps below.
        model = asyncio.ensure_future(asyncio.to_thread(warm_up))
        if not is_postgres(s.database):
            self._single = SingleProcessLock(s.database)
            self._single.acquire()  # refuses a second process on the same SQLite file
        self.store = await Store.open(s.database, clock=self.clock,
                                      cipher=TokenCipher.from_env(s.env))
        if self.store.credentials.cipher.ready:
            # Plaintext rows from before encryption, or rows under a retired key.
            await self.store.credentials.seal_tokens()
        self.leases = LeaseKeeper(self.store)
        if self._single is not None:
            # We hold the file: leases left by a previous (crashed) process are void.
            await self.store.leases.release_all_others(self.leases.worker_id)
        await self.leases.start()
        await self.store.books.upsert_stores([StoreRecord(
            cfg.key, cfg.platform, cfg.connector, cfg.shop_id, cfg.site, cfg.name, cfg.nickname,
            cfg.channel, cfg.group) for cfg in s.stores])  # one trip for 500 stores
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        # Retries are ours (the outbox); the SDK's own would hide outages from it.
        self.slack = AsyncWebClient(token=s.slack.bot_token, base_url=s.slack.api_url,
                                    session=self._session, timeout=10, retry_handlers=[])
        self.directory = directory = SlackDirectory(self.slack, self.store.books)
        self.hub = ConnectorHub(s, self._session, self.store.books)
        self.outbox = SlackOutbox(self.store, self.slack, directory, stores=self._store_info,
                                  post_rate=s.slack.post_rate_per_channel,
                                  post_burst=s.slack.post_burst, leases=self.leases)
        self.outbox.card_fallbacks.ops_channel = s.ops_channel
        self.ingest = Ingest(self.store, self.hub, on_claimed=self.outbox.kick,
                             events=self.events)
        self.catchup = CatchUpMarkers(
            self.store, self.leases.worker_id, wake=self.outbox.kick,
            channel_of=lambda key: getattr(self.hub.stores.get(key), "channel", None))
        self.ingest.catchup = self.catchup
        self.ingest.backfill_hours = s.backfill_hours
        await model
        self.health_monitor = StoreHealth(
            self.store, self.hub, ops_channel=s.ops_channel, repair=self.ingest.repair,
            wake_slack=self.outbox.kick, wake_sender=lambda key: self.sender.kick(key),
            stable_for=self.stable_for, probe_base=self.probe_base)
        self.sender = Sender(self.store, self.hub, directory, on_change=self.outbox.kick,
                             max_attempts=s.send_max_attempts, health=self.health_monitor,
                             leases=self.leases, events=self.events)
        self.health_monitor.leases = self.leases
        self.sync = StoreSync(self.hub, self.ingest, self.leases, self.health_monitor,
                              self.catchup, self.store.database.clock)
        self.relay = Relay(self.store, s, wake_slack=self.outbox.kick,
                           wake_sender=self.sender.kick)
        self.services = Services(
            settings=s, store=self.store, slack=self.slack, session=self.session, hub=self.hub,
            outbox=self.outbox, sender=self.sender, relay=self.relay, directory=directory,
            clock=self.clock, spawn=self.spawn, scheduler=self.scheduler, slots=Slots(),
            sections=Sections())
        # Features add their jobs to self.scheduler; it starts once all are installed.
        self.installed = install(self.services, self.features, self.events)
        self.bolt = build_bolt_app(self.slack, s.slack.signing_secret, self.store, self.relay,
                                   wake_slack=self.outbox.kick,
                                   retry_sync=lambda key: self.spawn(self.repair(key, True)),
                                   features=slack_registers(self.installed),
                                   identity=self.outbox.effects.identity)
        await self.outbox.start()
        await self.sender.start()
        await self.health_monitor.start()
        self.scheduler.add_job(self.sync.repair_periodic, "interval", minutes=REPAIR_EVERY_MINUTES,
                               id="repair", max_instances=1, coalesce=True)
        self.scheduler.add_job(self._housekeeping, "interval", hours=1, id="housekeeping")
        # Work written by another process (storebridge sync, a second worker) is
        # picked up here; in this process the workers are woken directly.
        # Every worker sweeps: it is how a survivor finds a dead worker's queues once
        # their leases expire. Every other job runs on one worker at a time.
        self.scheduler.add_job(self._sweep, "interval", seconds=SWEEP_SECONDS, id="sweep")
        for job in self.scheduler.get_jobs():
            func = self.loop_probe.timed(job.id, job.func)
            if job.id not in EVERY_WORKER_JOBS:
                func = self.leases.leased(f"job:{job.id}", func)
            job.modify(func=func)
        self.scheduler.start()
        if self.repair_on_start:
            # Before the web server takes its first push: live posts wait for the catch-up.
            await self.catchup.begin(self.hub.stores)
            self.spawn(self.repair_all())

    async def stop(self) -> None:
        try:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            for t in list(self._background):
                t.cancel()
            await asyncio.gather(*self._background, return_exceptions=True)
            await self.catchup.stop()
            await self.health_monitor.stop()
            await self.sender.stop()
            await self.outbox.stop()
            await self.hub.close()
            if self._session:
                await self._session.close()
            await self.leases.stop()
        finally:
            # Whatever failed or was interrupted above (a second Ctrl-C): the
            # database's threads are not daemons, and left open they kept the
            # process from exiting at all.
            await asyncio.shield(self.store.close())
            if self._single is not None:
                self._single.release()
            await self.loop_probe.stop()

    def feature(self, kind: type[T]) -> T:
        """The installed feature object of this type (tests and tools reach in here)."""
        for f in self.installed:
            if isinstance(f.handle, kind):
                return f.handle
        raise LookupError(f"no installed feature is a {kind.__name__}")

    @property
    def workspace_url(self) -> str | None:
        """From auth.test (thread links); the outbox learns it again when Slack is back."""
        return self.outbox.effects.workspace_url

    @workspace_url.setter
    def workspace_url(self, value: str | None) -> None:
        self.outbox.effects.workspace_url = value

    @property
    def team_id(self) -> str | None:
        return self.outbox.effects.team_id

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "the service is not started"
        return self._session

    async def on_authorized(self, store_key: str) -> None:
        """New tokens arrived for a configured store: resume it if it was paused, else
        catch it up now (a first connection backfills what is waiting)."""
        if await self.health_monitor.is_paused(store_key):
            self.spawn(self._resume(store_key))
        else:
            self.spawn(self.repair(store_key))

    async def _resume(self, store_key: str) -> None:
        try:
            count = await self.ingest.repair(store_key)
        except Exception as e:  # noqa: BLE001 - still broken: the probe carries on
            await self.health_monitor.report_failure(store_key, e)
            return
        await self.health_monitor.recovered(store_key, count)

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _store_info(self, store_key: str) -> dict[str, str]:
        cfg = self.hub.stores.get(store_key)
        if cfg is None:  # a store removed from the config still has threads
            row = await self.store.books.store_row(store_key)
            if row is None:
                return {"site": "", "platform": "", "name": store_key}
            return {"site": str(row["site"]), "platform": str(row["platform"]),
                    "name": str(row["nickname"] or row["name"])}
        return {"site": cfg.site, "platform": cfg.platform, "name": cfg.display_name}

    async def repair(self, store_key: str, full: bool = False) -> int:
        return await self.sync.repair(store_key, full)

    async def repair_all(self) -> int:
        return await self.sync.repair_all()

    async def _sweep(self) -> None:
        await self.store.catchups.release_stale()
        for ref in await self.store.ops.channels_with_work():
            self.outbox.kick(ref)
        for key in await self.store.replies.stores_with_pending():
            self.sender.kick(key)

    async def _housekeeping(self) -> None:
        now = self.clock()
        await self.store.books.prune_events(now - EVENT_MEMORY_SECONDS)
        await self.store.ops.prune_done(now - 7 * 86400)
        await self.store.database.refresh_statistics()
