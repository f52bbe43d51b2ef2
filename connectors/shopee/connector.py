"""The Shopee Open Platform v2 (sellerchat) connector."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from connectors.account_health import AccountNotice
from connectors.backoff import Backoff
from connectors.base import PushAck, Tokens, TokenStore
from connectors.buyer_profile import BuyerProfile
from connectors.errors import ConnectorError, OutcomeUnknown
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
from connectors.shopee import buyers, health, hosts
from connectors.shopee.actions import ShopeeActions
from connectors.shopee.client import DEFAULT_BACKOFF, ShopeeHttp
from connectors.shopee.find_sent import find_sent, find_sent_image
from connectors.shopee.lost_push import LostPushes
from connectors.shopee.media import ShopeeRich
from connectors.shopee.messages import to_datetime
from connectors.shopee.orders import OrderSettings, ShopeeOrders
from connectors.shopee.push import verify_push
from connectors.shopee.rules import DEFAULT_MAX_TEXT, OutgoingContext, check_outgoing, ensure_single
from connectors.shopee.sync import LIST, RepairWalk, SyncCursor, SyncSettings
from connectors.shopee.tokens import (
    PLATFORM,
    authorize_url,
    exchange_code,
    is_rejection,
    numeric_id,
    refresher,
)
from connectors.tokens import TokenKeeper

log = logging.getLogger(__name__)

SEND = "/api/v2/sellerchat/send_message"
READ = "/api/v2/sellerchat/read_conversation"


class ShopeeConnector(TracedRichAndActions):
    """One Shopee partner app and every store authorized for it.

    Hosts: a store's ``api_url`` wins, then ``api_url`` (``SHOPEE_API_URL``, scheme and
    host only), then the regional host for the store's site (``sandbox`` picks the
    sandbox host). Options marked UNCERTAIN in the platform notes are arguments:
    ``authorize_style``, ``push_callback_url``, ``max_text_length``, the page
    sizes/direction in ``sync`` and the order pull's limits in ``orders``.
    It is also an :class:`~connectors.orders.OrderSource` (``connectors.shopee.orders``).
    """

    platform = "shopee"
    # Shopee counts a push as failed unless it gets 2xx with an EMPTY body within 2 s.
    push_ack = PushAck(status=200, body=b"")
    periodic_pull_allowed = True

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        partner_id: int,
        partner_key: str,
        tokens: TokenStore,
        api_url: str | None = None,
        sandbox: bool = False,
        auth_url: str | None = None,
        authorize_style: str = "open",
        push_callback_url: str | None = None,
        refresh_margin: timedelta = timedelta(minutes=10),
        request_timeout: float = 10.0,
        send_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        backoff: Backoff = DEFAULT_BACKOFF,
        max_text_length: int = DEFAULT_MAX_TEXT,
        sync: SyncSettings | None = None,
        orders: OrderSettings | None = None,
        confirm_lost_pushes: bool = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._key = partner_key
        self._api_url = hosts.normalize_base(api_url) if api_url else None
        self._sandbox = sandbox
        self._auth_url = hosts.normalize_base(auth_url) if auth_url else None
        self._authorize_style = authorize_style
        self._push_url = push_callback_url
        self._request_timeout = request_timeout
        self._send_timeout = send_timeout
        self._backoff = backoff
        self.max_text_length = max_text_length
        self._sync = sync or SyncSettings()
        self._clock = clock
        self._sleep = sleep
        self._http = ShopeeHttp(session, partner_id=partner_id, partner_key=partner_key,
                                connect_timeout=connect_timeout, clock=clock)
        self._token_store = tokens
        self._tokens = TokenKeeper(
            tokens, platform=PLATFORM, name="Shopee", rejected=is_rejection,
            refresh=refresher(self._http, self._base, timeout=request_timeout),
            margin=refresh_margin, now=self._now)
        self._lost = LostPushes(self._http, backoff=backoff, sleep=sleep,
                                timeout=request_timeout, enabled=confirm_lost_pushes)
        self._lost_hints = self._lost.hints
        # Chat user ids of our shops, learned from pulled messages: old push payloads
        # without from_shop_id/to_shop_id can only be attributed through them.
        self._seller_ids: set[str] = set()
        self._orders = ShopeeOrders(self._get, orders or OrderSettings(), clock)
        self.rich = ShopeeRich(self._shop_call, send_timeout=send_timeout, clock=clock)
        self.actions = ShopeeActions(self._shop_call, clock)

    @classmethod
    def from_env(cls, session: aiohttp.ClientSession, env: Mapping[str, str],
                 tokens: TokenStore, **options: Any) -> ShopeeConnector:
        missing = [k for k in ("SHOPEE_PARTNER_ID", "SHOPEE_PARTNER_KEY") if not env.get(k)]
        if missing:
            raise ValueError(f"missing environment variables: {', '.join(missing)}")
        try:
            partner_id = int(env["SHOPEE_PARTNER_ID"])
        except ValueError as exc:
            raise ValueError("SHOPEE_PARTNER_ID must be a number") from exc
        return cls(session, partner_id=partner_id, partner_key=env["SHOPEE_PARTNER_KEY"],
                   tokens=tokens, api_url=env.get("SHOPEE_API_URL") or None, **options)

    # -- hosts and authorization -------------------------------------------------

    def _base(self, store: StoreAccount | None = None, site: str | None = None) -> str:
        if store is not None and store.api_url:
            return hosts.normalize_base(store.api_url)
        if self._api_url:
            return self._api_url
        return hosts.api_host(store.site if store else site, sandbox=self._sandbox)

    def authorize_url(self, redirect_url: str, state: str, *, site: str | None = None) -> str:
        """The seller authorization link; Shopee redirects to ``redirect_url`` with
        ``code`` and ``shop_id`` (or ``main_account_id``)."""
        return authorize_url(
            partner_id=self._http.partner_id, partner_key=self._key, redirect_url=redirect_url,
            state=state, style=self._authorize_style,
            auth_base=self._auth_url or hosts.auth_host(site, sandbox=self._sandbox),
            api_base=self._base(site=site), timestamp=int(self._clock()))

    async def exchange_code(self, code: str, shop_id: str | None = None, *,
                            main_account_id: str | None = None, site: str | None = None,
                            api_url: str | None = None) -> tuple[ShopId, Tokens]:
        """Trade the redirect's single-use code (valid 10 min) for tokens, store them
        and return the shop they belong to (the first shop for a main account)."""
        base = hosts.normalize_base(api_url) if api_url else self._base(site=site)
        return await exchange_code(self._http, self._token_store, base, code, now=self._now(),
                                   timeout=self._request_timeout, shop_id=shop_id,
                                   main_account_id=main_account_id)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # -- calls ---------------------------------------------------------------------

    async def _shop_call(self, store: StoreAccount, method: str, path: str, *,
                         params: dict[str, Any] | None = None,
                         body: dict[str, Any] | None = None, unsafe: bool = False,
                         read_timeout: float | None = None, backoff: bool = True,
                         files: Mapping[str, tuple[str, bytes, str]] | None = None
                         ) -> dict[str, Any]:
        base = self._base(store)
        timeout = read_timeout or self._request_timeout

        async def attempt() -> dict[str, Any]:
            return await self._tokens.with_token(store, lambda tokens: self._http.call(
                base, path, method=method, params=params, body=body,
                access_token=tokens.access_token, shop_id=store.shop_id, unsafe=unsafe,
                read_timeout=timeout, files=files))

        if not backoff:
            return await attempt()
        return await self._backoff.run(attempt, sleep=self._sleep, label="shopee")

    async def _get(self, store: StoreAccount, path: str, params: dict[str, Any]
                   ) -> dict[str, Any]:
        return await self._shop_call(store, "GET", path, params=params)

    # -- push ----------------------------------------------------------------------

    def verify_push(self, headers: Mapping[str, str], body: bytes, url: str) -> PushBatch:
        # Which URL string Shopee signs (configured vs received) is UNCERTAIN: an
        # explicitly configured callback URL wins over the one the request arrived on.
        batch = verify_push(self._key, headers, body, self._push_url or url,
                            seller_user_ids=frozenset(self._seller_ids))
        self._orders.note_events(batch.order_events)  # memory only: no I/O
        return batch

    # -- orders (OrderSource) --------------------------------------------------------

    async def fetch_orders_since(self, store: StoreAccount, cursor: str | None) -> OrderPage:
        return await self._orders.fetch_since(store, cursor)

    async def get_orders(self, store: StoreAccount, order_ids: list[str]) -> list[Order]:
        return await self._orders.get_orders(store, order_ids)

    async def orders_of_buyer(self, store: StoreAccount, buyer_id: str) -> list[Order] | None:
        return None  # no buyer filter on Shopee: the bot keeps a buyer -> orders index

    # -- repair sync ---------------------------------------------------------------

    async def fetch_since(self, store: StoreAccount, cursor: str | None) -> FetchPage:
        now_ns = int(self._clock() * 1_000_000_000)
        cur = SyncCursor.resume(cursor) or SyncCursor.fresh(now_ns, self._sync.initial_lookback)
        await self._lost.drain(self._base(store))
        hints = self._lost.take(store.shop_id)
        walk = RepairWalk(lambda path, params: self._get(store, path, params),
                          store.shop_id, self._sync)
        try:
            messages, cur, more = await walk.run(cur, hints)
        except BaseException:
            self._lost.give_back(store.shop_id, hints)
            raise
        for m in messages:
            if m.from_seller and m.raw.get("from_id") and m.raw.get("from_shop_id"):
                self._seller_ids.add(str(m.raw["from_id"]))
        return FetchPage(messages=tuple(messages), cursor=cur.encode(), more=more)

    # -- sending -------------------------------------------------------------------

    def _context(self, store: StoreAccount) -> OutgoingContext:
        return OutgoingContext(site=store.site, max_length=self.max_text_length)

    def check_outgoing(self, store: StoreAccount, text: str,
                       facts: ConversationFacts | None = None) -> list[str]:
        """The messages ``text`` would go out as; raises RuleViolation."""
        return check_outgoing(text, context=self._context(store))

    async def send_text(self, store: StoreAccount, out: OutboundText) -> SentMessage:
        text = ensure_single(out.text, context=self._context(store))
        # Shopee addresses the buyer (to_id), not the conversation.
        body = {"to_id": numeric_id(out.buyer_id), "message_type": "text",
                "content": {"text": text}}
        resp = await self._shop_call(store, "POST", SEND, body=body, unsafe=True,
                                     read_timeout=self._send_timeout)
        message_id = str(resp.get("message_id") or "")
        if not message_id:
            raise OutcomeUnknown("shopee send_message answered without message_id",
                                 code="no_message_id")
        created = resp.get("created_timestamp")
        sent_at = to_datetime(created) if created else datetime.fromtimestamp(self._clock(), UTC)
        await self._mark_read(store, str(out.conversation_id or resp.get("conversation_id")),
                              message_id)
        return SentMessage(message_id=PlatformMessageId(message_id), sent_at=sent_at)

    async def _mark_read(self, store: StoreAccount, conversation_id: str, message_id: str
                         ) -> None:
        try:
            # The request schema types conversation_id as int64 (responses use strings).
            await self._shop_call(store, "POST", READ, backoff=False, body={
                "conversation_id": int(conversation_id), "last_read_message_id": message_id})
        except (ConnectorError, ValueError) as exc:
            log.warning("shopee conversation %s: mark read failed: %s", conversation_id, exc)

    async def find_sent(self, store: StoreAccount, out: OutboundText, since: datetime
                        ) -> SentMessage | None:
        return await find_sent(lambda p, q: self._get(store, p, q), store, out, since,
                               page_size=self._sync.message_page_size,
                               seller_ids=frozenset(self._seller_ids))

    async def find_sent_image(self, store: StoreAccount, target: ChatTarget,
                              image: UploadedImage, since: datetime) -> SentMessage | None:
        return await find_sent_image(lambda p, q: self._get(store, p, q), store, target, image,
                                     since, page_size=self._sync.message_page_size,
                                     seller_ids=frozenset(self._seller_ids))

    async def fetch_buyer(self, store: StoreAccount, conversation_id: str
                          ) -> BuyerProfile | None:
        return await buyers.fetch_buyer(lambda p, q: self._get(store, p, q), conversation_id)

    async def account_notices(self, store: StoreAccount) -> list[AccountNotice]:
        """Penalty points this quarter and punishments in force (AccountHealthSource)."""
        return await health.account_notices(lambda p, q: self._get(store, p, q))

    async def check(self, store: StoreAccount) -> None:
        await self._get(store, LIST, {"direction": "older", "type": "all", "page_size": 1})

    async def close(self) -> None:
        """Nothing to release: the aiohttp session belongs to the caller."""

