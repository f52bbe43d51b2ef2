"""Catch-up markers and the posts held behind them.

While a store catches up (start-up, reconnect, first connection, a repair), every
message newly claimed for it is stored at once but its Slack post is *held*: a live
push must not reach the thread before the older messages the catch-up is still
fetching. When the catch-up ends, the held posts are queued in platform order
(conversation, platform time, id). A marker is kept fresh by its worker; one whose
worker died goes stale after ``STALE_AFTER`` seconds and its held posts are released
by the sweep, so nothing waits forever.
"""

from __future__ import annotations

from bot.slack_work import SlackWork
from bot.store.db import Database
from bot.store.slack_ops import SlackOps

STALE_AFTER = 60.0


class CatchUps:
    def __init__(self, db: Database, ops: SlackOps) -> None:
        self.db = db
        self.ops = ops

    async def begin(self, store_key: str, holder: str) -> None:
        now = self.db.clock()
        await self.db.run(
            "INSERT INTO catchups (store_key, holder, started_at, beat_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (store_key, holder) DO UPDATE SET beat_at = excluded.beat_at",
            store_key, holder, now, now)

    async def beat(self, store_keys: list[str], holder: str) -> None:
        for key in store_keys:
            await self.db.run("UPDATE catchups SET beat_at = ? WHERE store_key = ? AND "
                              "holder = ?", self.db.clock(), key, holder)

    async def active(self, store_key: str) -> bool:
        return await self.db.one(
            "SELECT 1 FROM catchups WHERE store_key = ? AND beat_at >= ?",
            store_key, self.db.clock() - STALE_AFTER) is not None

    async def lock_if_catching_up(self, store_key: str) -> bool:
        """At the start of a claim's transaction, before it locks any row: whether the
        store is catching up. If so the claim is serialized with :meth:`end` until it
        commits, so a post is never held after the catch-up that would release it has
        ended (and every claim of the store takes this lock first: no lock cycle)."""
        if not await self.active(store_key):
            return False
        await self.db.serialize(f"catchup:{store_key}")
        return await self.active(store_key)

    async def hold(self, store_key: str, channel_ref: str, conversation_id: int,
                   message_id: int, platform_at: float | None, delay: float) -> None:
        await self.db.run(
            "INSERT INTO held_posts (message_id, store_key, channel_ref, conversation_id, "
            "platform_at, delay) VALUES (?, ?, ?, ?, ?, ?)",
            message_id, store_key, channel_ref, conversation_id, platform_at, delay)

    async def first_connection(self, store_key: str, cursor: str | None) -> bool:
        """Never caught up and nothing claimed yet: a store connected for the first time
        (a store with threads already, even without a cursor, catches up in full)."""
        return cursor is None and await self.db.one(
            "SELECT 1 FROM conversations WHERE store_key = ? LIMIT 1", store_key) is None

    async def note_fetched(self, store_key: str, platform_message_id: str) -> None:
        """The catch-up's fetch returned this message (again): its place in the
        platform's own order breaks ties between messages stamped in the same second
        (a retried push claimed before the older messages the fetch brings)."""
        await self.db.run(
            "UPDATE held_posts SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM held_posts "
            "WHERE store_key = ?) WHERE message_id = (SELECT id FROM messages WHERE "
            "store_key = ? AND platform_message_id = ?) AND seq IS NULL",
            store_key, store_key, platform_message_id)

    async def end(self, store_key: str, holder: str) -> int:
        """This worker's catch-up of the store is over: release the held posts unless
        another worker is still catching the store up. Returns how many were queued."""
        async with self.db.tx():
            await self.db.serialize(f"catchup:{store_key}")
            await self.db.run("DELETE FROM catchups WHERE store_key = ? AND holder = ?",
                              store_key, holder)
            if await self.active(store_key):
                return 0
            return await self._release(store_key)

    async def release_stale(self) -> int:
        """Release what markers of dead workers still hold (the sweep calls this)."""
        keys = [str(r[0]) for r in await self.db.all("SELECT DISTINCT store_key FROM held_posts")]
        released = 0
        for key in keys:
            async with self.db.tx():
                await self.db.serialize(f"catchup:{key}")
                if await self.active(key):
                    continue
                await self.db.run("DELETE FROM catchups WHERE store_key = ?", key)
                released += await self._release(key)
        return released

    async def _release(self, store_key: str) -> int:
        rows = await self.db.all(
            "SELECT message_id, channel_ref, conversation_id, delay FROM held_posts "
            "WHERE store_key = ? ORDER BY conversation_id, platform_at, "
            "CASE WHEN seq IS NULL THEN 1 ELSE 0 END, seq, message_id", store_key)
        for mid, ref, conv, delay in rows:
            # Queued in this order, the channel worker posts them in this order.
            await self.ops.enqueue(str(ref), SlackWork.POST_MESSAGE, conversation_id=int(conv),
                                   message_id=int(mid), delay=float(delay or 0))
        await self.db.run("DELETE FROM held_posts WHERE store_key = ?", store_key)
        return len(rows)
