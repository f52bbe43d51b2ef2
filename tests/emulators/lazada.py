"""A Lazada Open Platform IM emulator: an aiohttp app on 127.0.0.1.

It checks what the gateway checks (app key, millisecond timestamp within 7200 s,
sha256 sign in UPPERCASE hex over every parameter, access tokens), answers with
Lazada's envelopes (``code`` "0" or an error name; IM answers add
``success``/``err_code``), pages lists newest first by ``start_time`` +
``last_*_id`` with at most 20 per page, rotates refresh tokens on use, throttles
with ``ApiCallLimit``, delivers signed pushes (see :mod:`lazada_push`) and fails on
command; it serves orders too (:mod:`lazada_orders_api`). :func:`harness` wires it
to a :class:`LazadaConnector` for contract tests.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from connectors.backoff import Backoff
from connectors.lazada import LazadaConnector
from connectors.lazada.signing import api_signature
from connectors.models import BuyerId, ConversationId, OutboundText, ShopId, StoreAccount
from tests.emulators.lazada_api import (
    IM_CODES,
    POST_ONLY,
    SEND,
    TOKEN_APIS,
    ApiFailure,
    ImApis,
)
from tests.emulators.lazada_orders_api import OrderApis
from tests.emulators.lazada_push import PushAttempt, PushDelivery, PushMixin
from tests.emulators.lazada_rich import RichApis
from tests.emulators.lazada_state import Grant, LazadaState, Session, new_id
from tests.emulators.tokens import MemoryTokenStore

ISP_CODES = {"ServiceUnavailable", "ServiceTimeout", "InternalError"}

ERROR_TEXT = {
    "IllegalAccessToken": "The specified access token is invalid or expired",
    "IllegalRefreshToken": "The specified refresh token is invalid or expired",
    "InvalidCode": "The authorization code is invalid or expired",
    "IncompleteSignature": "The request signature does not conform to platform standards",
    "InvalidTimestamp": "The timestamp is more than 7200 seconds away from the server time",
    "ApiCallLimit": "The request has exceeded the limit; it has been banned for {ban} seconds",
    "ServiceUnavailable": "The service is temporarily unavailable",
    "SESSION_NOT_EXIST": "session not exist",
    "SESSION_EXPIRED": "session expired, reply window closed",
    "BUYER_BLOCKED": "buyer has blocked the seller",
    "SEND_LIMIT_WITHOUT_REPLY": "buyer has not replied, send limit reached",
}


@dataclass
class Call:
    api: str
    method: str
    params: dict[str, str]
    form: bool  # parameters came as form fields


@dataclass
class Injected:
    code: str
    message: str = ""
    http_status: int = 200
    retry_after: float | None = None
    im: bool = False


@dataclass
class LazadaEmulator(RichApis, OrderApis, PushMixin, ImApis):
    app_key: str = "100001"
    app_secret: str = "MockLazadaSecretForTestsOnly0001"
    access_ttl: int = 30 * 86400  # online app: 30 days
    refresh_ttl: int = 180 * 86400  # online app: 180 days
    rotate_refresh_tokens: bool = True  # UNCERTAIN for Lazada: strict (single use) here
    rate_limit_per_second: int | None = None  # per API path; None = unlimited
    rate_limit_ban_seconds: int = 1
    push_url: str | None = None  # set to push every new message as it happens
    push_timeout: float = 0.5
    push_max_retries: int = 12
    quote_scalars: bool = True
    state: LazadaState = field(default_factory=LazadaState)
    calls: list[Call] = field(default_factory=list)
    push_log: list[PushAttempt] = field(default_factory=list)
    push_disabled: bool = False
    refresh_calls: int = 0

    def __post_init__(self) -> None:
        self._failures: dict[str, collections.deque[Injected]] = collections.defaultdict(
            collections.deque)
        self._delays: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque)
        self._drops: dict[str, int] = collections.defaultdict(int)
        self._recent: dict[str, collections.deque[float]] = collections.defaultdict(
            collections.deque)
        self._pending: list[PushDelivery] = []
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._http: aiohttp.ClientSession | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/rest"

    async def start(self) -> LazadaEmulator:
        app = web.Application()
        app.router.add_route("*", "/rest/{api:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, access_log=None)
        await self._runner.setup()
        await self._listen()
        self._http = aiohttp.ClientSession()
        return self

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._http:
            await self._http.close()
        if self._runner:
            await self._runner.cleanup()

    async def go_down(self) -> None:
        """Refuse connections until :meth:`come_up` (an outage, not an error answer)."""
        assert self._site is not None and self._runner is not None
        await self._site.stop()
        if self._runner.server:
            for connection in self._runner.server.connections:
                connection.force_close()  # kept-alive connections die too
        await asyncio.sleep(0.05)  # let clients see their pooled connections close

    async def come_up(self) -> None:
        await self._listen()

    # -- commands ----------------------------------------------------------------------

    def fail_next(self, endpoint: str, code: str, count: int = 1, *, message: str = "",
                  http_status: int = 200, retry_after: float | None = None,
                  im: bool = False) -> None:
        """The next ``count`` calls of ``endpoint`` (e.g. "/im/message/send") answer
        ``code``: a gateway error name, an IM err_code (known ones, or any with ``im``),
        or "" for a bare HTTP error with ``http_status``."""
        for _ in range(count):
            self._failures[endpoint].append(
                Injected(code, message, http_status, retry_after, im))

    def delay_next(self, endpoint: str, seconds: float, count: int = 1) -> None:
        """The next calls do their work, then answer ``seconds`` late."""
        self._delays[endpoint].extend([seconds] * count)

    def drop_next(self, endpoint: str, count: int = 1) -> None:
        """The next calls do their work, then the connection drops before any answer
        (nothing is de-duplicated: a repeat is another message, as on Lazada)."""
        self._drops[endpoint] += count

    def calls_to(self, api: str) -> list[Call]:
        return [c for c in self.calls if c.api == api]

    # -- HTTP --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        api = "/" + request.match_info["api"]
        params = dict(request.query)
        posted = await request.post() if request.method == "POST" else {}
        # File parts (uploads) are not signed: kept apart from the parameters.
        self.request_files = {k: (v.filename, v.file.read(), v.content_type)
                              for k, v in posted.items() if isinstance(v, web.FileField)}
        params.update({k: str(v) for k, v in posted.items() if k not in self.request_files})
        self.calls.append(Call(api, request.method, params, bool(posted)))
        try:
            grant = self._gateway(api, request.method, params)
            if self._failures[api]:
                injected = self._failures[api].popleft()
                return self._error(injected.code, injected.message, injected.http_status,
                                   injected.retry_after, injected.im)
            body = self.dispatch(api, params, grant)
        except ApiFailure as failure:
            return self._error(failure.code, failure.message, failure.http_status)
        if self._delays[api]:
            await asyncio.sleep(self._delays[api].popleft())
        if self._drops[api] and request.transport is not None:
            self._drops[api] -= 1
            request.transport.close()
        return web.json_response(body, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    def _gateway(self, api: str, method: str, params: dict[str, str]) -> Grant | None:
        for name in ("app_key", "timestamp", "sign_method", "sign"):
            if not params.get(name):
                raise ApiFailure("MissingParameter", f"Missing required parameter: {name}")
        if params["app_key"] != self.app_key:
            raise ApiFailure("InvalidAppKey", "Specified app key is invalid")
        if params["sign_method"] != "sha256":
            raise ApiFailure("InvalidParameter", "Unsupported sign_method")
        if abs(self.state.now_ms() - _timestamp_ms(params["timestamp"])) > 7200 * 1000:
            raise ApiFailure("InvalidTimestamp")
        signed = {k: v for k, v in params.items() if k != "sign"}
        if params["sign"] != api_signature(self.app_secret, api, signed):
            raise ApiFailure("IncompleteSignature")
        self._throttle(api)
        if method != "POST" and api in POST_ONLY:
            raise ApiFailure("InvalidParameter", f"{api} only accepts POST")
        if api in TOKEN_APIS:
            return None
        token = params.get("access_token")
        if not token:
            raise ApiFailure("MissingParameter", "Missing required parameter: access_token")
        grant = self.state.grants.get(token)
        if grant is None or grant.access_expires_ms <= self.state.now_ms():
            raise ApiFailure("IllegalAccessToken")
        return grant

    def _throttle(self, api: str) -> None:
        if not self.rate_limit_per_second:
            return
        now, recent = time.monotonic(), self._recent[api]
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self.rate_limit_per_second:
            raise ApiFailure("ApiCallLimit")
        recent.append(now)

    def _error(self, code: str, message: str = "", http_status: int = 200,
               retry_after: float | None = None, im: bool = False) -> web.Response:
        text = message or ERROR_TEXT.get(code, code).format(ban=self.rate_limit_ban_seconds)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        if not code:
            return web.Response(status=http_status, text=f"<html>{http_status}</html>",
                                content_type="text/html", headers=headers)
        request_id = new_id("0b", 22)
        if im or code in IM_CODES:
            body = {"code": "0", "success": "false", "err_code": code, "err_message": text,
                    "request_id": request_id}
        else:
            body = {"type": "ISP" if code in ISP_CODES else "ISV", "code": code,
                    "message": text, "request_id": request_id}
        return web.json_response(body, status=http_status, headers=headers)


def _timestamp_ms(value: str) -> int:
    if value.isdigit():
        return int(value)
    try:  # the doc also accepts ISO times such as 2017-11-11T12:00:00Z
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiFailure("InvalidTimestamp") from None
    return int(parsed.astimezone(UTC).timestamp() * 1000)


@asynccontextmanager
async def running(**options: Any) -> AsyncIterator[LazadaEmulator]:
    emulator = await LazadaEmulator(**options).start()
    try:
        yield emulator
    finally:
        await emulator.stop()


# -- the cross-connector harness -----------------------------------------------------------


def store_for(emulator: LazadaEmulator, grant: Grant | None = None, *, site: str = "SG",
              api_url: str | None = None) -> StoreAccount:
    """The StoreAccount of ``grant``'s seller, its tokens as configuration credentials."""
    seller_id = grant.seller_id if grant else next(iter(emulator.state.sellers))
    credentials = ({"access_token": grant.access_token, "refresh_token": grant.refresh_token}
                   if grant else {})
    return StoreAccount(platform="lazada", shop_id=ShopId(seller_id), site=site,
                        seller_id=seller_id, api_url=api_url, credentials=credentials)


PUSH_URL = "https://storebridge.example.test/webhooks/lazada"
SEND_FAILURES = {
    "transient": ("ServiceUnavailable", 1),
    "permanent": ("SESSION_EXPIRED", 1),
    # Twice: the connector refreshes and retries once after IllegalAccessToken.
    "auth": ("IllegalAccessToken", 2),
}


@dataclass
class LazadaHarness:
    emulator: LazadaEmulator
    connector: LazadaConnector
    store: StoreAccount
    tokens: MemoryTokenStore
    seller_id: str
    answer_delay: float
    buyers: dict[str, str] = field(default_factory=dict)

    def session(self, conversation_key: str) -> Session:
        """The conversation ``conversation_key`` names, opened by a buyer of its own."""
        buyer_id = self.buyers.setdefault(conversation_key, str(1_011_822_749 + len(self.buyers)))
        return self.emulator.state.open_session(self.seller_id, buyer_id,
                                                f"Buyer {conversation_key}")

    async def buyer_says(self, conversation_key: str, text: str) -> None:
        self.emulator.state.add_message(self.session(conversation_key).session_id, {"txt": text})

    def signed_push(self, text: str, conversation_key: str) -> tuple[dict[str, str], bytes, str]:
        session = self.session(conversation_key)
        message = self.emulator.state.add_message(session.session_id, {"txt": text})
        headers, body = self.emulator.sign_push(self.emulator.message_payload(message))
        return headers, body, PUSH_URL

    def outbound(self, conversation_key: str, text: str, key: str) -> OutboundText:
        session = self.session(conversation_key)
        return OutboundText(conversation_id=ConversationId(session.session_id),
                            buyer_id=BuyerId(session.buyer_id), text=text, idempotency_key=key)

    def sent_texts(self, conversation_key: str) -> list[str]:
        return self.emulator.state.seller_texts(self.session(conversation_key).session_id)

    def sent_images(self, conversation_key: str) -> list[str]:
        """The URLs of the seller's picture messages (template 3)."""
        session = self.emulator.state.sessions[self.session(conversation_key).session_id]
        return [json.loads(m.content).get("imgUrl", "") for m in session.messages
                if m.from_type == 2 and m.template_id == 3]

    def drop_next_send(self) -> None:
        """The next send takes effect, then the connection drops before the answer."""
        self.emulator.drop_next(SEND)

    def buyer_profile(self, conversation_key: str) -> tuple[str, str | None, str | None]:
        """(name, avatar, language) as the emulator holds them."""
        session = self.session(conversation_key)
        return session.buyer_name, session.head_url or None, None

    def fail_next_send(self, mode: str) -> None:
        if mode == "timeout":
            self.emulator.delay_next(SEND, self.answer_delay)
            return
        code, count = SEND_FAILURES[mode]
        self.emulator.fail_next(SEND, code, count)


@asynccontextmanager
async def harness(session: aiohttp.ClientSession, **options: Any) -> AsyncIterator[LazadaHarness]:
    """An emulator with one authorized SG seller and a connector pointed at it."""
    async with running() as emulator:
        seller = emulator.state.add_seller("100094063", country="sg")
        grant = emulator.grant(seller.seller_id)
        tokens = MemoryTokenStore()
        store = store_for(emulator, grant, api_url=emulator.rest_url)
        waits: list[float] = []

        async def sleep(seconds: float) -> None:
            # The emulator's bans are injected, not real: record the wait, skip it.
            waits.append(seconds)
            await asyncio.sleep(0)

        settings: dict[str, Any] = {
            "app_key": emulator.app_key, "app_secret": emulator.app_secret,
            "api_url": emulator.rest_url, "read_timeout": 0.3, "connect_timeout": 1.0,
            "backoff": Backoff(retries=2, base=0.01, cap=5.0), "sleep": sleep, **options,
        }
        connector = LazadaConnector(session, tokens=tokens, **settings)
        yield LazadaHarness(emulator, connector, store, tokens, seller.seller_id,
                            answer_delay=settings["read_timeout"] * 3)
