"""A behavioural Shopee Open Platform v2 emulator (auth, sellerchat, push) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.emulators.shopee_handlers import ChatHandlers, WireError
from tests.emulators.shopee_health import HealthHandlers, ShopHealth
from tests.emulators.shopee_orders import OrderBook
from tests.emulators.shopee_orders_api import OrderHandlers
from tests.emulators.shopee_push import PushSender, compact, webchat_payload
from tests.emulators.shopee_rich_api import RichHandlers, read_multipart
from tests.emulators.shopee_state import Conv, IdSource, Msg, Shop, TokenBook

PARTNER_ID = 2001887
PARTNER_KEY = "shpk6d6f636b2d706172746e65722d6b65792d666f722d746573742d6f6e6c79"
LOST_PUSH_WINDOW = 3 * 86400

# HTTP statuses that go with each error envelope (INFERRED: Shopee documents codes,
# not statuses; clients must read the envelope).
STATUS = {"error_sign": 403, "error_auth": 403, "invalid_acceess_token": 403,
          "error_permission": 403, "error_api_permission": 403, "shop_access_expired": 403,
          "error_rate_limit": 429, "error_limit": 429, "error_server": 500,
          "internal_server_error": 500, "system_busy": 503, "error_network": 502}
MESSAGES = {"error_sign": "Wrong sign.", "error_auth": "Invalid access_token.",
            "error_param": "Wrong parameters.",
            "error_server": "Something wrong. Please try later.",
            "error_rate_limit": "Too many requests, please try again later.",
            "error_limit": "The request exceeds the daily API call limit.",
            "system_busy": "System busy, please decrease the QPS.",
            "shop_access_expired": "Shop access expired.",
            "error_shop_refresh_token": "Invalid refresh_token.",
            "error_api_permission": "This app type has no permission to this API."}


@dataclass
class Failure:
    code: str | int  # wire error, HTTP status, "timeout" or "disconnect"
    count: int
    message: str | None = None
    status: int | None = None
    retry_after: float | None = None


@dataclass
class Seen:
    name: str
    method: str
    query: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)


class ShopeeEmulator(ChatHandlers, OrderHandlers, RichHandlers, HealthHandlers):
    def __init__(self, *, partner_id: int = PARTNER_ID, partner_key: str = PARTNER_KEY,
                 clock: Callable[[], float] = time.time, direction_semantics: str = "field",
                 conversation_page_cap: int = 25, oversize_page: str = "empty",
                 message_page_cap: int = 60, text_limit: int = 1000,
                 rate_limit: tuple[int, float] | None = None,
                 rate_limit_retry_after: float | None = None, stall_seconds: float = 5.0,
                 push_own_messages: bool = True,
                 order_options: dict[str, Any] | None = None) -> None:
        self.partner_id = partner_id
        self.partner_key = partner_key
        self.now = clock
        self.direction_semantics = direction_semantics
        self.conversation_page_cap = conversation_page_cap
        self.oversize_page = oversize_page
        self.message_page_cap = message_page_cap
        self.text_limit = text_limit
        self.rate_limit = rate_limit
        self.rate_limit_retry_after = rate_limit_retry_after
        self.stall_seconds = stall_seconds
        self.push_own_messages = push_own_messages
        self.order_book = OrderBook(**(order_options or {}))
        self.account_health: dict[int, ShopHealth] = {}
        self.shops: dict[int, Shop] = {}
        self.tokens = TokenBook(clock)
        self.ids = IdSource(clock)
        self.requests: list[Seen] = []
        self.on_request: Callable[[Seen], None] | None = None
        self.failures: dict[str, deque[Failure]] = defaultdict(deque)
        self.lost: list[dict[str, Any]] = []
        self._lost_id = 176600
        self.push: PushSender | None = None
        self.authorizing_shop: int | None = None
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> web.Application:
        app = web.Application()
        for name, method, kind, handler in (self.routes() + self.order_routes() + self.rich_routes()
                                            + self.health_routes()):
            app.router.add_route(method, "/api/v2/" + name, self._endpoint(name, kind, handler))
        app.router.add_get("/api/v2/shop/auth_partner", self.auth_partner)
        app.router.add_get("/auth", self.auth_page)
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app(), shutdown_timeout=0.5)
        await self._runner.setup()
        await self.up()
        self._session = aiohttp.ClientSession()
        return self.base_url

    async def up(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await self._site.start()
        if not self.port:
            self.port = self._site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def down(self) -> None:
        """Stop listening: clients get 'connection refused' until :meth:`up`."""
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def close(self) -> None:
        self._closing.set()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def settle(self) -> None:
        """Wait for background push deliveries."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- test controls ---------------------------------------------------------

    def fail_next(self, endpoint: str, code: str | int, count: int = 1, *,
                  message: str | None = None, status: int | None = None,
                  retry_after: float | None = None) -> None:
        """Make the next ``count`` calls of ``endpoint`` (e.g. ``send_message`` or
        ``auth/access_token/get``) fail after authentication."""
        self.failures[endpoint.strip("/")].append(
            Failure(code, count, message, status, retry_after))

    def add_shop(self, shop_id: int, *, region: str = "SG", name: str = "") -> Shop:
        shop = Shop(shop_id=shop_id, region=region, user_id=900_000_000 + shop_id % 100_000_000,
                    name=name or f"shop_{shop_id}")
        self.shops[shop_id] = shop
        self.authorizing_shop = self.authorizing_shop or shop_id
        return shop

    def issue_tokens(self, shop_id: int) -> tuple[str, str]:
        return self.tokens.issue([shop_id])

    def conversation(self, shop_id: int, buyer_id: int, buyer_name: str = "") -> Conv:
        shop = self.shops[shop_id]
        conv = shop.conversations.get(buyer_id)
        if conv is None:
            conv = Conv(conversation_id=self.ids.conversation_id(), shop_id=shop_id,
                        buyer_id=buyer_id, buyer_name=buyer_name or f"buyer{buyer_id}",
                        buyer_avatar=f"https://cf.shopee.sg/file/avatar{buyer_id}")
            shop.conversations[buyer_id] = conv
        return conv

    def add_message(self, shop_id: int, buyer_id: int, *, from_buyer: bool,
                    message_type: str = "text", content: dict[str, Any] | None = None,
                    buyer_name: str = "", push: bool = True) -> Msg:
        shop = self.shops[shop_id]
        conv = self.conversation(shop_id, buyer_id, buyer_name)
        seller = (shop.user_id, shop.name, shop.shop_id)
        buyer = (buyer_id, conv.buyer_name, 0)
        src, dst = (buyer, seller) if from_buyer else (seller, buyer)
        msg = Msg(message_id=self.ids.message_id(), conversation_id=conv.conversation_id,
                  from_id=src[0], to_id=dst[0], from_shop_id=src[2], to_shop_id=dst[2],
                  from_user_name=src[1], to_user_name=dst[1], message_type=message_type,
                  content=dict(content or {}), created_ns=self.ids.timestamp_ns(),
                  region=shop.region)
        conv.messages.append(msg)
        if from_buyer:
            conv.unread_count += 1
        if push and self.push is not None and (from_buyer or self.push_own_messages):
            self.spawn(self.deliver(msg))
        return msg

    def buyer_says(self, shop_id: int, buyer_id: int, text: str, **kw: Any) -> Msg:
        return self.add_message(shop_id, buyer_id, from_buyer=True, content={"text": text}, **kw)

    def configure_push(self, callback_url: str, *, deliver_to: str | None = None,
                       timeout: float = 2.0, retry_delays: tuple[float, ...] = (1.0, 2.0, 3.0),
                       health_min_pushes: int = 600) -> PushSender:
        self.push = PushSender(self.partner_key, callback_url=callback_url,
                               deliver_to=deliver_to, timeout=timeout,
                               retry_delays=retry_delays, health_min_pushes=health_min_pushes)
        return self.push

    def push_body(self, msg: Msg) -> bytes:
        shop_id = msg.to_shop_id or msg.from_shop_id
        return compact(webchat_payload(msg.push_content(shop_id), shop_id, msg.region,
                                       int(self.now())))

    async def deliver(self, msg: Msg) -> bool:
        assert self.push is not None and self._session is not None
        body = self.push_body(msg)
        delivery = await self.push.deliver(self._session, body)
        if not delivery.ok and delivery.attempts:
            self.add_lost(msg.to_shop_id or msg.from_shop_id, 10, body.decode())
        return delivery.ok

    def add_lost(self, shop_id: int, code: int, data: str) -> None:
        self._lost_id += 1
        self.lost.append({"id": self._lost_id, "shop_id": shop_id, "code": code,
                          "timestamp": int(self.now()), "data": data, "consumed": False})

    def spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def called(self, name: str) -> list[Seen]:
        return [r for r in self.requests if r.name.endswith(name)]

    # -- the request pipeline --------------------------------------------------

    def _endpoint(self, name: str, kind: str, handler: Callable[..., Awaitable[dict[str, Any]]]
                  ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            body: Any = None
            if request.method == "POST" and request.content_type.startswith("multipart/"):
                body = await read_multipart(request)
            elif request.method == "POST":
                try:
                    body = await request.json()
                except (ValueError, UnicodeDecodeError):
                    body = ValueError
            seen = Seen(name, request.method, dict(request.query), body)
            self.requests.append(seen)
            if self.on_request:
                self.on_request(seen)
            top = kind == "token"
            try:
                shop = self._authenticate(request, name, kind)
                self._throttle(shop.shop_id if shop else 0)
                failure = self._take_failure(name)
                if failure is not None and failure.code not in ("timeout", "disconnect"):
                    return self._failure_response(failure, top)
                if body is ValueError or (request.method == "POST" and not isinstance(body, dict)):
                    raise WireError("error_param", "Wrong parameters, detail: invalid json.")
                result = await handler(shop, dict(request.query), body or {})
            except WireError as exc:
                return self._error(exc.code, exc.message, top, exc.status, exc.retry_after)
            if failure is not None and failure.code == "timeout":
                await self._stall()  # the work is done; the answer comes too late
            if failure is not None and failure.code == "disconnect" and request.transport:
                request.transport.close()
            return self._ok(result, top)

        return endpoint

    def _authenticate(self, request: web.Request, name: str, kind: str) -> Shop | None:
        q = request.query
        if not all(q.get(k) for k in ("partner_id", "timestamp", "sign")):
            raise WireError("error_param", "partner_id, timestamp and sign are required.")
        try:
            partner_id, ts = int(q["partner_id"]), int(q["timestamp"])
        except ValueError:
            raise WireError("error_param", "Wrong parameters, detail: bad partner_id or "
                                           "timestamp.") from None
        if partner_id != self.partner_id:
            raise WireError("error_auth", "Invalid partner_id.")
        if abs(self.now() - ts) > 300:
            raise WireError("error_param", "Timestamp is expired.")
        base = f"{partner_id}/api/v2/{name}{ts}"
        if kind == "shop":
            if not q.get("access_token") or not q.get("shop_id"):
                raise WireError("error_param", "access_token and shop_id are required.")
            base += f"{q['access_token']}{q['shop_id']}"
        expected = hmac.new(self.partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, q["sign"]):
            raise WireError("error_sign", "Wrong sign.")
        if kind != "shop":
            return None
        try:
            shop = self.shops.get(int(q["shop_id"]))
        except ValueError:
            shop = None
        if shop is None:
            raise WireError("error_shop", "shopid is invalid")
        if not shop.authorized:
            raise WireError("shop_access_expired", "Shop access expired.")
        if not self.tokens.access_ok(q["access_token"], shop.shop_id):
            raise WireError("error_auth", "Invalid access_token.")
        return shop

    def _throttle(self, key: int) -> None:
        if self.rate_limit is None:
            return
        limit, window = self.rate_limit
        hits, now = self._hits[str(key)], time.monotonic()
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            raise WireError("error_rate_limit", MESSAGES["error_rate_limit"],
                            retry_after=self.rate_limit_retry_after)
        hits.append(now)

    def _take_failure(self, name: str) -> Failure | None:
        for key, queue in self.failures.items():
            if queue and (name == key or name.endswith("/" + key)):
                failure = queue[0]
                failure.count -= 1
                if failure.count <= 0:
                    queue.popleft()
                return failure
        return None

    async def _stall(self) -> None:
        try:
            await asyncio.wait_for(self._closing.wait(), timeout=self.stall_seconds)
        except TimeoutError:
            pass

    def _failure_response(self, failure: Failure, top: bool) -> web.Response:
        if isinstance(failure.code, int):  # a proxy/gateway answer, not a Shopee envelope
            return web.Response(status=failure.code, text=f"<html>{failure.code}</html>",
                                content_type="text/html")
        return self._error(failure.code, failure.message, top, failure.status,
                           failure.retry_after)

    def _error(self, code: str, message: str | None, top: bool, status: int | None = None,
               retry_after: float | None = None) -> web.Response:
        body = {"request_id": secrets.token_hex(16), "error": code,
                "message": message if message is not None else MESSAGES.get(code, code)}
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None
        return web.json_response(body, status=status or STATUS.get(code, 400), headers=headers)

    def _ok(self, result: dict[str, Any], top: bool) -> web.Response:
        envelope: dict[str, Any] = {"request_id": secrets.token_hex(16), "error": "",
                                    "message": ""}
        if top:  # the token APIs put their fields at top level
            envelope.update(result)
        else:
            envelope.update({"warning": "", "response": result})
        return web.Response(body=json.dumps(envelope), content_type="application/json")
