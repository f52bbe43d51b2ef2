"""Signed HTTP calls to Shopee and what its envelope differs in."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from connectors.backoff import Backoff
from connectors.envelope import Reply, Wire, exchange, unwrap
from connectors.errors import ConnectorError
from connectors.shopee.errors import classify, classify_http
from connectors.shopee.signing import public_sign, shop_sign

#: Shopee's rate-limit retries: three tries in all, at most 10 s of waiting each.
DEFAULT_BACKOFF = Backoff(retries=2, base=0.5, cap=10.0)


class ShopeeHttp:
    """One partner's signed requests. Stateless apart from configuration."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        partner_id: int,
        partner_key: str,
        connect_timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self.partner_id = int(partner_id)
        self._key = partner_key
        self._connect_timeout = connect_timeout
        self._clock = clock
        self._wire = Wire("Shopee", self._verdict, _by_status)

    def signed_query(
        self, path: str, *, access_token: str | None = None, shop_id: str | None = None
    ) -> dict[str, str]:
        ts = int(self._clock())
        query = {"partner_id": str(self.partner_id), "timestamp": str(ts)}
        if access_token is not None and shop_id is not None:
            query["sign"] = shop_sign(self._key, self.partner_id, path, ts, access_token, shop_id)
            query["access_token"] = access_token
            query["shop_id"] = str(shop_id)
        else:
            query["sign"] = public_sign(self._key, self.partner_id, path, ts)
        return query

    async def call(
        self,
        base_url: str,
        path: str,
        *,
        method: str = "GET",
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        access_token: str | None = None,
        shop_id: str | None = None,
        read_timeout: float = 10.0,
        unsafe: bool = False,
        top_level: bool = False,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """One signed call. Returns ``response`` (or the whole envelope for the token
        APIs, which put their fields at top level). ``unsafe`` marks a call with a side
        effect: once it went out, a lost answer is :class:`OutcomeUnknown`."""
        query = self.signed_query(path, access_token=access_token, shop_id=shop_id)
        if method == "GET" and params:
            query.update({k: _qs(v) for k, v in params.items() if v is not None})
        kwargs: dict[str, Any] = {"params": query}
        if files:  # multipart uploads (field -> (filename, bytes, content type)); unsigned
            form = aiohttp.FormData()
            for name, (filename, data, ctype) in files.items():
                form.add_field(name, data, filename=filename, content_type=ctype)
            kwargs["data"] = form
        elif method != "GET":
            kwargs["json"] = dict(body or {})
        # sock_read bounds the wait for an answer; connect bounds reaching the host, and
        # only a connect failure proves the request never left.
        kwargs["timeout"] = aiohttp.ClientTimeout(
            total=None, connect=self._connect_timeout, sock_read=read_timeout
        )
        where = f"shopee {method} {path}"
        reply = await exchange(self._session, method, base_url + path, name="Shopee",
                               where=where, unsafe=unsafe, now=self._clock(), **kwargs)
        envelope = unwrap(self._wire, reply, where=where, unsafe=unsafe)
        if top_level:
            return envelope
        response = envelope.get("response")
        return response if isinstance(response, dict) else {}

    def _verdict(self, reply: Reply, data: dict[str, Any], unsafe: bool
                 ) -> ConnectorError | None:
        error = data.get("error") or ""
        if not error:
            return None
        return classify(str(error), str(data.get("message") or ""), http_status=reply.status,
                        retry_after=reply.retry_after, now=self._clock(),
                        request_id=str(data.get("request_id") or ""))


def _by_status(reply: Reply) -> ConnectorError:
    return classify_http(reply.status, retry_after=reply.retry_after)


def _qs(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return json.dumps(list(value))
    return str(value)
