"""The TikTok Shop Partner API (202309) customer-service emulator's HTTP side.

An aiohttp app on 127.0.0.1 that checks what TikTok checks: the request signature
over the raw bytes, the timestamp window [now-5 min, now+30 s], the
``x-tts-access-token`` header, ``shop_cipher``, page sizes (20 conversations, 10
messages), the 50 QPS limit (HTTP 429 / 36009002) and the daily customer-service
quota (45101004). It serves the token endpoints (GET, ``app_secret`` in the query,
single-use codes and refresh tokens), sends signed webhooks and fails on command.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.emulators.tiktok_orders import OrderBook
from tests.emulators.tiktok_orders_http import OrderEndpoints, OrderPushes
from tests.emulators.tiktok_push import PushSender
from tests.emulators.tiktok_rich import RichEndpoints
from tests.emulators.tiktok_state import Conversation, Grant, Shop, TikTokState, WireFailure

APP_KEY = "6abc12mock"
APP_SECRET = "mocksecret0123456789abcdef"
WEBHOOK_URL = "https://cs.example.com/webhooks/tiktok"
CS = "/customer_service/202309"
TEXT_LIMIT = 2000
SEND_TYPES = {"TEXT", "IMAGE", "VIDEO", "PRODUCT_CARD", "ORDER_CARD", "RETURN_REFUND_CARD",
              "COUPON_CARD", "LOGISTICS_CARD"}

WORDS = {
    105002: "Expired credentials. The `access_token` or `x-tts-access-token` header has expired.",
    105005: "Access denied. The app is not authorized to access the endpoint because the "
            "access scopes granted for the app or the access token do not contain the "
            "required access scope for the endpoint.",
    101000: "Invalid query or header. The `category_asset_cipher` query parameter or "
            "`x-tts-access-token` header is invalid.",
    106001: "Invalid credentials. The `sign` query parameter is invalid.",
    106013: "Missing identifier. The `shop_cipher` query parameter is required to identify "
            "the target shop.",
    36009002: "Too many requests. You've made too many requests in a short period of time.",
    36009003: "Internal error. Please try again. If the issue persists after multiple "
              "attempts, please contact platform support.",
    36009007: "Request timeout. The request to the endpoint timed out.",
    36009010: "Invalid method. The HTTP method used is not supported by this endpoint.",
    45101001: "Invalid parameter. Please check the parameters.",
    45101003: "Record not found. Please check the parameters.",
    45101004: "The query quota has been reached (10000 request per day). Please try again "
              "tomorrow.",
    45101006: "You cannot send the message containing sensitive content. Please check the "
              "message.",
    45102007: "No permission to access this conversation. There may be data corruption. "
              "Please try again later or contact the technical support team for help.",
    45109001: "Unable to send messages due to conversation rules. For details, please refer "
              "to Customer Service API overview.",
    45111001: "not support",
}
_BAD_TOKEN = "Invalid credentials. The `x-tts-access-token` header is invalid."
_TS = "Invalid timestamp. The value of the `timestamp` query parameter must "


def fail(code: int, message: str | None = None) -> WireFailure:
    return WireFailure(code, message or WORDS.get(code, "error"),
                       429 if code == 36009002 else 200)


def reference_sign(secret: str, path: str, query: dict[str, str], body: bytes,
                   content_type: str) -> str:
    """Written from the "Sign your API request" page, independently of the connector."""
    raw = (path + "".join(f"{k}{query[k]}" for k in sorted(query)
                          if k not in ("sign", "access_token"))).encode()
    if body and not content_type.startswith("multipart/form-data"):
        raw += body
    return hmac.new(secret.encode(), secret.encode() + raw + secret.encode(),
                    hashlib.sha256).hexdigest()


Handler = Callable[[web.Request, bytes, "Shop | None", "Grant | None"], Awaitable[Any]]


@dataclass
class Seen:
    endpoint: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class TikTokEmulator:
    def __init__(self, *, app_key: str = APP_KEY, app_secret: str = APP_SECRET,
                 slow_seconds: float = 1.0) -> None:
        self.clock_offset = 0.0
        self.state = TikTokState(app_key, app_secret, clock=self._clock)
        self.push = PushSender(self.state)
        self.orders = OrderBook(self.state)  # order side: tiktok_orders*.py
        self.order_pushes = OrderPushes(self.orders, self.push)
        self.rich = RichEndpoints(self)  # images, products, after-sales answers
        self.slow_seconds = slow_seconds
        self.retry_after: float | None = None  # TikTok documents no Retry-After header
        self.auto_push = False  # push every new message (incl. the shop's own) to push.url
        self.seen: list[Seen] = []
        self.faults: dict[str, deque[tuple[int | str, str | None]]] = {}
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    def _clock(self) -> float:
        return time.time() + self.clock_offset

    # -- lifecycle and failure switches -------------------------------------------------

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app(), shutdown_timeout=0.2, access_log=None)
        await self._runner.setup()
        await self.up()

    async def up(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await self._site.start()
        server = self._site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self._port}"

    async def down(self) -> None:
        """Stop listening: connections are refused until :meth:`up`."""
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def drain_pushes(self) -> None:
        """Wait for pushes started in the background (``auto_push``)."""
        for task in list(self._tasks):
            await task

    async def stop(self) -> None:
        await self.drain_pushes()
        await self.push.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, endpoint: str, code: int | str, count: int = 1, *,
                  message: str | None = None) -> None:
        """Make the next ``count`` calls of ``endpoint`` fail. ``code``: a TikTok code
        (enveloped, with ``message`` or TikTok's words), an HTTP status < 600 (bare; 429
        comes with 36009002), "timeout" (the call takes effect but the answer comes
        ``slow_seconds`` late), "disconnect" (it takes effect, then the connection drops
        before the answer) or "pass" (answer normally: aims a later failure).
        Endpoints: token_get, token_refresh, shops, conversations, messages, send, read,
        orders_search, orders_detail, cancellations_search, returns_search,
        cancellation_approve."""
        self.faults.setdefault(endpoint, deque()).extend([(code, message)] * count)

    # -- helpers for tests ---------------------------------------------------------------

    def conversation(self, shop: Shop, key: str) -> Conversation:
        for conv in shop.conversations.values():
            if conv.buyer.nickname == f"Buyer {key}":
                return conv
        return self.state.new_conversation(shop, f"Buyer {key}")

    async def buyer_says(self, conv: Conversation, text: str, *, push: bool = False) -> str:
        msg = self.state.add_message(conv, role="BUYER", content={"content": text})
        if push:
            await self.push.deliver(*self.push.new_message(conv, msg))
        return msg.id

    # -- HTTP ----------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_route("*", "/api/v2/token/get", self._wrap("token_get", self._token_get, None))
        r.add_route("*", "/api/v2/token/refresh",
                    self._wrap("token_refresh", self._token_refresh, None))
        r.add_get("/authorization/202309/shops", self._wrap("shops", self._shops, False))
        r.add_get(f"{CS}/conversations", self._wrap("conversations", self._conversations, True))
        r.add_get(f"{CS}/conversations/{{cid}}/messages",
                  self._wrap("messages", self._messages, True))
        r.add_post(f"{CS}/conversations/{{cid}}/messages", self._wrap("send", self._send, True))
        r.add_post(f"{CS}/conversations/{{cid}}/messages/read",
                   self._wrap("read", self._read, True))
        OrderEndpoints(self.orders).add_routes(r, self._wrap)
        self.rich.add_routes(r, self._wrap)
        return app

    def _wrap(self, endpoint: str, handler: Handler, cs: bool | None, *,
              quota: bool = True) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """``cs``: None unsigned (token host), False app-level, True shop-level;
        ``quota``: a shop-level call counts against the customer-service daily quota."""
        async def serve(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            self.seen.append(Seen(endpoint, request.method, request.path, dict(request.query),
                                  dict(request.headers), body))
            try:
                shop, grant = (None, None) if cs is None else self._authenticate(
                    request, body, endpoint, cs, quota)
                queue = self.faults.get(endpoint)
                fault, words = queue.popleft() if queue else (None, None)
                if isinstance(fault, int) and fault < 600 and fault != 429:
                    return web.Response(status=fault, text="upstream error")
                if isinstance(fault, int):
                    raise fail(36009002 if fault == 429 else fault, words)
                data = await handler(request, body, shop, grant)
                if fault == "timeout":
                    await asyncio.sleep(self.slow_seconds)
                if fault == "disconnect" and request.transport is not None:
                    request.transport.close()  # done, but the answer never leaves
                return self._answer(0, "Success", data)
            except WireFailure as exc:
                return self._answer(exc.code, exc.message, None, exc.status)

        return serve

    def _answer(self, code: int, message: str, data: Any, status: int = 200) -> web.Response:
        doc: dict[str, Any] = {"code": code, "message": message,
                               "request_id": secrets.token_hex(16).upper()}
        if data is not None:
            doc["data"] = data
        headers = {}
        if status == 429 and self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return web.json_response(doc, status=status, headers=headers,
                                 dumps=lambda o: json.dumps(o, separators=(",", ":")))

    def _authenticate(self, request: web.Request, body: bytes, endpoint: str,
                      cs: bool, quota: bool = True) -> tuple[Shop | None, Grant]:
        st = self.state
        q = {k: request.query[k] for k in request.query}
        if not q.get("sign"):
            raise fail(36009004, "Missing credentials. The request does not include a "
                                 "required signature in the query.")
        if q.get("app_key") != st.app_key:
            raise fail(36009004, "Invalid credentials. Invalid `app_key` query parameter.")
        try:
            ts = int(q.get("timestamp", ""))
        except ValueError:
            ts = -1
        now = st.now()
        if ts < 0:
            raise fail(36009004, _TS + "not be lesser than 0.")
        if ts < now - 300:
            raise fail(36009004, _TS + "not be earlier than 5 minutes before the current time.")
        if ts > now + 30:
            raise fail(36009004, _TS + "not exceed the current time by more than 30 seconds.")
        expected = reference_sign(st.app_secret, request.path, q, body,
                                  request.headers.get("content-type", "").lower())
        if not hmac.compare_digest(expected, q["sign"]):
            raise fail(106001)
        grant = st.grants.get(request.headers.get("x-tts-access-token", ""))
        if grant is None:
            raise fail(36009004, _BAD_TOKEN)
        if grant.access_expires < now:
            raise fail(105002)
        cipher = q.get("shop_cipher")
        if not cs:
            if cipher:
                raise fail(36009004, "Unexpected identifier. The `shop_cipher` query "
                                     "parameter is not required for this request.")
            if not st.hit((grant.open_id, endpoint)):
                raise fail(36009002)
            return None, grant
        if not cipher:
            raise fail(106013)
        shop = next((s for s in st.shops.values() if s.cipher == cipher), None)
        if shop is None or shop.id not in grant.shop_ids:
            raise fail(101000)
        if not st.hit((shop.id, endpoint)):
            raise fail(36009002)
        if quota and not st.spend_quota(shop.id):
            raise fail(45101004)
        return shop, grant

    def _token_params(self, request: web.Request, grant_type: str) -> dict[str, str]:
        if request.method != "GET":
            raise fail(36009010)
        q = request.query
        if q.get("app_key") != self.state.app_key or q.get("app_secret") != self.state.app_secret:
            raise fail(36004004, "invalid app_key or app_secret")
        if q.get("grant_type") != grant_type:
            raise fail(36004004, f"grant_type must be {grant_type}")
        return dict(q)

    def _grant_doc(self, g: Grant) -> dict[str, Any]:
        return {"access_token": g.access_token, "access_token_expire_in": g.access_expires,
                "refresh_token": g.refresh_token, "refresh_token_expire_in": g.refresh_expires,
                "open_id": g.open_id, "seller_name": "Emu Seller",
                "seller_base_region": "SG", "user_type": 0,
                "granted_scopes": ["seller.customer_service"]}

    async def _token_get(self, request: web.Request, body: bytes, shop: Shop | None,
                         grant: Grant | None) -> Any:
        q = self._token_params(request, "authorized_code")
        return self._grant_doc(self.state.exchange_code(q.get("auth_code", "")))

    async def _token_refresh(self, request: web.Request, body: bytes, shop: Shop | None,
                             grant: Grant | None) -> Any:
        q = self._token_params(request, "refresh_token")
        return self._grant_doc(self.state.refresh(q.get("refresh_token", "")))

    async def _shops(self, request: web.Request, body: bytes, shop: Shop | None,
                     grant: Grant | None) -> Any:
        assert grant is not None
        shops = [self.state.shops[s] for s in grant.shop_ids if s in self.state.shops]
        return {"shops": [{"id": s.id, "name": s.name, "region": s.region, "cipher": s.cipher,
                           "code": f"{s.region}LC{s.id[-4:]}", "seller_type": "LOCAL"}
                          for s in shops]}

    @staticmethod
    def _paging(request: web.Request, maximum: int) -> tuple[int, int]:
        try:
            size = int(request.query["page_size"])
            offset = int(request.query.get("page_token") or 0)
        except (KeyError, ValueError) as exc:
            raise fail(45101001) from exc
        if not 1 <= size <= maximum or offset < 0:
            raise fail(45101001)
        return size, offset

    @staticmethod
    def _page(items: list[Any], size: int, offset: int) -> tuple[list[Any], str]:
        chunk = items[offset:offset + size]
        more = offset + size < len(items)
        return chunk, str(offset + size) if more else ""

    async def _conversations(self, request: web.Request, body: bytes, shop: Shop | None,
                             grant: Grant | None) -> Any:
        assert shop is not None
        size, offset = self._paging(request, 20)
        chunk, token = self._page(self.state.sorted_conversations(shop), size, offset)
        return {"conversations": [self.state.conversation_wire(c) for c in chunk],
                "next_page_token": token}

    def _conv(self, request: web.Request, shop: Shop | None) -> Conversation:
        assert shop is not None
        conv = shop.conversations.get(request.match_info["cid"])
        if conv is None:
            raise fail(45101003)
        return conv

    async def _messages(self, request: web.Request, body: bytes, shop: Shop | None,
                        grant: Grant | None) -> Any:
        conv = self._conv(request, shop)
        size, offset = self._paging(request, 10)
        order = request.query.get("sort_order", "DESC")
        field_ = request.query.get("sort_field", "create_time")
        if order not in ("ASC", "DESC") or field_ not in ("create_time", "index"):
            raise fail(45101001)
        ordered = sorted(conv.messages, key=lambda m: (
            (m.create_time, int(m.index)) if field_ == "create_time" else int(m.index)),
            reverse=order == "DESC")
        chunk, token = self._page(ordered, size, offset)
        return {"messages": [m.wire() for m in chunk], "next_page_token": token,
                "unsupported_msg_tips": "Please check this message in Seller Center."}

    async def _send(self, request: web.Request, body: bytes, shop: Shop | None,
                    grant: Grant | None) -> Any:
        conv = self._conv(request, shop)
        try:
            doc = json.loads(body)
            content = json.loads(doc["content"])  # content is a JSON document in a string
            type_ = doc["type"]
        except (ValueError, KeyError, TypeError) as exc:
            raise fail(45101001) from exc
        if type_ not in SEND_TYPES or not isinstance(content, dict):
            raise fail(45101001)
        if type_ == "TEXT":
            text = content.get("content")
            if not isinstance(text, str) or not text.strip() or len(text) > TEXT_LIMIT:
                raise fail(45101001)
            if any(w in text.lower() for w in self.state.sensitive_words):
                raise fail(45101006)
        if not conv.can_send_message:
            raise fail(45109001)
        assert shop is not None
        self.rich.check_send(shop, type_, content)
        msg = self.state.add_message(conv, role="SHOP", type_=type_, content=doc["content"])
        if self.auto_push and self.push.url:
            # TikTok pushes the shop's own messages too (type 14, role SHOP).
            task = asyncio.create_task(self.push.deliver(*self.push.new_message(conv, msg)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return {"message_id": msg.id}

    async def _read(self, request: web.Request, body: bytes, shop: Shop | None,
                    grant: Grant | None) -> Any:
        self._conv(request, shop).unread_count = 0
        return {}
