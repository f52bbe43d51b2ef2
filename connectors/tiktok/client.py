"""Signed HTTP calls to TikTok Shop: common parameters, pacing, and what its envelope
differs in."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from yarl import URL

from connectors.backoff import Backoff
from connectors.envelope import Reply, Wire, exchange, unwrap
from connectors.errors import ConnectorError
from connectors.tiktok.errors import QuotaExhausted, error_for
from connectors.tiktok.signing import compact_json, param_text, sign_request

QUOTA_CODE = 45101004

#: TikTok's rate-limit retries; a longer pause than 8 s is left to the bot's queue.
DEFAULT_BACKOFF = Backoff(retries=3, base=0.5, cap=8.0)


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
                 backoff: Backoff = DEFAULT_BACKOFF, qps: float = 40.0,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 quota_reset_in: Callable[[], float] = lambda: 3600.0) -> None:
        self._session = session
        self._app_key = app_key
        self._app_secret = app_secret
        self._timeout = aiohttp.ClientTimeout(total=request_timeout,
                                              connect=min(connect_timeout, request_timeout))
        self._backoff = backoff
        self._clock = clock
        self._sleep = sleep
        self._pacer = Pacer(qps)
        self._quota_reset_in = quota_reset_in
        self._wire = Wire("TikTok", self._verdict, _by_status, is_envelope=_has_code)

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

        return await self._retry(once)

    async def token_call(self, base: str, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The auth host's GET endpoints: unsigned, ``app_secret`` in the query."""
        url = URL(base + path).with_query(
            {"app_key": self._app_key, "app_secret": self._app_secret, **params})
        return await self._retry(lambda: self._exchange("GET", url, {}, None, True))

    async def _retry(self, call: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        # Never on the daily quota: it resets hours away, not seconds.
        return await self._backoff.run(call, sleep=self._sleep, never=(QuotaExhausted,),
                                       label="tiktok")

    async def _exchange(self, method: str, url: URL, headers: dict[str, str],
                        data: Any, idempotent: bool) -> dict[str, Any]:
        where = f"tiktok {method} {url.path}"  # never the query: it may carry app_secret
        reply = await exchange(self._session, method, url, name="TikTok", where=where,
                               unsafe=not idempotent, now=self._clock(), headers=headers,
                               data=data, timeout=self._timeout)
        envelope = unwrap(self._wire, reply, where=where, unsafe=not idempotent)
        payload = envelope.get("data")
        return payload if isinstance(payload, dict) else {}

    def _verdict(self, reply: Reply, envelope: dict[str, Any], unsafe: bool
                 ) -> ConnectorError | None:
        try:
            code: int | None = int(envelope["code"])
        except (TypeError, ValueError):
            code = None
        if code == 0:
            return None
        retry_after = self._quota_reset_in() if code == QUOTA_CODE else reply.retry_after
        return error_for(code, str(envelope.get("message") or ""), reply.status,
                         retry_after=retry_after, idempotent=not unsafe)


def _has_code(envelope: dict[str, Any]) -> bool:
    return "code" in envelope


def _by_status(reply: Reply) -> ConnectorError:
    return error_for(None, f"HTTP {reply.status} without a TikTok envelope", reply.status,
                     retry_after=reply.retry_after)
