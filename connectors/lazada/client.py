"""Signed calls to the Lazada gateway: envelopes, timeouts and rate-limit backoff."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from connectors.errors import OutcomeUnknown, RateLimited, TransientError
from connectors.lazada import signing
from connectors.lazada.errors import ErrorSpec, error_for, retry_after_hint
from connectors.lazada.hosts import endpoint

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Backoff:
    """Bounded, capped, jittered backoff for throttling answers."""

    retries: int = 3
    base: float = 1.0
    cap: float = 30.0
    jitter: float = 0.25

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        wanted = max(retry_after or 0.0, self.base * (2**attempt))
        return min(self.cap, wanted * (1.0 + rng.uniform(0.0, self.jitter)))


DEFAULT_BACKOFF = Backoff()


def now_ms() -> int:
    return int(time.time() * 1000)


def truthy(value: object) -> bool:
    """Lazada quotes booleans in some answers (``"true"``) and not in others."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def as_int(value: object, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


class LazadaClient:
    """One app's signed HTTP calls. Raises :mod:`connectors.errors` types only."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        app_key: str,
        app_secret: str,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        backoff: Backoff = DEFAULT_BACKOFF,
        extra_errors: Mapping[str, ErrorSpec] | None = None,
        clock_ms: Callable[[], int] = now_ms,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._session = session
        self.app_key = app_key
        self._secret = app_secret
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=connect_timeout, sock_connect=connect_timeout,
            sock_read=read_timeout,
        )
        self._backoff = backoff
        self._extra_errors = extra_errors
        self._clock_ms = clock_ms
        self._sleep = sleep
        self._rng = rng or random.Random()

    async def call(
        self,
        base_url: str,
        api_path: str,
        params: Mapping[str, object],
        *,
        method: str = "GET",
        access_token: str | None = None,
        idempotent: bool = True,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """The whole response envelope of a successful call. ``files`` makes it a
        multipart POST (field -> (filename, bytes, type)); files are not signed.

        Throttling is retried here (the gateway refuses throttled calls before
        they reach the service, so even a send is safe to repeat); every other
        failure is raised at once.
        """
        attempt = 0
        while True:
            try:
                return await self._call_once(
                    base_url, api_path, params, method, access_token, idempotent, files
                )
            except RateLimited as exc:
                if attempt >= self._backoff.retries:
                    raise
                delay = self._backoff.delay(attempt, exc.retry_after, self._rng)
                log.info("lazada %s throttled (%s); retrying in %.2fs", api_path, exc, delay)
                attempt += 1
                await self._sleep(delay)

    async def _call_once(
        self,
        base_url: str,
        api_path: str,
        params: Mapping[str, object],
        method: str,
        access_token: str | None,
        idempotent: bool,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        signed = signing.sign_params(
            self._secret,
            api_path,
            {
                **params,
                "app_key": self.app_key,
                "timestamp": self._clock_ms(),
                "sign_method": signing.SIGN_METHOD,
                "access_token": access_token,
            },
        )
        url = endpoint(base_url, api_path)
        # Like the official SDK: GET carries everything in the query, POST as form fields.
        kwargs: dict[str, Any] = {"params": signed} if method == "GET" else {"data": signed}
        if files:  # like the SDK's file parameters: multipart, outside the signature
            form = aiohttp.FormData({k: str(v) for k, v in signed.items()})
            for name, (filename, blob, ctype) in files.items():
                form.add_field(name, blob, filename=filename, content_type=ctype)
            kwargs = {"data": form}
        try:
            async with self._session.request(
                method, url, timeout=self._timeout, **kwargs
            ) as response:
                status = response.status
                retry_header = response.headers.get("Retry-After")
                raw = await response.read()
        except (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError) as exc:
            raise TransientError(f"lazada {api_path}: cannot connect: {exc!r}") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            # The request may have reached Lazada: a send must be looked up, not repeated.
            if idempotent:
                raise TransientError(f"lazada {api_path}: {exc!r}") from exc
            raise OutcomeUnknown(f"lazada {api_path}: no answer: {exc!r}") from exc
        return self._envelope(api_path, status, retry_header, raw)

    def _envelope(
        self, api_path: str, status: int, retry_header: str | None, raw: bytes
    ) -> dict[str, Any]:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise error_for(
                "", f"{api_path}: HTTP {status}, not a JSON envelope",
                http_status=status if status != 200 else 502,
                retry_after=retry_after_hint("", retry_header),
                extra=self._extra_errors,
            )
        code = str(body.get("code", "0"))
        message = str(body.get("message") or "")
        if code != "0" or status >= 400:
            raise error_for(
                code if code != "0" else "", message, error_type=body.get("type"),
                http_status=status, retry_after=retry_after_hint(message, retry_header),
                extra=self._extra_errors,
            )
        # IM services answer through the gateway with code "0" and their own verdict.
        err_code = body.get("err_code")
        if ("success" in body and not truthy(body["success"])) or (
            err_code not in (None, "", "0", 0)
        ):
            err_message = str(body.get("err_message") or "")
            raise error_for(
                str(err_code or ""), err_message, im_level=True,
                retry_after=retry_after_hint(err_message), extra=self._extra_errors,
            )
        return body
