"""The sandbox marketplace's HTTP API: authentication, rate limits and endpoints."""

from __future__ import annotations

import math
import time
import uuid
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.demo.marketplace.order_routes import order_routes
from bot.demo.marketplace.rich_routes import rich_routes
from bot.demo.marketplace.state import SandboxStore, decode_cursor, encode_cursor
from connectors.sandbox.limits import MAX_PAGE, MAX_TEXT_LENGTH
from connectors.sandbox.signing import (
    APP_KEY_HEADER,
    REQUEST_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    api_signature,
    is_fresh,
    parse_timestamp,
    same_signature,
)

if TYPE_CHECKING:
    from bot.demo.marketplace.server import SandboxMarketplace

API = "/api/v1/shops/{shop_id}"

#: fail_next_send modes -> (status, error code, message, extra headers).
SEND_FAILURES: dict[str, tuple[int, str, str, dict[str, str]]] = {
    "permanent": (403, "reply_window_closed", "The buyer's 48-hour reply window has closed", {}),
    "blocked": (403, "buyer_blocked", "The buyer has blocked this shop", {}),
    "transient": (503, "system_busy", "System busy, please try again later", {}),
    # Refused once, accepted when sent again: a failure an agent's Retry fixes.
    "refused": (409, "send_refused", "The message was refused; send it again", {}),
    "rate_limited": (429, "rate_limited", "Too many requests", {"Retry-After": "2"}),
    "timeout": (200, "", "", {}),  # stored and pushed, answered too late
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


def build_app(market: SandboxMarketplace) -> web.Application:
    api = _Api(market)
    app = web.Application(middlewares=[api.guard])
    app.add_routes([
        web.get(API, api.shop),
        web.post(API + "/conversations/{conversation_id}/messages", api.send),
        web.get(API + "/conversations/{conversation_id}", api.conversation),
        web.get(API + "/messages", api.list_messages),
        web.get(API + "/sent", api.sent),
        *rich_routes(market, API, ApiError, SEND_FAILURES),
        *order_routes(market, API, ApiError),
    ])
    return app


class _Api:
    def __init__(self, market: SandboxMarketplace) -> None:
        self.market = market
        self._hits: dict[str, deque[float]] = {}

    @web.middleware
    async def guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        request_id = f"req-{uuid.uuid4().hex[:16]}"
        response: web.StreamResponse
        try:
            self._authenticate(request, await request.read())
            response = await handler(request)
        except ApiError as err:
            response = _envelope(err.status, err.code, err.message, request_id, err.headers)
        except web.HTTPException as exc:  # unknown route or method
            code = exc.reason.lower().replace(" ", "_")
            response = _envelope(exc.status, code, exc.reason, request_id)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response

    # -- checks, in the order a real platform applies them --------------------------------

    def _authenticate(self, request: web.Request, body: bytes) -> None:
        if self.market.is_down:
            raise ApiError(503, "maintenance", "The platform is under scheduled maintenance")
        self._check_signature(request, body)
        shop_id = request.match_info.get("shop_id")
        if shop_id is None:
            return
        store = self.market.ledger.stores.get(shop_id)
        if store is None:
            raise ApiError(404, "shop_not_found", f"Shop {shop_id} does not exist")
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if not token or not same_signature(store.access_token, token):
            raise ApiError(401, "invalid_access_token", "Access token is invalid or expired")
        self._check_rate(shop_id)

    def _check_signature(self, request: web.Request, body: bytes) -> None:
        headers = request.headers
        if headers.get(APP_KEY_HEADER) != self.market.app_key:
            raise ApiError(401, "invalid_signature", "Unknown or missing app key")
        raw_timestamp = headers.get(TIMESTAMP_HEADER, "")
        timestamp = parse_timestamp(raw_timestamp)
        given = headers.get(SIGNATURE_HEADER)
        if timestamp is None or not given:
            raise ApiError(401, "invalid_signature", "Missing timestamp or signature")
        expected = api_signature(self.market.app_secret, raw_timestamp, request.method,
                                 request.raw_path, body)
        if not same_signature(expected, given):
            raise ApiError(401, "invalid_signature", "Signature does not match the request")
        if not is_fresh(timestamp, time.time()):
            raise ApiError(401, "timestamp_expired", "Request timestamp is too far from now")

    def _check_rate(self, shop_id: str) -> None:
        now = time.monotonic()
        hits = self._hits.setdefault(shop_id, deque())
        while hits and now - hits[0] >= 1.0:
            hits.popleft()
        if len(hits) >= self.market.api_rate_per_sec:
            wait = max(1, math.ceil(1.0 - (now - hits[0])))
            raise ApiError(429, "rate_limited", "Too many requests for this shop",
                           {"Retry-After": str(wait)})
        hits.append(now)

    # -- endpoints ----------------------------------------------------------------------

    def _store(self, request: web.Request) -> SandboxStore:
        """The store a request addresses; the guard has already checked it exists."""
        return self.market.ledger.stores[request.match_info["shop_id"]]

    async def shop(self, request: web.Request) -> web.Response:
        return web.json_response(self._store(request).info())

    async def send(self, request: web.Request) -> web.Response:
        store = self._store(request)
        buyer = self.market.ledger.conversation(store.shop_id,
                                                request.match_info["conversation_id"])
        if buyer is None:
            raise ApiError(404, "conversation_not_found", "No such conversation in this shop")
        text, key = await _send_args(request)
        failure = self.market.take_send_failure()
        if failure is not None and failure != "timeout":
            raise ApiError(*SEND_FAILURES[failure])
        # Like the real marketplaces, a send is never deduplicated: a repeat with the
        # same key reaches the buyer again. Only the bot's look-up (GET /sent) prevents it.
        message = self.market.record(buyer, from_seller=True, kind="text",
                                     content={"text": text}, idempotency_key=key)
        if failure == "timeout":
            await self.market.hold(self.market.timeout_delay)
        return web.json_response({"message_id": message["message_id"],
                                  "sent_at": message["created_at"]})

    async def conversation(self, request: web.Request) -> web.Response:
        """The conversation and its buyer, language included: the sandbox knows it."""
        store = self._store(request)
        conv_id = request.match_info["conversation_id"]
        buyer = self.market.ledger.conversation(store.shop_id, conv_id)
        if buyer is None:
            raise ApiError(404, "conversation_not_found", "No such conversation in this shop")
        return web.json_response({"conversation_id": conv_id,
                                  "buyer": {**buyer.public(), "language": buyer.language}})

    async def list_messages(self, request: web.Request) -> web.Response:
        store = self._store(request)
        after, cursor, limit = _page_args(request.query)
        messages, last, has_more = self.market.ledger.page(store.shop_id, after, limit)
        next_cursor = cursor if last is None else encode_cursor(last)
        return web.json_response({"messages": messages, "next_cursor": next_cursor,
                                  "has_more": has_more})

    async def sent(self, request: web.Request) -> web.Response:
        store = self._store(request)
        key = request.query.get("idempotency_key")
        if not key:
            raise ApiError(400, "invalid_request", "idempotency_key is required")
        message = self.market.ledger.sent_with_key(store.shop_id, key)
        if message is None:
            raise ApiError(404, "not_found", "No message was sent with this idempotency key")
        return web.json_response({**message, "idempotency_key": key})


async def _send_args(request: web.Request) -> tuple[str, str | None]:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_request", "Body must be JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "Body must be a JSON object")
    text, key = body.get("text"), body.get("idempotency_key")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "invalid_request", "text is required")
    if key is not None and not isinstance(key, str):
        raise ApiError(400, "invalid_request", "idempotency_key must be a string")
    if len(text) > MAX_TEXT_LENGTH:
        raise ApiError(400, "text_too_long",
                       f"text has {len(text)} characters; the limit is {MAX_TEXT_LENGTH}")
    return text, key


def _page_args(query: Mapping[str, str]) -> tuple[int, str | None, int]:
    cursor = query.get("cursor") or None
    after = 0 if cursor is None else decode_cursor(cursor)
    if after is None:
        raise ApiError(400, "invalid_cursor", "The cursor is not valid")
    try:
        limit = int(query.get("limit", MAX_PAGE))
    except ValueError:
        raise ApiError(400, "invalid_request", "limit must be an integer") from None
    if limit < 1:
        raise ApiError(400, "invalid_request", "limit must be at least 1")
    return after, cursor, min(limit, MAX_PAGE)


def _envelope(status: int, code: str, message: str, request_id: str,
              headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response({"error": code, "message": message, "request_id": request_id},
                             status=status, headers=dict(headers or {}))
