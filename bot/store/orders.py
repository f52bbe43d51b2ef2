"""Orders beside the chat: stored per store, linked to conversations by buyer."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from bot.store.db import Database
from bot.store.rows import Conversation
from connectors.orders import Order


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value




class Orders:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def upsert(self, store_key: str, order: Order) -> dict[str, Any] | None:
        """Store the latest state of an order; returns what was known before."""
        async with self.db.tx():
            before = await self.get(store_key, order.order_id)
            cancel = _jsonable(asdict(order.cancellation)) if order.cancellation else None
            await self.db.run(
                "INSERT INTO orders (store_key, order_id, buyer_id, status, "
                "platform_status, amount, currency, created_at, updated_at, ship_by, "
                "tracking_no, items, cancellation, returns, fetched_at, needs_answer) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (store_key, order_id) DO UPDATE SET buyer_id = excluded.buyer_id, "
                "status = excluded.status, platform_status = excluded.platform_status, "
                "amount = excluded.amount, currency = excluded.currency, "
                "created_at = excluded.created_at, updated_at = excluded.updated_at, "
                "ship_by = excluded.ship_by, tracking_no = excluded.tracking_no, "
                "items = excluded.items, cancellation = excluded.cancellation, "
                "returns = excluded.returns, fetched_at = excluded.fetched_at, "
                "needs_answer = excluded.needs_answer",
                store_key,
                order.order_id,
                order.buyer_id,
                str(order.status),
                order.platform_status,
                order.amount,
                order.currency,
                order.created_at.timestamp(),
                order.updated_at.timestamp(),
                _ts(order.ship_by),
                order.tracking_no,
                json.dumps([asdict(i) for i in order.items], ensure_ascii=False),
                json.dumps(cancel, ensure_ascii=False) if cancel else None,
                json.dumps([_jsonable(asdict(r)) for r in order.returns], ensure_ascii=False),
                self.db.clock(),
                int(_awaits_answer(cancel, order)),
            )
            await self.db.run(
                "DELETE FROM order_refresh WHERE store_key = ? AND order_id = ?",
                store_key,
                order.order_id,
            )
            return before

    async def get(self, store_key: str, order_id: str) -> dict[str, Any] | None:
        row = await self.db.one(
            "SELECT * FROM orders WHERE store_key = ? AND order_id = ?", store_key, order_id
        )
        return _row(row) if row else None

    async def find(self, order_id: str) -> list[dict[str, Any]]:
        """An order number across stores (numbers are unique per store only)."""
        return [
            _row(r) for r in await self.db.all("SELECT * FROM orders WHERE order_id = ?", order_id)
        ]

    async def owners(self, order_ids: list[str], store_keys: list[str]
                     ) -> list[tuple[str, str, str]]:
        """(order id, store key, buyer id) for each of these numbers stored in these
        stores: primary-key probes only, as the reply guard asks on every reply that
        carries a number (``find`` walks every store's orders)."""
        if not order_ids or not store_keys:
            return []
        stores, ids = ",".join("?" * len(store_keys)), ",".join("?" * len(order_ids))
        rows = await self.db.all(
            f"SELECT order_id, store_key, buyer_id FROM orders WHERE store_key IN ({stores}) "
            f"AND order_id IN ({ids})", *store_keys, *order_ids)
        return [(r[0], r[1], r[2]) for r in rows]

    async def of_buyer(
        self, store_key: str, buyer_ids: list[str], limit: int = 3
    ) -> list[dict[str, Any]]:
        ids = [b for b in buyer_ids if b]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [
            _row(r)
            for r in await self.db.all(
                f"SELECT * FROM orders WHERE store_key = ? AND buyer_id IN ({marks}) "
                f"ORDER BY created_at DESC LIMIT ?",
                store_key,
                *ids,
                limit,
            )
        ]

    async def of_conversation(self, conv: Conversation, limit: int = 3) -> list[dict[str, Any]]:
        return await self.of_buyer(
            conv.store_key, [conv.buyer_order_id or "", conv.buyer_id], limit
        )

    async def conversation_for(self, store_key: str, buyer_id: str) -> Conversation | None:
        row = await self.db.one(
            "SELECT * FROM conversations WHERE store_key = ? AND "
            "(buyer_order_id = ? OR buyer_id = ?) ORDER BY last_at DESC LIMIT 1",
            store_key,
            buyer_id,
            buyer_id,
        )
        return Conversation.of(row) if row else None

    async def set_buyer_order_id(self, conversation_id: int, buyer_order_id: str) -> None:
        await self.db.run(
            "UPDATE conversations SET buyer_order_id = ? WHERE id = ?",
            buyer_order_id,
            conversation_id,
        )

    # -- pushes waiting for their details ---------------------------------------------
    async def queue_refresh(self, store_key: str, order_ids: list[str], reason: str) -> None:
        async with self.db.tx():
            for oid in order_ids:
                await self.db.run(
                    "INSERT OR IGNORE INTO order_refresh (store_key, order_id, reason, "
                    "queued_at) VALUES (?, ?, ?, ?)",
                    store_key,
                    oid,
                    reason,
                    self.db.clock(),
                )

    async def pending_refresh(self, store_key: str, limit: int = 50) -> list[str]:
        return [
            r[0]
            for r in await self.db.all(
                "SELECT order_id FROM order_refresh WHERE store_key = ? ORDER BY queued_at LIMIT ?",
                store_key,
                limit,
            )
        ]

    async def drop_refresh(self, store_key: str, order_id: str) -> None:
        """The platform does not know this order: stop asking for it."""
        await self.db.run(
            "DELETE FROM order_refresh WHERE store_key = ? AND order_id = ?", store_key, order_id
        )

    async def stores_to_refresh(self) -> list[str]:
        return [r[0] for r in await self.db.all("SELECT DISTINCT store_key FROM order_refresh")]

    # -- the safety pull's watermark ------------------------------------------------
    async def cursor(self, store_key: str) -> str | None:
        row = await self.db.one("SELECT cursor FROM order_cursors WHERE store_key = ?", store_key)
        return row[0] if row else None

    async def save_cursor(self, store_key: str, cursor: str | None) -> None:
        await self.db.run(
            "INSERT INTO order_cursors (store_key, cursor, updated_at) "
            "VALUES (?, ?, ?) ON CONFLICT (store_key) DO UPDATE SET "
            "cursor = excluded.cursor, updated_at = excluded.updated_at",
            store_key,
            cursor,
            self.db.clock(),
        )

    # -- things said once ------------------------------------------------------------
    async def once(self, store_key: str, order_id: str, kind: str, key: str) -> bool:
        """True the first time (order, kind, key) is announced; a moved deadline is a
        new key, so alerts re-arm when deadlines move."""
        return (
            await self.db.run(
                "INSERT OR IGNORE INTO order_notices (store_key, order_id, kind, "
                "key, at) VALUES (?, ?, ?, ?, ?)",
                store_key,
                order_id,
                kind,
                key,
                self.db.clock(),
            )
            == 1
        )

    async def with_deadline_before(self, before: float) -> list[dict[str, Any]]:
        """Orders that may need the seller by ``before``: to ship by then
        (orders_by_ship_by), or with a pending request (orders_needing_answer).
        Orders whose ship-by is further away are not read at all."""
        rows = await self.db.all(
            "SELECT * FROM orders WHERE status = 'to_ship' AND ship_by IS NOT NULL "
            "AND ship_by <= ? ORDER BY ship_by",
            before,
        )
        rows += await self.db.all("SELECT * FROM orders WHERE needs_answer = 1")
        seen: set[tuple[str, str]] = set()
        out = []
        for r in rows:
            if (r["store_key"], r["order_id"]) not in seen:
                seen.add((r["store_key"], r["order_id"]))
                out.append(_row(r))
        return out


def _awaits_answer(cancel: dict[str, Any] | None, order: Order) -> bool:
    """A cancellation or return request the seller has not answered yet."""
    return (cancel or {}).get("state") == "pending" or any(
        str(r.state) == "pending" for r in order.returns
    )


def _row(row: Any) -> dict[str, Any]:
    data = {k: row[k] for k in row.keys()}
    data["items"] = json.loads(data["items"] or "[]")
    data["returns"] = json.loads(data["returns"] or "[]")
    data["cancellation"] = json.loads(data["cancellation"]) if data["cancellation"] else None
    return data
