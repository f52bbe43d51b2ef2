"""The Lazada Open Platform IM connector."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from connectors import errors
from connectors.account_health import AccountNotice
from connectors.backoff import Backoff, Sleep
from connectors.base import PushAck, Tokens, TokenStore
from connectors.buyer_profile import BuyerProfile
from connectors.lazada import buyers, health, lookup, orders_details, orders_pull, push, sync
from connectors.lazada.actions import LazadaActions
from connectors.lazada.client import DEFAULT_BACKOFF, LazadaClient
from connectors.lazada.errors import ErrorSpec
from connectors.lazada.hosts import AUTH_BASE, AUTHORIZE_PAGE, rest_base
from connectors.lazada.media import LazadaRich
from connectors.lazada.messages import TEXT, from_ms
from connectors.lazada.orders_pull import OrderOptions
from connectors.lazada.rules import (
    DEFAULT_MAX_TEXT_LENGTH,
    SendContext,
    check_outgoing,
    too_long,
)
from connectors.lazada.tokens import (
    PLATFORM,
    authorize_url,
    exchange,
    is_rejection,
    refresher,
    utc_now,
)
from connectors.models import (
    ConversationFacts,
    FetchPage,
    OutboundText,
    PlatformMessageId,
    PushBatch,
    SentMessage,
    ShopId,
    StoreAccount,
)
from connectors.orders import Order, OrderPage
from connectors.rich import ChatTarget, UploadedImage
from connectors.rich_delegate import TracedRichAndActions
from connectors.tokens import TokenKeeper

log = logging.getLogger(__name__)

SEND = "/im/message/send"
READ = "/im/session/read"
SELLER_GET = "/seller/get"


class LazadaConnector(TracedRichAndActions):
    """One Lazada app (app key + secret) serving every store authorized for it.

    Also an :class:`~connectors.orders.OrderSource` (see :mod:`orders_pull`);
    ``order_options`` holds its limits.

    Hosts: ``StoreAccount.api_url``, else ``api_url`` (LAZADA_API_URL, up to and
    including ``/rest``), else the gateway of ``StoreAccount.site``. Token calls go
    to ``auth_url``, else ``api_url``, else https://auth.lazada.com/rest.
    ``max_text_length`` defaults to 1000: Lazada publishes no limit for ``txt``.
    """

    platform = "lazada"
    push_ack = PushAck(status=200, body=b"")  # any 200 within 500 ms; the body is ignored
    periodic_pull_allowed = False  # Lazada revokes IM permission from apps that poll

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        app_key: str,
        app_secret: str,
        tokens: TokenStore,
        api_url: str | None = None,
        auth_url: str | None = None,
        authorize_page: str = AUTHORIZE_PAGE,
        max_text_length: int = DEFAULT_MAX_TEXT_LENGTH,
        refresh_margin: timedelta = timedelta(minutes=10),
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        backoff: Backoff = DEFAULT_BACKOFF,
        initial_lookback: timedelta = timedelta(days=30),
        max_fetch_messages: int = 200,
        mark_read_after_send: bool = True,
        find_sent_tolerance: timedelta = timedelta(seconds=5),
        extra_errors: Mapping[str, ErrorSpec] | None = None,
        order_options: OrderOptions | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self._api_url = api_url.rstrip("/") if api_url else None
        # An API override (an emulator, a proxy) also serves the token endpoints.
        self._auth_url = (auth_url or self._api_url or AUTH_BASE).rstrip("/")
        self._authorize_page = authorize_page
        self.max_text_length = max_text_length
        self._lookback = initial_lookback
        self._max_fetch = max_fetch_messages
        self._mark_read = mark_read_after_send
        self._tolerance = find_sent_tolerance
        self._order_options = order_options or OrderOptions()
        self._clock = clock
        self._client = LazadaClient(
            session, app_key=app_key, app_secret=app_secret,
            connect_timeout=connect_timeout, read_timeout=read_timeout, backoff=backoff,
            extra_errors=extra_errors, clock_ms=lambda: int(clock().timestamp() * 1000),
            sleep=sleep, rng=rng,
        )
        self._token_store = tokens
        self._tokens = TokenKeeper(
            tokens, platform=PLATFORM, name="Lazada", rejected=is_rejection,
            refresh=refresher(self._client, self._auth_url), margin=refresh_margin, now=clock)
        self.rich = LazadaRich(self._call)
        self.actions = LazadaActions(self._call, clock)

    @classmethod
    def from_env(
        cls, session: aiohttp.ClientSession, env: Mapping[str, str], tokens: TokenStore,
        **options: Any,
    ) -> LazadaConnector:
        missing = [name for name in ("LAZADA_APP_KEY", "LAZADA_APP_SECRET") if not env.get(name)]
        if missing:
            raise ValueError(f"Lazada needs {', '.join(missing)} in the environment")
        return cls(session, app_key=env["LAZADA_APP_KEY"], app_secret=env["LAZADA_APP_SECRET"],
                   tokens=tokens, api_url=env.get("LAZADA_API_URL") or None, **options)

    # -- authorization ---------------------------------------------------------------

    def authorize_url(self, redirect_url: str, state: str, *, country: str | None = None) -> str:
        return authorize_url(self._app_key, redirect_url, state, country=country,
                             page=self._authorize_page)

    async def exchange_code(self, code: str, shop_id: str | None = None) -> tuple[ShopId, Tokens]:
        """Trade the redirect's ``code`` for tokens, store them and name the shop
        (the seller_id; with several countries, ``shop_id`` picks one)."""
        return await exchange(self._client, self._token_store, self._auth_url, code, shop_id,
                              self._clock())

    # -- the Connector protocol ------------------------------------------------------

    def verify_push(self, headers: Mapping[str, str], body: bytes, url: str) -> PushBatch:
        # Lazada signs app_key + body; the callback URL is not part of it.
        return push.verify_push(headers, body, app_key=self._app_key,
                                app_secret=self._app_secret)

    async def fetch_since(self, store: StoreAccount, cursor: str | None) -> FetchPage:
        """Repair only: see :mod:`connectors.lazada.sync` for the cursor and its order."""
        now_ms = int(self._clock().timestamp() * 1000)
        return await sync.fetch_since(
            self._reader(store), cursor, shop_id=store.shop_id, now_ms=now_ms,
            lookback_ms=int(self._lookback.total_seconds() * 1000),
            max_messages=self._max_fetch,
        )

    def check_outgoing(self, store: StoreAccount, text: str,
                       facts: ConversationFacts | None = None) -> list[str]:
        """The messages ``text`` would go out as; raises RuleViolation."""
        context = None
        if facts is not None:
            silent = (facts.buyer_last_at is not None
                      and (self._clock() - facts.buyer_last_at).total_seconds() > 86400)
            context = SendContext(unanswered=facts.seller_messages_since_buyer,
                                  buyer_silent_for_a_day=silent)
        return check_outgoing(text, context=context, max_length=self.max_text_length)

    async def send_text(self, store: StoreAccount, out: OutboundText) -> SentMessage:
        chunks = self.check_outgoing(store, out.text)
        if len(chunks) != 1:
            raise too_long(out.text, self.max_text_length)
        envelope = await self._call(
            store, SEND,
            {"session_id": out.conversation_id, "template_id": TEXT, "txt": out.text},
            method="POST", idempotent=False,
        )
        data = _data(envelope)
        message_id = str(data.get("message_id") or "")
        if not message_id:
            raise errors.OutcomeUnknown("lazada send answered without message_id")
        sent_at = from_ms(data["current_time"]) if data.get("current_time") else self._clock()
        if self._mark_read:
            await self._mark_session_read(store, out.conversation_id, message_id)
        return SentMessage(message_id=PlatformMessageId(message_id), sent_at=sent_at)

    async def find_sent(
        self, store: StoreAccount, out: OutboundText, since: datetime
    ) -> SentMessage | None:
        return await lookup.find_seller_message(
            self._reader(store), out.conversation_id, since - self._tolerance, self._clock(),
            lambda wire: lookup.is_text(wire, out.text))

    async def find_sent_image(self, store: StoreAccount, target: ChatTarget,
                              image: UploadedImage, since: datetime) -> SentMessage | None:
        return await lookup.find_seller_message(
            self._reader(store), target.conversation_id, since - self._tolerance,
            self._clock(), lambda wire: lookup.is_image(wire, image))

    async def fetch_buyer(self, store: StoreAccount, conversation_id: str
                          ) -> BuyerProfile | None:
        return await buyers.fetch_buyer(self._reader(store), conversation_id)

    async def account_notices(self, store: StoreAccount) -> list[AccountNotice]:
        """Performance indicators below target (AccountHealthSource)."""
        return await health.account_notices(self._reader(store))

    async def check(self, store: StoreAccount) -> None:
        # /seller/get rather than an IM list: IM list calls count towards polling detection.
        await self._call(store, SELLER_GET, {})

    async def close(self) -> None:
        """Nothing to release: the aiohttp session belongs to the caller."""

    # -- the OrderSource protocol ----------------------------------------------------------

    async def fetch_orders_since(self, store: StoreAccount, cursor: str | None) -> OrderPage:
        """One bounded safety pull (never call it on a tight timer: Lazada disables
        apps that loop GetOrders). See :mod:`connectors.lazada.orders_pull`."""
        return await orders_pull.fetch_orders_since(
            self._envelopes(store), cursor, store=store,
            now_ms=int(self._clock().timestamp() * 1000), options=self._order_options)

    async def get_orders(self, store: StoreAccount, order_ids: list[str]) -> list[Order]:
        return await orders_details.get_orders(self._envelopes(store), order_ids, store=store,
                                               options=self._order_options)

    async def orders_of_buyer(self, store: StoreAccount, buyer_id: str) -> list[Order] | None:
        return None  # no buyer filter on Lazada: the bot indexes item buyer_id

    # -- internals -----------------------------------------------------------------------

    def _envelopes(self, store: StoreAccount) -> orders_pull.Api:
        async def api(path: str, params: dict[str, object]) -> dict[str, Any]:
            return await self._call(store, path, params)

        return api

    def _reader(self, store: StoreAccount) -> sync.Api:
        async def api(path: str, params: dict[str, object]) -> dict[str, Any]:
            return _data(await self._call(store, path, params))

        return api

    async def _call(
        self, store: StoreAccount, path: str, params: Mapping[str, object], *,
        method: str = "GET", idempotent: bool = True, files: Any = None,
    ) -> dict[str, Any]:
        base = rest_base(store.site, store.api_url, self._api_url)
        return await self._tokens.with_token(store, lambda tokens: self._client.call(
            base, path, params, method=method, access_token=tokens.access_token,
            idempotent=idempotent, files=files))

    async def _mark_session_read(self, store: StoreAccount, session_id: str,
                                 message_id: str) -> None:
        try:
            await self._call(store, READ,
                             {"session_id": session_id, "last_read_message_id": message_id},
                             method="POST")
        except (errors.ConnectorError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("lazada: marking session %s read failed: %s", session_id, exc)


def _data(envelope: Mapping[str, Any]) -> dict[str, Any]:
    data = envelope.get("data")
    return data if isinstance(data, dict) else {}
