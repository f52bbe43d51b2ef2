"""The TikTok Shop Partner API (202309) connector: customer service, and the order
side (:class:`connectors.orders.OrderSource`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import aiohttp

from connectors.backoff import Backoff
from connectors.base import PushAck, Tokens, TokenStore
from connectors.buyer_profile import BuyerProfile
from connectors.errors import AuthError, ConnectorError, OutcomeUnknown
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
from connectors.tiktok import buyers, lookup
from connectors.tiktok import tokens as tok
from connectors.tiktok.actions import TikTokActions
from connectors.tiktok.client import DEFAULT_BACKOFF, TikTokHttp
from connectors.tiktok.errors import QuotaExhausted
from connectors.tiktok.hosts import API_BASE, api_base_for_site, auth_base_for, normalize_base_url
from connectors.tiktok.media import TikTokRich
from connectors.tiktok.messages import text_content
from connectors.tiktok.orders import BuyerIds, OrderApi, OrderOptions
from connectors.tiktok.orders_sync import OrderSync
from connectors.tiktok.push import verify_and_parse
from connectors.tiktok.quota import DailyQuota
from connectors.tiktok.rules import MAX_TEXT_LENGTH, SendContext, check_outgoing
from connectors.tiktok.sync import CONVERSATIONS, RepairSync
from connectors.tokens import TokenKeeper

log = logging.getLogger(__name__)
PLATFORM = tok.PLATFORM


class TikTokConnector(TracedRichAndActions):
    platform = PLATFORM
    # TikTok wants 200 (or 401) with an EMPTY body within 3 s, else it retries.
    push_ack = PushAck(status=200, body=b"")
    max_text_length = MAX_TEXT_LENGTH
    # Allowed, within the 10 000 customer-service requests a day.
    periodic_pull_allowed = True

    def __init__(self, session: aiohttp.ClientSession, *, app_key: str, app_secret: str,
                 tokens: TokenStore, api_url: str | None = None, auth_url: str | None = None,
                 service_id: str | None = None,
                 refresh_margin: timedelta = timedelta(minutes=10),
                 request_timeout: float = 10.0, connect_timeout: float = 5.0,
                 backoff: Backoff = DEFAULT_BACKOFF, qps: float = 40.0,
                 daily_quota: int = 10_000, quota_reserve: int = 500,
                 quota_scope: str = "shop", quota_day_offset_hours: float = 0.0,
                 initial_lookback: timedelta = timedelta(days=7), settle_seconds: float = 0.0,
                 conversations_newest_first: bool = True, max_calls_per_fetch: int = 60,
                 mark_read_after_send: bool = True, find_sent_pages: int = 5,
                 clock_skew: timedelta = timedelta(minutes=1),
                 orders: OrderOptions | None = None,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self._token_store = tokens
        self._api_url = normalize_base_url(api_url) if api_url else None
        self._auth_url = normalize_base_url(auth_url) if auth_url else None
        self._service_id = service_id
        self._clock = clock
        self._quota = DailyQuota(daily_quota, reserve=quota_reserve, scope=quota_scope,
                                 day_offset_hours=quota_day_offset_hours, clock=clock)
        self._http = TikTokHttp(session, app_key=app_key, app_secret=app_secret,
                                request_timeout=request_timeout,
                                connect_timeout=connect_timeout, backoff=backoff, qps=qps,
                                clock=clock, sleep=sleep,
                                quota_reset_in=self._quota.seconds_to_reset)
        self._lookback = initial_lookback.total_seconds()
        self._settle = settle_seconds
        self._newest_first = conversations_newest_first
        self._max_calls = max_calls_per_fetch
        self._mark_read = mark_read_after_send
        self._find_pages = find_sent_pages
        self._skew = clock_skew.total_seconds()
        self._order_options = orders or OrderOptions()
        self._buyer_ids = BuyerIds()
        self.rich = TikTokRich(self._cs_call, clock)
        self.actions = TikTokActions(self._cs_call, clock)
        self._keeper = TokenKeeper(
            tokens, platform=PLATFORM, name="TikTok", rejected=tok.is_rejection,
            refresh=tok.refresher(self._http, self._auth_base), margin=refresh_margin,
            now=self._now, credential_extras=("shop_cipher",))

    @classmethod
    def from_env(cls, session: aiohttp.ClientSession, env: Mapping[str, str],
                 tokens: TokenStore, **options: Any) -> TikTokConnector:
        missing = [k for k in ("TIKTOK_APP_KEY", "TIKTOK_APP_SECRET") if not env.get(k)]
        if missing:
            raise ValueError("missing environment: " + ", ".join(missing))
        return cls(session, app_key=env["TIKTOK_APP_KEY"], app_secret=env["TIKTOK_APP_SECRET"],
                   tokens=tokens, api_url=env.get("TIKTOK_API_URL") or None, **options)

    # -- authorization -----------------------------------------------------------------

    def authorize_url(self, redirect_url: str, state: str, *, site: str | None = None) -> str:
        """The seller authorization link. TikTok sends the seller back to the Redirect
        URL registered for the app in Partner Center, so ``redirect_url`` must equal
        that registration; it is not part of the link."""
        del redirect_url
        return tok.authorize_url(app_key=self._app_key, state=state,
                                 service_id=self._service_id, site=site)

    async def exchange_code(self, code: str, shop_id: str | None = None, *,
                            extra: Mapping[str, str] | None = None) -> tuple[ShopId, Tokens]:
        """Trade the redirect's ``code`` for tokens. One authorization may cover several
        shops of a seller: ``shop_id`` picks one (default: the first); all are stored."""
        del extra  # TikTok's redirect carries nothing else we need
        grants = await self.exchange_code_all(code)
        for sid, tokens in grants:
            if shop_id is None or sid == shop_id:
                return sid, tokens
        raise AuthError(f"shop {shop_id} is not in this authorization",
                        user_message="That TikTok authorization does not include this shop.")

    async def exchange_code_all(self, code: str) -> list[tuple[ShopId, Tokens]]:
        return await tok.exchange_all(self._http, self._token_store, code,
                                      auth_base=self._auth_base(None),
                                      api_base=self._api_url or API_BASE, now=self._now())

    # -- the Connector protocol --------------------------------------------------------

    def verify_push(self, headers: Mapping[str, str], body: bytes, url: str) -> PushBatch:
        # TikTok signs app_key + body; the URL is not part of it.
        return verify_and_parse(headers, body, app_key=self._app_key,
                                app_secret=self._app_secret)

    async def fetch_since(self, store: StoreAccount, cursor: str | None) -> FetchPage:
        async def get(path: str, params: dict[str, Any]) -> dict[str, Any]:
            return await self._cs_call(store, "GET", path, params=params, pull=True)

        sync = RepairSync(get, shop_id=store.shop_id, initial_lookback=self._lookback,
                          settle_seconds=self._settle, newest_first=self._newest_first,
                          max_calls=self._max_calls, clock=self._clock)
        return await sync.fetch(cursor)

    def check_outgoing(self, store: StoreAccount, text: str,
                       facts: ConversationFacts | None = None) -> list[str]:
        """The messages ``text`` would go out as (split at 2000); raises RuleViolation.
        TikTok's reply window is only known from the conversation list
        (``can_send_message``), so it is enforced by the send's own error."""
        return check_outgoing(text, context=SendContext())

    async def send_text(self, store: StoreAccount, out: OutboundText) -> SentMessage:
        # One call sends one message: a longer text is refused here, naming the limit;
        # the caller splits it with rules.check_outgoing beforehand.
        check_outgoing(out.text, context=SendContext(split=False))
        path = self._messages_path(out.conversation_id)
        body = {"type": "TEXT", "content": text_content(out.text)}
        data = await self._cs_call(store, "POST", path, body=body, idempotent=False)
        message_id = str(data.get("message_id") or "")
        if not message_id:
            raise OutcomeUnknown("send answered without message_id")
        sent = SentMessage(PlatformMessageId(message_id), self._now())
        if self._mark_read:
            try:
                await self._cs_call(store, "POST", path + "/read")
            except ConnectorError as exc:  # the reply is out; an unread badge is harmless
                log.info("TikTok mark-read failed for %s: %s", out.conversation_id, exc.code)
        return sent

    async def find_sent(self, store: StoreAccount, out: OutboundText,
                        since: datetime) -> SentMessage | None:
        path = self._messages_path(out.conversation_id)
        return await lookup.find_agent_message(
            lambda q: self._cs_call(store, "GET", path, params=q),
            since.timestamp() - self._skew, self._find_pages,
            lambda m: lookup.is_text(m, out.text))

    async def find_sent_image(self, store: StoreAccount, target: ChatTarget,
                              image: UploadedImage, since: datetime) -> SentMessage | None:
        path = self._messages_path(target.conversation_id)
        return await lookup.find_agent_message(
            lambda q: self._cs_call(store, "GET", path, params=q),
            since.timestamp() - self._skew, self._find_pages,
            lambda m: lookup.is_image(m, image))

    async def fetch_buyer(self, store: StoreAccount, conversation_id: str
                          ) -> BuyerProfile | None:
        return await buyers.fetch_buyer(
            lambda p, q: self._cs_call(store, "GET", p, params=q, pull=True), store.shop_id,
            conversation_id, pages=self._order_options.conversation_pages,
            buyer_ids=self._buyer_ids)

    async def check(self, store: StoreAccount) -> None:
        """Lists the shops behind the token: authenticated, and free of the CS quota."""
        base = self._api_base(store)
        shops = await self._keeper.with_token(
            store, lambda t: tok.authorized_shops(self._http, base, t.access_token))
        if not any(str(s.get("id")) == store.shop_id for s in shops):
            raise AuthError(f"shop {store.shop_id} not among the authorized shops",
                            user_message="This TikTok shop no longer authorizes the app; "
                                         "reconnect the store.")

    async def close(self) -> None:
        self._keeper.forget()

    # -- the OrderSource protocol ------------------------------------------------------

    async def fetch_orders_since(self, store: StoreAccount, cursor: str | None) -> OrderPage:
        return await OrderSync(self._orders(store), clock=self._clock).fetch(cursor)

    async def get_orders(self, store: StoreAccount, order_ids: list[str]) -> list[Order]:
        return await self._orders(store).get_orders(order_ids)

    async def orders_of_buyer(self, store: StoreAccount, buyer_id: str) -> list[Order] | None:
        """``buyer_id`` is the order-API ``user_id`` (a pulled message's
        ``attributes["buyer_user_id"]``, or :meth:`order_buyer_id`), not the IM id."""
        return await self._orders(store).orders_of_buyer(buyer_id, self._clock())

    async def order_buyer_id(self, store: StoreAccount, conversation_id: str) -> str | None:
        """The buyer's order-API ``user_id`` for a conversation (a push names only the
        IM id), from Get Conversations; None when the conversation is not found."""
        async def get(path: str, params: dict[str, Any]) -> dict[str, Any]:
            return await self._cs_call(store, "GET", path, params=params, pull=True)

        return await self._buyer_ids.lookup(get, store.shop_id, str(conversation_id),
                                            self._order_options.conversation_pages)

    # -- plumbing ------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _orders(self, store: StoreAccount) -> OrderApi:
        async def call(method: str, path: str, params: dict[str, Any] | None,
                       body: Any) -> dict[str, Any]:
            # Order and after-sales APIs: paced and retried like chat, outside the
            # customer-service daily quota.
            return await self._cs_call(store, method, path, params=params, body=body,
                                       cs_quota=False)

        return OrderApi(call, shop_id=store.shop_id, options=self._order_options)

    def _messages_path(self, conversation_id: str) -> str:
        return f"{CONVERSATIONS}/{quote(str(conversation_id), safe='')}/messages"

    def _api_base(self, store: StoreAccount) -> str:
        if store.api_url:
            return normalize_base_url(store.api_url)
        return self._api_url or api_base_for_site(store.site)

    def _auth_base(self, store: StoreAccount | None) -> str:
        if self._auth_url:
            return self._auth_url
        override = store.api_url if store is not None and store.api_url else self._api_url
        return auth_base_for(normalize_base_url(override) if override else None)

    async def _cs_call(self, store: StoreAccount, method: str, path: str, *,
                       params: dict[str, Any] | None = None, body: Any = None,
                       idempotent: bool = True, pull: bool = False,
                       cs_quota: bool = True, files: Any = None) -> dict[str, Any]:
        base = self._api_base(store)

        async def call(tokens: Tokens) -> dict[str, Any]:
            cipher = await tok.cipher(self._http, self._token_store, base, store, tokens)
            return await self._http.call(
                base, method, path, params=params, body=body, access_token=tokens.access_token,
                shop_cipher=cipher, idempotent=idempotent, files=files,
                on_attempt=(lambda: self._quota.take(store.shop_id, pull=pull))
                if cs_quota else None)

        try:
            return await self._keeper.with_token(store, call)
        except QuotaExhausted as exc:
            if exc.code == "45101004":
                self._quota.exhaust(store.shop_id)
            raise
