"""Marketplace tokens (sealed at rest) and the OAuth states that lead to them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.store.db import Database
from bot.store.token_cipher import TokenCipher
from connectors.base import Tokens
from connectors.models import ShopId


@dataclass(frozen=True)
class OAuthState:
    """What an authorization link was issued for."""

    platform: str
    store_key: str | None  # None: a store not configured yet
    issued_by: str
    created_at: float


class Credentials:
    def __init__(self, db: Database, cipher: TokenCipher) -> None:
        self.db = db
        self.cipher = cipher

    # -- tokens ------------------------------------------------------------------
    async def get_tokens(self, platform: str, shop_id: ShopId) -> Tokens | None:
        r = await self.db.one(
            "SELECT * FROM tokens WHERE platform = ? AND shop_id = ?", platform, shop_id
        )
        if not r:
            return None
        return Tokens(
            access_token=self.cipher.open(r["access_token"]),
            refresh_token=self.cipher.open(r["refresh_token"] or ""),
            access_expires_at=_dt(r["access_expires_at"]),
            refresh_expires_at=_dt(r["refresh_expires_at"]),
            extra=json.loads(r["extra"]),
        )

    async def put_tokens(self, platform: str, shop_id: ShopId, tokens: Tokens) -> None:
        # Sealed before the statement: without a key this raises and nothing is written.
        access, refresh = self.cipher.seal(tokens.access_token), \
            self.cipher.seal(tokens.refresh_token)
        await self.db.run(
            "INSERT INTO tokens (platform, shop_id, access_token, refresh_token, "
            "access_expires_at, refresh_expires_at, extra, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, shop_id) DO UPDATE SET "
            "access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
            "access_expires_at = excluded.access_expires_at, "
            "refresh_expires_at = excluded.refresh_expires_at, extra = excluded.extra, "
            "updated_at = excluded.updated_at",
            platform,
            shop_id,
            access,
            refresh,
            _ts(tokens.access_expires_at),
            _ts(tokens.refresh_expires_at),
            json.dumps(dict(tokens.extra)),
            self.db.clock(),
        )

    async def seal_tokens(self) -> int:
        """Seal plaintext rows (written before encryption) and re-seal rows under an
        older key with the first one; the number of rows rewritten. Run at start, so
        plaintext never outlives an upgrade and an old key can go after one restart.
        A row no key opens raises :class:`SecretKeyError` with what to do."""
        changed = 0
        for r in await self.db.all("SELECT platform, shop_id, access_token, refresh_token "
                                   "FROM tokens ORDER BY platform, shop_id"):
            access = self.cipher.reseal(r["access_token"])
            refresh = self.cipher.reseal(r["refresh_token"] or "")
            if access is None and refresh is None:
                continue
            # Compare-and-set: a refresh racing this sweep keeps its own newer value.
            changed += await self.db.run(
                "UPDATE tokens SET access_token = ?, refresh_token = ? "
                "WHERE platform = ? AND shop_id = ? AND access_token = ? "
                "AND COALESCE(refresh_token, '') = ?",
                access or r["access_token"], refresh or r["refresh_token"], r["platform"],
                r["shop_id"], r["access_token"], r["refresh_token"] or "")
        return changed

    # -- OAuth states ------------------------------------------------------------
    async def issue_oauth_state(self, state: str, platform: str, store_key: str | None,
                                issued_by: str) -> None:
        await self.db.run(
            "INSERT INTO oauth_states (state, platform, created_at, store_key, issued_by) "
            "VALUES (?, ?, ?, ?, ?)",
            state,
            platform,
            self.db.clock(),
            store_key,
            issued_by,
        )

    async def take_oauth_state(self, state: str, platform: str, ttl: float
                               ) -> OAuthState | None:
        """What ``state`` was issued for (None: unknown, expired or already spent).
        It is spent only when presented on its own platform's callback: a state
        shown to the wrong callback is returned untouched, for the caller to refuse.
        Expired states are swept on the way."""
        async with self.db.tx():
            await self.db.run("DELETE FROM oauth_states WHERE created_at < ?",
                              self.db.clock() - ttl)
            r = await self.db.one(
                "SELECT platform, store_key, issued_by, created_at FROM oauth_states "
                "WHERE state = ?", state)
            if r is None:
                return None
            found = OAuthState(r["platform"], r["store_key"], r["issued_by"] or "unknown",
                               float(r["created_at"]))
            if found.platform != platform:
                return found
            # Two redirects with one state at once: only the one that deletes it wins.
            if await self.db.run("DELETE FROM oauth_states WHERE state = ? AND platform = ?",
                                 state, platform) != 1:
                return None
            return found


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None
