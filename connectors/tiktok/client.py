"""Signed HTTP calls to TikTok Shop: common parameters, envelopes, pacing, backoff."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from yarl import URL

from connectors.errors import OutcomeUnknown, RateLimited, TransientError
from connectors.retry_after import parse_retry_after
from connectors.tiktok.errors import QuotaExhausted, error_for
from connectors.tiktok.signing import compact_json, param_text, sign_request

T = TypeVar("T")
QUOTA_CODE = 45101004


@dataclass(frozen=True)
class RetryPolicy:
    """Rate-limit retries: how many, and the backoff base and cap in seconds."""

    retries: int = 3
    base: float = 0.5
    cap: float = 8.0


DEFAULT_RETRY = RetryPolicy()


def backoff_delay(attempt: int, retry_after: float | None, policy: RetryPolicy,
                  rng: Callable[[], float] = random.random) -> float | None:
    """Seconds to wait before retry ``attempt`` (0-based), or None: give up now."""
    if retry_after is not None:
        if retry_after > policy.cap:
            return None  # the server wants a longer pause than we may block for
        return retry_after + rng() * policy.base  # jitter after, never before, the hint
    step = min(policy.cap, policy.base * 2 ** attempt)
    return step / 2 + rng() * step / 2


async def with_backoff(call: Callable[[], Awaitable[T]], policy: RetryPolicy, *,
                       sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> T:
    """Retry ``call`` on :class:`RateLimited` (never on the daily quota)."""
    attempt = 0
    while True:
        try:
            return await call()
        except QuotaExhausted:
            raise
        except RateLimited as exc:
            delay = backoff_delay(attempt, exc.retry_after, policy) \
                if attempt < policy.retries else None
            if delay is None:
                raise
            attempt += 1
            await sleep(delay)


class Pacer:
    """Spaces calls per (shop, API) below TikTok's 50 QPS so limits are respected,
    not discovered."""

    def __init__(self, qps: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / qps if qps > 0 else 0.0
        self._clock = clock
        self._next: dict[tuple[str, str], float] = {}

    async def wait(self, key: tuple[str, str]) -> None:
        if not self._interval:
            return
        now = self._clock()
        slot = max(now, self._next.get(key, 0.0))
        self._next[key] = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


_ID_SEGMENT = re.compile(r"/\d+")


class TikTokHttp:
    """One app's transport. Raises :mod:`connectors.errors` types only."""

    def __init__(self, session: aiohttp.ClientSession, *, app_key: str, app_secret: str,
                 request_timeout: float = 10.0, connect_timeout: float = 5.0,
                 retry: RetryPolicy = DEFAULT_RETRY, qps: float = 40.0,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 quota_reset_in: Callable[[], float] = lambda: 3600.0) -> None:
        self._session = session
        self._app_key = app_key
        self._app_secret = app_secret
        self._timeout = aiohttp.ClientTimeout(total=request_timeout,
                                              connect=min(connect_timeout, request_timeout))
        self._retry = retry
        self._clock = clock
        self._sleep = sleep
        self._pacer = Pacer(qps)
        self._quota_reset_in = quota_reset_in

    async def call(self, base: str, method: str, path: str, *,
                   params: Mapping[str, Any] | None = None, body: Any = None,
                   access_token: str | None = None, shop_cipher: str | None = None,
                   idempotent: bool = True,
                   on_attempt: Callable[[], None] | None = None,
                   files: Mapping[str, tuple[str, bytes, str]] | None = None) -> dict[str, Any]:
        """A signed Open API call; returns the envelope's ``data``. ``files``: a
        multipart upload (field -> (filename, bytes, type)), whose body is not signed."""
        data = compact_json(body) if body is not None else None
        pace_key = (shop_cipher or "-", method + _ID_SEGMENT.sub("/{id}", path))

        async def once() -> dict[str, Any]:
            await self._pacer.wait(pace_key)
            if on_attempt is not None:
                on_attempt()
            query: dict[str, Any] = {"app_key": self._app_key,
                                     "timestamp": int(self._clock()), **(params or {})}
            if shop_cipher:
                query["shop_cipher"] = shop_cipher
            query["sign"] = sign_request(self._app_secret, path, query, data)
            headers = {"content-type": "application/json"}
            payload: Any = data
            if files:
                headers = {}  # aiohttp writes the multipart boundary itself
                payload = aiohttp.FormData()
                for name, (filename, blob, ctype) in files.items():
                    payload.add_field(name, blob, filename=filename, content_type=ctype)
            if access_token:
                headers["x-tts-access-token"] = access_token
            url = URL(base + path).with_query({k: param_text(v) for k, v in query.items()})
            return await self._exchange(method, url, headers, payload, idempotent)

        return await with_backoff(once, self._retry, sleep=self._sleep)

    async def token_call(self, base: str, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The auth host's GET endpoints: unsigned, ``app_secret`` in the query."""
        url = URL(base + path).with_query(
            {"app_key": self._app_key, "app_secret": self._app_secret, **params})
        return await with_backoff(lambda: self._exchange("GET", url, {}, None, True),
                                  self._retry, sleep=self._sleep)

    async def _exchange(self, method: str, url: URL, headers: dict[str, str],
                        data: Any, idempotent: bool) -> dict[str, Any]:
        where = f"{method} {url.path}"  # never the query: it may carry app_secret
        try:
            async with self._session.request(method, url, headers=headers, data=data,
                                             timeout=self._timeout) as resp:
                raw = await resp.read()
                status = resp.status
                retry_after = parse_retry_after(resp.headers.get("Retry-After"), self._clock())
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise TransientError(f"{where}: cannot connect ({type(exc).__name__})",
                                 user_message="TikTok cannot be reached.") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            # The request went out; for a send we cannot tell whether it landed.
            if idempotent:
                raise TransientError(f"{where}: {type(exc).__name__}",
                                     user_message="TikTok did not answer in time.") from exc
            raise OutcomeUnknown(f"{where}: {type(exc).__name__} after sending") from exc
        return self._unwrap(status, raw, retry_after, idempotent)

    def _unwrap(self, status: int, raw: bytes, retry_after: float | None,
                idempotent: bool) -> dict[str, Any]:
        try:
            envelope = json.loads(raw)
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict) or "code" not in envelope:
            text = raw[:200].decode("utf-8", "replace")
            raise error_for(None, text, status, retry_after=retry_after, idempotent=idempotent)
        try:
            code = int(envelope["code"])
        except (TypeError, ValueError):
            code = None
        if code == 0 and 200 <= status < 300:
            data = envelope.get("data")
            return data if isinstance(data, dict) else {}
        if code == QUOTA_CODE:
            retry_after = self._quota_reset_in()
        message = str(envelope.get("message") or "")
        raise error_for(code, message, status, retry_after=retry_after, idempotent=idempotent)
