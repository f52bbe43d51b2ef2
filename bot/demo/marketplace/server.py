"""A simulated marketplace that speaks real HTTP: signed API in, signed pushes out.

It hosts stores labelled as Shopee, Lazada or TikTok Shop for display, but all of
them speak the one sandbox protocol (see :mod:`connectors.sandbox.signing`); the
HTTP side lives in :mod:`bot.demo.marketplace.routes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import deque
from collections.abc import Awaitable
from typing import Any

import aiohttp
from aiohttp import web

from bot.demo.marketplace import buyers as lines
from bot.demo.marketplace.order_book import OrderBook, demo_orders
from bot.demo.marketplace.pushes import RETRY_DELAYS, PushDelivery, PushQueue, encode_push
from bot.demo.marketplace.rich_routes import Shelf
from bot.demo.marketplace.routes import SEND_FAILURES, build_app
from bot.demo.marketplace.state import Ledger, SandboxBuyer, SandboxStore
from bot.demo.marketplace.state import conversation_id as make_conversation_id
from connectors.models import ShopId, StoreAccount


class SandboxMarketplace:
    def __init__(self, app_key: str = "sandbox-app", app_secret: str = "sandbox-secret", *,
                 api_rate_per_sec: float = 50.0, auto_reply: bool = False,
                 reply_delay: float = 1.0, timeout_delay: float = 15.0,
                 seed: int | None = None) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.api_rate_per_sec = api_rate_per_sec
        self.auto_reply = auto_reply
        self.reply_delay = reply_delay
        self.timeout_delay = timeout_delay
        self.pushes_enabled = True
        self.push_retry_delays: tuple[float, ...] = RETRY_DELAYS
        self.push_log: list[PushDelivery] = []
        self.ledger = Ledger()
        self.shelf = Shelf()  # uploaded media and products (rich_routes)
        self.order_book = OrderBook()  # orders (order_routes)
        self._rng = random.Random(seed)
        self._webhook: str | None = None
        self._queues: dict[str, PushQueue] = {}
        self._duplicate_next = False
        self._failures: deque[str] = deque()
        self._down = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle -----------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        self._stopping.clear()
        self._runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self._port = self._runner.addresses[0][1]

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the sandbox marketplace is not started")
        return f"http://127.0.0.1:{self._port}"

    async def stop(self) -> None:
        self._stopping.set()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for queue in self._queues.values():
            await queue.close()
        self._queues.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._port = None

    async def __aenter__(self) -> SandboxMarketplace:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- seeding ---------------------------------------------------------------------

    def add_store(self, shop_id: str, platform: str, site: str, name: str,
                  access_token: str, language: str) -> SandboxStore:
        store = SandboxStore(shop_id, platform, site, name, access_token, language)
        self.ledger.add_store(store)
        return store

    def add_buyer(self, shop_id: str, buyer_id: str, name: str, language: str,
                  avatar_url: str | None = None) -> SandboxBuyer:
        buyer = SandboxBuyer(shop_id, buyer_id, name, language, avatar_url)
        self.ledger.add_buyer(buyer)
        return buyer

    def seed_demo(self) -> list[SandboxStore]:
        stores = [self.add_store(s.shop_id, s.platform, s.site, s.name, s.access_token,
                                 s.language) for s in lines.DEMO_STORES]
        for b in lines.DEMO_BUYERS:
            self.add_buyer(b.shop_id, b.buyer_id, b.name, b.language, b.avatar_url)
        for shop_id, order in demo_orders(time.time()):
            self.order_book.add(shop_id, order)
        return stores

    def store_account(self, shop_id: str) -> StoreAccount:
        """The connector-side view of a store (platform "sandbox", this server's URL)."""
        store = self.ledger.stores[shop_id]
        return StoreAccount(platform="sandbox", shop_id=ShopId(shop_id), site=store.site,
                            api_url=self.base_url,
                            credentials={"access_token": store.access_token})

    def conversation_id(self, shop_id: str, buyer_id: str) -> str:
        buyer = self.ledger.buyer(shop_id, buyer_id)
        return make_conversation_id(buyer.shop_id, buyer.buyer_id)

    # -- buyers and sellers ----------------------------------------------------------------

    async def buyer_says(self, shop_id: str, buyer_id: str, text: str | None = None,
                         kind: str = "text", **attrs: Any) -> dict[str, Any]:
        """A buyer sends a message, which is stored and pushed like any other.

        ``kind`` is text, image, sticker, product, order, voucher, video or any other
        platform type (``live_invite``); missing fields get plausible defaults, and a
        text message without ``text`` gets an opening line in the buyer's language.
        """
        buyer = self.ledger.buyer(shop_id, buyer_id)
        if kind == "text":
            content = {"text": text or lines.opening_line(buyer.language, self._rng)}
        else:
            site = self.ledger.stores[shop_id].site
            content = {**lines.default_content(kind, site, self._rng), **attrs}
            if text:
                content["text"] = text
        return self.record(buyer, from_seller=False, kind=kind, content=content)

    async def seller_says(self, shop_id: str, buyer_id: str, text: str) -> dict[str, Any]:
        """A reply typed in the marketplace's own seller centre, not through the API."""
        buyer = self.ledger.buyer(shop_id, buyer_id)
        return self.record(buyer, from_seller=True, kind="text", content={"text": text})

    async def random_buyer_message(self, rng: random.Random | None = None) -> dict[str, Any]:
        rng = rng or self._rng
        buyer = rng.choice(list(self.ledger.buyers.values()))
        site = self.ledger.stores[buyer.shop_id].site
        kind, text, attrs = lines.chatter(buyer.language, site, rng)
        return await self.buyer_says(buyer.shop_id, buyer.buyer_id, text, kind, **attrs)

    def record(self, buyer: SandboxBuyer, *, from_seller: bool, kind: str,
               content: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        """Store a message, push it, and let the buyer answer a seller if enabled."""
        message = self.ledger.record(buyer, from_seller=from_seller, kind=kind,
                                     content=content, idempotency_key=idempotency_key)
        self._push({"event": "message", "shop_id": buyer.shop_id, "message": message})
        if from_seller and self.auto_reply:
            self._spawn(self._answer_later(buyer, content.get("text", "")))
        return message

    async def _answer_later(self, buyer: SandboxBuyer, seller_text: str) -> None:
        await asyncio.sleep(self.reply_delay)
        text = lines.reply_to_seller(buyer.language, seller_text, self._rng)
        self.record(buyer, from_seller=False, kind="text", content={"text": text})

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- pushes ----------------------------------------------------------------------

    def set_webhook(self, url: str | None) -> None:
        self._webhook = url

    def duplicate_next_push(self) -> None:
        self._duplicate_next = True

    def order_changed(self, shop_id: str, order: dict[str, Any], kind: str) -> None:
        """Push that an order changed; like the real platforms, only ids and status."""
        self._push({"event": "order_update", "shop_id": shop_id, "order_id": order["order_id"],
                    "kind": kind, "status": order["status"], "updated_at": order["updated_at"]})

    def buyer_requests_cancellation(self, shop_id: str, order_id: str, reason: str,
                                    respond_within: float = 86400.0) -> dict[str, Any]:
        order = self.order_book.request_cancellation(shop_id, order_id, reason, respond_within)
        self.order_changed(shop_id, order, "cancellation")
        return order

    def push_other_event(self, shop_id: str) -> None:
        store = self.ledger.stores[shop_id]
        self._push({"event": "shop_updated", "shop_id": shop_id, "shop": store.info(),
                    "updated_at": int(time.time())})

    async def drain(self) -> None:
        for queue in list(self._queues.values()):
            await queue.join()

    def _push(self, payload: dict[str, Any]) -> None:
        if not (self.pushes_enabled and self._webhook):
            return
        body = encode_push(payload)
        queue = self._queue_for(self._webhook)
        queue.put(body)
        if self._duplicate_next:
            self._duplicate_next = False
            queue.put(body)

    def _queue_for(self, url: str) -> PushQueue:
        if url not in self._queues:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            self._queues[url] = PushQueue(self._session, url, self.app_secret, self.push_log,
                                          retry_delays=self.push_retry_delays)
        return self._queues[url]

    # -- failure injection -------------------------------------------------------------------

    def fail_next_send(self, mode: str, count: int = 1) -> None:
        if mode not in SEND_FAILURES:
            raise ValueError(f"unknown failure mode {mode!r}; use one of {sorted(SEND_FAILURES)}")
        self._failures.extend([mode] * count)

    def set_down(self, down: bool = True) -> None:
        self._down = down

    # -- observability ---------------------------------------------------------------------

    def messages(self, shop_id: str) -> list[dict[str, Any]]:
        return self.ledger.messages(shop_id)

    def sent_messages(self, shop_id: str, conversation_id: str | None = None
                      ) -> list[dict[str, Any]]:
        return [m for m in self.ledger.messages(shop_id) if m["from_seller"]
                and conversation_id in (None, m["conversation_id"])]

    # -- used by the HTTP routes ------------------------------------------------------------

    def take_send_failure(self) -> str | None:
        return self._failures.popleft() if self._failures else None

    @property
    def is_down(self) -> bool:
        return self._down

    async def hold(self, seconds: float) -> None:
        """Sleep, but wake up at once when the server stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
