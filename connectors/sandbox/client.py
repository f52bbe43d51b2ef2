"""SandboxConnector: the :class:`~connectors.base.Connector` for the sandbox marketplace."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from connectors.base import PushAck
from connectors.buyer_profile import BuyerProfile
from connectors.errors import (
    OutcomeUnknown,
    PushRejected,
    RuleViolation,
    TransientError,
)
from connectors.models import (
    ConversationFacts,
    FetchPage,
    OutboundText,
    PlatformMessageId,
    PushBatch,
    SentMessage,
    StoreAccount,
)
from connectors.orders import Order, OrderPage
from connectors.rich_delegate import RichAndActions
from connectors.sandbox import profiles
from connectors.sandbox.errors import api_error
from connectors.sandbox.inbound import MalformedMessage, parse_message, unix_to_utc
from connectors.sandbox.limits import MAX_PAGE, MAX_TEXT_LENGTH
from connectors.sandbox.media import SandboxRich
from connectors.sandbox.orders import SandboxOrders, order_event
from connectors.sandbox.signing import (
    APP_KEY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    api_signature,
    is_fresh,
    parse_timestamp,
    push_signature,
    same_signature,
)


class SandboxConnector(RichAndActions):
    platform = "sandbox"
    push_ack = PushAck(200, b"")
    max_text_length = MAX_TEXT_LENGTH
    periodic_pull_allowed = True

    def __init__(self, session: aiohttp.ClientSession, *, base_url: str, app_key: str,
                 app_secret: str, send_timeout: float = 10.0,
                 request_timeout: float = 15.0) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._app_key = app_key
        self._app_secret = app_secret
        self._send_timeout = _timeout(send_timeout)
        self._request_timeout = _timeout(request_timeout)
        self.rich = SandboxRich(self._call)
        self.actions = self.orders = SandboxOrders(self._call)

    @classmethod
    def from_env(cls, session: aiohttp.ClientSession, env: Mapping[str, str],
                 tokens: object = None) -> SandboxConnector:
        """The sandbox's address and app credentials come from the config file's
        ``sandbox:`` section, passed in as SANDBOX_* entries; tokens are static."""
        return cls(session, base_url=env["SANDBOX_API_URL"],
                   app_key=env.get("SANDBOX_APP_KEY", "sandbox-app"),
                   app_secret=env.get("SANDBOX_APP_SECRET", "sandbox-secret"),
                   send_timeout=float(env.get("SANDBOX_SEND_TIMEOUT", "10")))

    def check_outgoing(self, store: StoreAccount, text: str,
                       facts: ConversationFacts | None = None) -> list[str]:
        """The sandbox allows one message per reply, up to its length limit."""
        if not text.strip():
            raise RuleViolation("empty", user_message="An empty message cannot be sent.")
        if len(text) > self.max_text_length:
            raise RuleViolation(
                f"{len(text)} characters", code="text_too_long",
                user_message=f"The reply is {len(text)} characters long; the sandbox "
                             f"marketplace allows {self.max_text_length} per message.")
        return [text]

    # -- pushes ------------------------------------------------------------------------

    def verify_push(self, headers: Mapping[str, str], body: bytes, url: str) -> PushBatch:
        lowered = {k.lower(): v for k, v in headers.items()}
        raw_timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
        timestamp = parse_timestamp(raw_timestamp)
        given = lowered.get(SIGNATURE_HEADER.lower())
        if timestamp is None or not given:
            raise PushRejected(401, f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}")
        if not same_signature(push_signature(self._app_secret, raw_timestamp, body), given):
            raise PushRejected(401, "signature does not match the body")
        if not is_fresh(timestamp, time.time()):
            raise PushRejected(401, "timestamp is too old or in the future")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise PushRejected(400, "body is not JSON") from None
        if not isinstance(payload, dict):
            raise PushRejected(400, "body is not a JSON object")
        event = payload.get("event")
        if not isinstance(event, str) or not event:
            raise PushRejected(400, "missing or invalid field: event")
        if event == "order_update":
            try:
                return PushBatch(order_events=(order_event(payload),))
            except MalformedMessage as exc:
                raise PushRejected(400, str(exc)) from None
        if event != "message":
            return PushBatch(ignored=(event,))
        try:
            return PushBatch(messages=(parse_message(payload.get("shop_id"),
                                                     payload.get("message")),))
        except MalformedMessage as exc:
            raise PushRejected(400, str(exc)) from None

    # -- API ----------------------------------------------------------------------------

    async def fetch_since(self, store: StoreAccount, cursor: str | None) -> FetchPage:
        query = {"limit": str(MAX_PAGE)} | ({"cursor": cursor} if cursor else {})
        data = await self._call(store, "GET", "/messages", query=query) or {}
        try:
            raw = data["messages"]
            messages = tuple(parse_message(store.shop_id, m) for m in raw)
            next_cursor = data.get("next_cursor") or cursor
            more = data.get("has_more", False)
            if not isinstance(next_cursor, str | None) or not isinstance(more, bool):
                raise MalformedMessage("next_cursor or has_more")
        except (KeyError, TypeError, MalformedMessage) as exc:
            raise TransientError(f"malformed message page: {exc}",
                                 code="malformed_response") from None
        return FetchPage(messages=messages, cursor=next_cursor, more=more)

    async def send_text(self, store: StoreAccount, out: OutboundText) -> SentMessage:
        path = f"/conversations/{quote(out.conversation_id, safe='')}/messages"
        payload = {"text": out.text, "idempotency_key": out.idempotency_key}
        data = await self._call(store, "POST", path, payload=payload, sending=True) or {}
        try:
            return _sent(data["message_id"], data["sent_at"])
        except (KeyError, TypeError, MalformedMessage):
            # Accepted (2xx) but unreadable: it was probably stored, so never resend blindly.
            raise OutcomeUnknown("unreadable send response", code="malformed_response") from None

    async def find_sent(self, store: StoreAccount, out: OutboundText,
                        since: datetime) -> SentMessage | None:
        # The idempotency key names one logical reply, so any hit means it was delivered,
        # even if its timestamp is a little before ``since`` (clocks, second rounding).
        data = await self._call(store, "GET", "/sent",
                                query={"idempotency_key": out.idempotency_key},
                                missing_ok=True)
        if data is None:
            return None
        try:
            return _sent(data["message_id"], data["created_at"])
        except (KeyError, TypeError, MalformedMessage):
            raise TransientError("unreadable lookup response",
                                 code="malformed_response") from None

    async def fetch_buyer(self, store: StoreAccount, conversation_id: str
                          ) -> BuyerProfile | None:
        return await profiles.fetch_buyer(self._call, store, conversation_id)

    # -- orders (OrderSource; the OrderActor side comes from RichAndActions) -----------

    async def fetch_orders_since(self, store: StoreAccount, cursor: str | None) -> OrderPage:
        return await self.orders.fetch_orders_since(store, cursor)

    async def get_orders(self, store: StoreAccount, order_ids: list[str]) -> list[Order]:
        return await self.orders.get_orders(store, order_ids)

    async def orders_of_buyer(self, store: StoreAccount, buyer_id: str) -> list[Order] | None:
        return await self.orders.orders_of_buyer(store, buyer_id)

    async def check(self, store: StoreAccount) -> None:
        await self._call(store, "GET", "")

    async def close(self) -> None:
        """Nothing to release: the HTTP session belongs to the caller."""

    # -- plumbing ------------------------------------------------------------------------

    async def _call(self, store: StoreAccount, method: str, path: str, *,
                    query: Mapping[str, str] | None = None, payload: Any = None,
                    sending: bool = False, missing_ok: bool = False,
                    raw: tuple[bytes, str] | None = None) -> dict[str, Any] | None:
        """``raw``: (bytes, content type) sent as the body instead of JSON (uploads)."""
        url = self._url(store, path, query)
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        body = raw[0] if raw is not None else body
        headers = self._headers(store, method, url, body)
        if raw is not None:
            headers["Content-Type"] = raw[1]
        timeout = self._send_timeout if sending else self._request_timeout
        try:
            async with self._session.request(method, url, data=body or None, headers=headers,
                                             timeout=timeout) as resp:
                status, answer, resp_headers = resp.status, await resp.read(), resp.headers
        except aiohttp.ConnectionTimeoutError as exc:
            raise TransientError(f"could not connect: {exc!r}", code="connect_timeout") from exc
        except aiohttp.ClientConnectorError as exc:
            raise TransientError(f"could not connect: {exc!r}", code="connect_failed") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            if sending:  # the request left: it may have been stored
                raise OutcomeUnknown(f"no answer after sending: {exc!r}",
                                     code="timeout") from exc
            raise TransientError(f"request failed: {exc!r}", code="network") from exc
        data = _json_object(answer)
        if 200 <= status < 300 and data is not None:
            return data
        if 200 <= status < 300:
            if sending:
                raise OutcomeUnknown("unreadable send response", code="malformed_response")
            raise TransientError("unreadable response", code="malformed_response")
        if missing_ok and status == 404 and (data or {}).get("error") == "not_found":
            return None
        raise api_error(status, data or {}, resp_headers)

    def _url(self, store: StoreAccount, path: str, query: Mapping[str, str] | None) -> URL:
        base = (store.api_url or self._base_url).rstrip("/")
        target = f"{base}/api/v1/shops/{quote(store.shop_id, safe='')}{path}"
        if query:
            target += "?" + urlencode(query)
        # encoded=True: the bytes on the wire must be exactly the ones signed.
        return URL(target, encoded=True)

    def _headers(self, store: StoreAccount, method: str, url: URL,
                 body: bytes) -> dict[str, str]:
        token = store.credentials.get("access_token", "")
        timestamp = str(int(time.time()))
        headers = {
            APP_KEY_HEADER: self._app_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: api_signature(self._app_secret, timestamp, method,
                                            url.raw_path_qs, body),
            "Authorization": f"Bearer {token}",
        }
        if body:
            headers["Content-Type"] = "application/json"
        return headers


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _sent(message_id: object, sent_at: object) -> SentMessage:
    if not isinstance(message_id, str) or not message_id:
        raise MalformedMessage("message_id")
    return SentMessage(PlatformMessageId(message_id), unix_to_utc(sent_at, "sent_at"))


def _timeout(total: float) -> aiohttp.ClientTimeout:
    # A separate connect limit makes "never reached the server" distinguishable.
    return aiohttp.ClientTimeout(total=total, sock_connect=min(total, 5.0))
