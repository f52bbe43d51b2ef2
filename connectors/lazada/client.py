"""Signed calls to the Lazada gateway, and what its envelope differs in."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from connectors.backoff import Backoff, Sleep
from connectors.envelope import Reply, Wire, exchange, unwrap
from connectors.errors import ConnectorError
from connectors.lazada import signing
from connectors.lazada.errors import ErrorSpec, error_for, retry_after_hint
from connectors.lazada.hosts import endpoint

#: Lazada's throttling retries: the gateway bans for seconds at a time.
DEFAULT_BACKOFF = Backoff(retries=3, base=1.0, cap=30.0)


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
        self._wire = Wire("Lazada", self._verdict, self._by_status)

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
        return await self._backoff.run(
            lambda: self._call_once(base_url, api_path, params, method, access_token,
                                    idempotent, files),
            sleep=self._sleep, rand=self._rng.random, label=f"lazada {api_path}")

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
        where = f"lazada {method} {api_path}"
        reply = await exchange(self._session, method, url, name="Lazada", where=where,
                               unsafe=not idempotent, now=self._clock_ms() / 1000,
                               timeout=self._timeout, **kwargs)
        return unwrap(self._wire, reply, where=where, unsafe=not idempotent)

    def _verdict(self, reply: Reply, body: dict[str, Any], unsafe: bool
                 ) -> ConnectorError | None:
        code = str(body.get("code", "0"))
        if code != "0":
            message = str(body.get("message") or "")
            return error_for(code, message, error_type=body.get("type"),
                             http_status=reply.status,
                             retry_after=retry_after_hint(message, reply.retry_after),
                             extra=self._extra_errors)
        # IM services answer through the gateway with code "0" and their own verdict.
        err_code = body.get("err_code")
        if ("success" in body and not truthy(body["success"])) or (
            err_code not in (None, "", "0", 0)
        ):
            err_message = str(body.get("err_message") or "")
            return error_for(str(err_code or ""), err_message, im_level=True,
                             retry_after=retry_after_hint(err_message),
                             extra=self._extra_errors)
        return None

    def _by_status(self, reply: Reply) -> ConnectorError:
        return error_for("", f"HTTP {reply.status} without a Lazada envelope",
                         http_status=reply.status, retry_after=reply.retry_after,
                         extra=self._extra_errors)
