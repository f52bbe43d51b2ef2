"""Keeping a store's tokens: read, refresh ahead of expiry or after a rejection, persist.

One keeper serves every platform; a platform supplies only how a refresh is asked
for and read (``refresh``) and how it reports a rejected access token (``rejected``).

The rules, the same everywhere:

- Refresh tokens may be single-use (Shopee always, Lazada and TikTok may rotate), so
  one refresh per shop runs at a time, and a caller that waited for the lock first
  looks whether the refresh it wanted has already happened.
- The new pair is written to the token store *before* it is used or returned: a
  crash must never leave only a spent refresh token behind.
- A refresh ahead of expiry that fails for now (:class:`TransientError`) does not
  fail the call: the current access token is still valid, so it is used until it
  really expires. The failure is logged and the refresh is tried again after a
  growing pause (``retry``), not on every call: during an outage of the auth host
  each call would otherwise wait for a doomed refresh first. Once the token has
  expired, a failing refresh fails the call.
- A refresh the platform refuses (any :class:`PermanentError`) is an
  :class:`AuthError`: the seller has to reconnect the store.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from connectors.backoff import Backoff
from connectors.base import Tokens, TokenStore
from connectors.errors import AuthError, ConnectorError, PermanentError, TransientError
from connectors.models import StoreAccount

log = logging.getLogger(__name__)
T = TypeVar("T")

#: (store, the tokens to renew, now) -> the new tokens, not yet stored.
Refresh = Callable[[StoreAccount, Tokens, datetime], Awaitable[Tokens]]

#: Pauses between early refreshes that failed: 30 s, 1, 2, 4 min, then 5 min.
REFRESH_RETRY = Backoff(retries=1_000_000, base=30.0, cap=300.0, jitter=0.1)


@dataclass
class _Failed:
    count: int
    retry_at: datetime


class TokenKeeper:
    """Reads, refreshes and persists the tokens of every store of one app."""

    def __init__(self, store: TokenStore, *, platform: str, name: str, refresh: Refresh,
                 rejected: Callable[[ConnectorError], bool], margin: timedelta,
                 now: Callable[[], datetime], retry: Backoff = REFRESH_RETRY,
                 credential_extras: tuple[str, ...] = (),
                 rand: Callable[[], float] = random.random) -> None:
        self._store = store
        self._platform = platform
        self._name = name
        self._refresh_call = refresh
        self._rejected = rejected
        self._margin = margin
        self._now = now
        self._retry = retry
        self._extras = credential_extras
        self._rand = rand
        self._locks: dict[str, asyncio.Lock] = {}
        self._failed: dict[str, _Failed] = {}

    async def current(self, account: StoreAccount) -> Tokens:
        """The stored tokens, else the ones in the store's configuration."""
        stored = await self._store.get_tokens(self._platform, account.shop_id)
        if stored is not None:
            return stored
        creds = account.credentials
        if not creds.get("access_token"):
            raise AuthError(f"{self._platform} shop {account.shop_id}: no access token",
                            code="no_token",
                            user_message=f"This {self._name} store has no access token; "
                                         "connect it.")
        extra = {k: creds[k] for k in self._extras if creds.get(k)}
        return Tokens(access_token=creds["access_token"],
                      refresh_token=creds.get("refresh_token", ""), extra=extra)

    def due(self, tokens: Tokens) -> bool:
        """Within ``margin`` of expiry (a token of unknown expiry never is)."""
        exp = tokens.access_expires_at
        return exp is not None and exp - self._now() <= self._margin

    def expired(self, tokens: Tokens) -> bool:
        exp = tokens.access_expires_at
        return exp is not None and exp <= self._now()

    def _waiting(self, shop_id: str, tokens: Tokens) -> bool:
        """An early refresh failed lately and the token still works: wait for the retry."""
        failed = self._failed.get(shop_id)
        return failed is not None and not self.expired(tokens) and self._now() < failed.retry_at

    def _lock(self, shop_id: str) -> asyncio.Lock:
        return self._locks.setdefault(shop_id, asyncio.Lock())

    async def fresh(self, account: StoreAccount) -> Tokens:
        """Tokens to call with, refreshed first when they are due."""
        tokens = await self.current(account)
        if not self.due(tokens) or self._waiting(account.shop_id, tokens):
            return tokens
        async with self._lock(account.shop_id):
            tokens = await self.current(account)  # another task may have refreshed meanwhile
            if not self.due(tokens) or self._waiting(account.shop_id, tokens):
                return tokens
            try:
                return await self._refresh(account, tokens)
            except TransientError as exc:
                if self.expired(tokens):
                    raise
                self._note_failure(account, tokens, exc)
                return tokens

    def _note_failure(self, account: StoreAccount, tokens: Tokens, exc: Exception) -> None:
        before = self._failed.get(account.shop_id)
        count = before.count + 1 if before else 1
        wait = self._retry.delay(count - 1, None, self._rand()) or self._retry.cap
        self._failed[account.shop_id] = _Failed(count, self._now() + timedelta(seconds=wait))
        log.warning("%s shop %s: refreshing the access token ahead of expiry failed (%s); "
                    "the current one is valid until %s, next try in %.0f s", self._platform,
                    account.shop_id, exc, tokens.access_expires_at, wait)

    async def after_rejection(self, account: StoreAccount, rejected: str) -> Tokens:
        """The platform refused ``rejected``: refresh, unless someone already did."""
        async with self._lock(account.shop_id):
            tokens = await self.current(account)
            if tokens.access_token != rejected:
                return tokens
            return await self._refresh(account, tokens)

    async def with_token(self, account: StoreAccount,
                         call: Callable[[Tokens], Awaitable[T]]) -> T:
        """Run ``call``; when the platform rejects the token, refresh and run it once
        more. A rejected token means the call was not executed, so repeating even a
        send is safe; a second rejection stands."""
        tokens = await self.fresh(account)
        try:
            return await call(tokens)
        except ConnectorError as exc:
            if not self._rejected(exc):
                raise
        tokens = await self.after_rejection(account, tokens.access_token)
        return await call(tokens)

    async def _refresh(self, account: StoreAccount, tokens: Tokens) -> Tokens:
        now = self._now()
        shop = account.shop_id
        if not tokens.refresh_token:
            raise AuthError(f"{self._platform} shop {shop}: no refresh token",
                            code="no_refresh_token",
                            user_message=f"The store's {self._name} authorization cannot be "
                                         "renewed; reconnect the store.")
        if tokens.refresh_expires_at is not None and tokens.refresh_expires_at <= now:
            raise AuthError(f"{self._platform} shop {shop}: refresh token expired",
                            code="refresh_token_expired",
                            user_message=f"The store's {self._name} refresh token has "
                                         "expired; reconnect the store.")
        try:
            new = await self._refresh_call(account, tokens, now)
        except AuthError:
            raise
        except PermanentError as exc:
            raise AuthError(str(exc), code=exc.code,
                            user_message=f"{self._name} refused to renew the store's access; "
                                         "reconnect the store.") from exc
        await self._store.put_tokens(self._platform, shop, new)
        self._failed.pop(shop, None)
        log.info("%s shop %s: access token refreshed", self._platform, shop)
        return new

    def forget(self) -> None:
        """Drop the locks and failure records (the connector is closing)."""
        self._locks.clear()
        self._failed.clear()
