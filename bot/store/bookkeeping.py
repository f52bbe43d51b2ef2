"""Stores, resolved channels, sync cursors, handled Slack events and tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from bot.store.credentials import Credentials
from bot.store.db import Database
from connectors.base import Tokens
from connectors.models import ShopId

CHANNEL_ID_CACHE_SECONDS = 60.0


class StoreRecord(NamedTuple):
    """A configured store as the ``stores`` table keeps it, in column order."""

    key: str
    platform: str
    connector: str
    shop_id: str
    site: str
    name: str
    nickname: str | None
    channel_ref: str
    group_name: str | None

class Bookkeeping:
    def __init__(self, db: Database, credentials: Credentials) -> None:
        self.db = db
        self.credentials = credentials
        # ref -> (channel id, when read): every Slack post needs it, and a channel's
        # id changes only when an operator points the ref elsewhere; a minute of
        # staleness on another worker is then harmless (the post fails and retries).
        self._channel_ids: dict[str, tuple[str, float]] = {}

    # -- stores -------------------------------------------------------------
    async def upsert_store(self, key: str, *, platform: str, connector: str, shop_id: str,
                           site: str, name: str, nickname: str | None, channel_ref: str,
                           group_name: str | None) -> None:
        await self.upsert_stores([StoreRecord(key, platform, connector, shop_id, site, name,
                                              nickname, channel_ref, group_name)])

    async def upsert_stores(self, stores: Sequence[StoreRecord]) -> None:
        """The configured stores, in one trip (500 one by one held start-up up)."""
        await self.db.many(
            "INSERT INTO stores (key, platform, connector, shop_id, site, name, nickname, "
            "channel_ref, group_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET platform = excluded.platform, "
            "connector = excluded.connector, site = excluded.site, name = excluded.name, "
            "nickname = excluded.nickname, channel_ref = excluded.channel_ref, "
            "group_name = excluded.group_name", stores)

    async def set_health(self, key: str, health: str, detail: str | None = None) -> bool:
        """Returns True when the state changed (so a banner is said once)."""
        return (
            await self.db.run(
                "UPDATE stores SET health = ?, health_detail = ?, health_since = ? "
                "WHERE key = ? AND health != ?",
                health,
                detail,
                self.db.clock(),
                key,
                health,
            )
            == 1
        )

    async def mark_recovered(self, key: str, caught_up: int) -> bool:
        return (
            await self.db.run(
                "UPDATE stores SET health = 'ok', health_detail = NULL, health_since = ?, "
                "caught_up = ? WHERE key = ? AND health != 'ok'",
                self.db.clock(),
                caught_up,
                key,
            )
            == 1
        )

    async def health(self) -> dict[str, dict[str, object]]:
        return {
            r["key"]: {
                "health": r["health"],
                "detail": r["health_detail"],
                "since": r["health_since"],
                "caught_up": r["caught_up"],
            }
            for r in await self.db.all(
                "SELECT key, health, health_detail, health_since, caught_up FROM stores"
            )
        }

    async def health_of(self, key: str) -> str | None:
        """One store's health: the sender asks before every send, a probe every try
        (reading all 500 stores' rows each time was quadratic at a seller's size)."""
        value = await self.db.value("SELECT health FROM stores WHERE key = ?", key)
        return str(value) if value is not None else None

    async def store_row(self, key: str) -> dict[str, object] | None:
        row = await self.db.one("SELECT * FROM stores WHERE key = ?", key)
        return {k: row[k] for k in row.keys()} if row else None

    async def store_rows(self) -> dict[str, dict[str, object]]:
        """Every store ever configured, by key (labels for threads of removed stores)."""
        return {
            r["key"]: {k: r[k] for k in r.keys()}
            for r in await self.db.all("SELECT * FROM stores ORDER BY key")
        }

    # -- banners --------------------------------------------------------------
    async def banner_ts(self, store_key: str, channel_ref: str) -> str | None:
        row = await self.db.one(
            "SELECT ts FROM banners WHERE store_key = ? AND channel_ref = ?", store_key, channel_ref
        )
        return row[0] if row else None

    async def set_banner_ts(self, store_key: str, channel_ref: str, ts: str | None) -> None:
        if ts is None:
            await self.db.run(
                "DELETE FROM banners WHERE store_key = ? AND channel_ref = ?",
                store_key,
                channel_ref,
            )
        else:
            await self.db.run(
                "INSERT INTO banners (store_key, channel_ref, ts) VALUES (?, ?, ?) "
                "ON CONFLICT (store_key, channel_ref) DO UPDATE SET ts = excluded.ts",
                store_key,
                channel_ref,
                ts,
            )

    # -- channels -----------------------------------------------------------
    async def channel_id(self, ref: str) -> str | None:
        cached = self._channel_ids.get(ref)
        now = self.db.clock()
        if cached is not None and now - cached[1] < CHANNEL_ID_CACHE_SECONDS:
            return cached[0]
        row = await self.db.one("SELECT channel_id FROM channels WHERE ref = ?", ref)
        if row is None:
            return None
        self._channel_ids[ref] = (str(row[0]), now)
        return str(row[0])

    async def remember_channel(
        self, ref: str, channel_id: str, name: str | None, is_private: bool
    ) -> None:
        self._channel_ids.pop(ref, None)
        self.db.defer(lambda: self._channel_ids.pop(ref, None))  # a read during the tx
        await self.db.run(
            "INSERT INTO channels (ref, channel_id, name, is_private, resolved_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (ref) DO UPDATE SET "
            "channel_id = excluded.channel_id, name = excluded.name, "
            "is_private = excluded.is_private, resolved_at = excluded.resolved_at",
            ref,
            channel_id,
            name,
            int(is_private),
            self.db.clock(),
        )

    # -- scheduled posts ------------------------------------------------------
    async def claim_period(self, kind: str, period: str) -> bool:
        """True for the one process that posts ``kind`` for ``period`` (a day, a
        week): several workers each run the scheduler, one digest goes out."""
        return (
            await self.db.run(
                "INSERT OR IGNORE INTO scheduled_posts (kind, period, at) VALUES (?, ?, ?)",
                kind,
                period,
                self.db.clock(),
            )
            == 1
        )

    # -- agents ---------------------------------------------------------------
    async def set_current(self, user_id: str, conversation_id: int) -> None:
        """The conversation an agent last acted in (``/reply`` without a reference)."""
        await self.db.run(
            "INSERT INTO agents (user_id, current_conversation_id) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET current_conversation_id = "
            "excluded.current_conversation_id",
            user_id,
            conversation_id,
        )

    async def current(self, user_id: str) -> int | None:
        row = await self.db.one(
            "SELECT current_conversation_id FROM agents WHERE user_id = ?", user_id
        )
        return row[0] if row else None

    # -- sync cursors -------------------------------------------------------
    async def cursor(self, store_key: str) -> str | None:
        row = await self.db.one("SELECT cursor FROM cursors WHERE store_key = ?", store_key)
        return row[0] if row else None

    async def save_cursor(self, store_key: str, cursor: str | None) -> None:
        await self.db.run(
            "INSERT INTO cursors (store_key, cursor, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (store_key) DO UPDATE SET cursor = excluded.cursor, "
            "updated_at = excluded.updated_at",
            store_key,
            cursor,
            self.db.clock(),
        )

    # -- Slack events -------------------------------------------------------
    async def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is seen (Slack delivers at least once)."""
        return (
            await self.db.run(
                "INSERT OR IGNORE INTO slack_events (event_id, received_at) VALUES (?, ?)",
                event_id,
                self.db.clock(),
            )
            == 1
        )

    async def prune_events(self, older_than: float) -> int:
        return await self.db.run("DELETE FROM slack_events WHERE received_at < ?", older_than)

    # -- tokens (connectors.base.TokenStore) -----------------------------------
    # Kept here because connectors are handed ``store.books`` as their TokenStore;
    # the sealed storage itself is :class:`bot.store.credentials.Credentials`.
    async def get_tokens(self, platform: str, shop_id: ShopId) -> Tokens | None:
        return await self.credentials.get_tokens(platform, shop_id)

    async def put_tokens(self, platform: str, shop_id: ShopId, tokens: Tokens) -> None:
        await self.credentials.put_tokens(platform, shop_id, tokens)
