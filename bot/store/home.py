"""What the App Home panel reads: filtered counts and short, sorted lists.

Every list is a LIMITed query on an index (``conversations_waiting`` for waiting
order, ``conversations_by_assignee`` for one person's queue) and the counts are one
GROUP BY, so the panel stays fast at 100,000 conversations (``bench/app_home.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from bot.store.db import Database
from bot.store.db import Row as DbRow

UNASSIGNED = "-"  # the assignee filter value meaning "nobody"
ROW_COLUMNS = (
    "id, ref, store_key, buyer_name, buyer_id, channel_id, thread_ts, status, "
    "unread, waiting_since, last_at, last_summary, assignee, flags"
)
# Waiting ones first (longest first), then the most recently active.
WAITING_ORDER = "ORDER BY waiting_since IS NULL, waiting_since, last_at DESC, id"


@dataclass(frozen=True)
class HomeFilters:
    """One person's panel filters; kept in the Home view's ``private_metadata``."""

    store: str | None = None
    site: str | None = None
    platform: str | None = None
    assignee: str | None = None  # a user id, or UNASSIGNED
    keyword: str | None = None

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v})

    @classmethod
    def from_json(cls, text: str | None) -> HomeFilters:
        """Tolerant: anything unreadable (an older view, another app's metadata) is no filter."""
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: str(v)[:200] for k, v in data.items() if k in known and v})

    def with_value(self, name: str, value: str | None) -> HomeFilters:
        value = (value or "").strip() or None
        return replace(self, **{name: value})

    @property
    def active(self) -> bool:
        return any(asdict(self).values())


@dataclass(frozen=True)
class StoreCount:
    key: str
    open: int = 0
    closed: int = 0
    unread: int = 0
    waiting: int = 0
    unassigned: int = 0


@dataclass(frozen=True)
class Row:
    id: int
    ref: str
    store_key: str
    buyer_name: str
    buyer_id: str
    channel_id: str | None
    thread_ts: str | None
    status: str
    unread: int
    waiting_since: float | None
    last_at: float | None
    last_summary: str | None
    assignee: str | None
    flags: list[str]

    @classmethod
    def of(cls, r: DbRow) -> Row:
        data = {k: r[k] for k in r.keys()}
        try:
            data["flags"] = [str(f) for f in json.loads(data["flags"] or "[]")]
        except ValueError:
            data["flags"] = []
        return cls(**data)


@dataclass(frozen=True)
class Section:
    rows: list[Row]
    total: int


#: A covering index for the per-store counts (4x faster), used once a migration adds:
#: CREATE INDEX conversations_home_counts ON conversations
#:     (store_key, status, unread, waiting_since, assignee)
COUNTS_INDEX = "conversations_home_counts"


class HomeQueries:
    """SQLite's planner needs two nudges here (``NOT INDEXED``, SQLite-only syntax):

    - the per-store counts: without a covering index it walks the unique
      (store_key, platform_conversation_id) index with one table lookup per row,
      twice as slow as simply scanning the table;
    - a keyword: LIKE '%…%' can use no index, and walking ``conversations_waiting``
      with a table lookup per waiting row is slower than one scan and a top-N sort.
    """

    def __init__(self, db: Database, visible: Sequence[str] | None = None) -> None:
        self.db = db
        #: The stores the viewer may see (bot/authz.py); None: every store.
        self.visible = None if visible is None else tuple(visible)
        # Migration 4 made the covering index; the hints are SQLite's syntax only.
        self._covering = True
        self._sqlite = db.dialect == "sqlite"

    @property
    def _no_index(self) -> str:
        return "NOT INDEXED" if self._sqlite else ""

    # -- scope ---------------------------------------------------------------------
    def _scope(self, f: HomeFilters) -> tuple[str, list[Any]]:
        """The filters as a WHERE fragment over ``conversations``."""
        where, args = ["1 = 1"], []
        if self.visible is not None:
            where.append(self._visible_sql("store_key"))
            args += list(self.visible)
        if f.store:  # plainly, so the planner sees the store index's leading column
            where.append("store_key = ?")
            args.append(f.store)
        store_terms = [
            (col, val) for col, val in (("site", f.site), ("platform", f.platform)) if val
        ]
        if store_terms:
            # The store table is small: the sub-select becomes a tiny IN list.
            where.append(
                "store_key IN (SELECT key FROM stores WHERE "
                + " AND ".join(f"{col} = ?" for col, _ in store_terms)
                + ")"
            )
            args += [val for _, val in store_terms]
        if f.assignee == UNASSIGNED:
            where.append("assignee IS NULL")
        elif f.assignee:
            where.append("assignee = ?")
            args.append(f.assignee)
        if f.keyword:
            like = (
                "%" + f.keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            where.append(
                "(buyer_name LIKE ? ESCAPE '\\' OR ref LIKE ? ESCAPE '\\' OR "
                "last_summary LIKE ? ESCAPE '\\' OR buyer_id = ?)"
            )
            args += [like, like, like, f.keyword]
        return " AND ".join(where), args

    # -- counts --------------------------------------------------------------------
    async def store_counts(self, f: HomeFilters) -> dict[str, StoreCount]:
        where, args = self._scope(f)
        # A keyword needs every row anyway: scan. Otherwise an index that narrows
        # (one store, one person) or covers the counts wins over a scan (see above).
        hint = (
            "NOT INDEXED"
            if self._sqlite and (f.keyword or not (self._covering or f.store or f.assignee))
            else ""
        )
        out: dict[str, dict[str, int]] = {}
        for r in await self.db.all(
            "SELECT store_key, status, COUNT(*), SUM(unread), COUNT(waiting_since), "
            "SUM(CASE WHEN assignee IS NULL THEN 1 ELSE 0 END) "
            f"FROM conversations {hint} WHERE {where} "
            "GROUP BY store_key, status",
            *args,
        ):
            c = out.setdefault(r[0], {})
            if r[1] == "open":
                c.update(open=r[2], unread=r[3] or 0, waiting=r[4], unassigned=r[5] or 0)
            else:
                c["closed"] = c.get("closed", 0) + r[2]
        return {k: StoreCount(k, **v) for k, v in out.items()}

    async def stores(self) -> list[DbRow]:
        """Every store (a few hundred at most), in a stable display order."""
        where = "" if self.visible is None else f"WHERE {self._visible_sql('key')} "
        return await self.db.all(
            f"SELECT key, platform, site, name, nickname, health FROM stores {where}"
            "ORDER BY platform, site, COALESCE(nickname, name)",
            *(self.visible or ()),
        )

    def _visible_sql(self, column: str) -> str:
        marks = ", ".join("?" for _ in self.visible or ()) or "NULL"
        return f"{column} IN ({marks})"

    # -- lists ---------------------------------------------------------------------
    async def assigned_to(self, user: str, f: HomeFilters, limit: int) -> Section:
        where, args = self._scope(f)
        base = f"FROM conversations WHERE assignee = ? AND status = 'open' AND {where}"
        rows = await self.db.all(
            f"SELECT {ROW_COLUMNS} {base} {WAITING_ORDER} LIMIT ?", user, *args, limit
        )
        total = await self.db.value(f"SELECT COUNT(*) {base}", user, *args)
        return Section([Row.of(r) for r in rows], total)

    async def unassigned(self, f: HomeFilters, limit: int, total: int) -> Section:
        where, args = self._scope(f)
        if f.keyword:  # one scan and a top-N sort (see above)
            return Section(
                [
                    Row.of(r)
                    for r in await self.db.all(
                        f"SELECT {ROW_COLUMNS} FROM conversations {self._no_index} "
                        "WHERE assignee IS NULL "
                        f"AND status = 'open' AND {where} {WAITING_ORDER} LIMIT ?",
                        *args,
                        limit,
                    )
                ],
                total,
            )
        rows = await self._waiting(f"assignee IS NULL AND {where}", args, limit, f)
        if len(rows) < limit:
            # Then the unassigned nobody is waiting on, newest activity first.
            rows += [
                Row.of(r)
                for r in await self.db.all(
                    f"SELECT {ROW_COLUMNS} FROM conversations WHERE assignee IS NULL AND "
                    f"status = 'open' AND waiting_since IS NULL AND {where} "
                    "ORDER BY last_at DESC, id LIMIT ?",
                    *args,
                    limit - len(rows),
                )
            ]
        return Section(rows, total)

    async def waiting_longest(self, f: HomeFilters, limit: int, total: int) -> Section:
        where, args = self._scope(f)
        return Section(await self._waiting(where, args, limit, f), total)

    async def _waiting(self, where: str, args: list[Any], limit: int, f: HomeFilters) -> list[Row]:
        # Walks conversations_waiting (status, waiting_since) in order and stops at
        # LIMIT; with a keyword, one scan and a top-N sort is cheaper (see above).
        hint = self._no_index if f.keyword else ""
        return [
            Row.of(r)
            for r in await self.db.all(
                f"SELECT {ROW_COLUMNS} FROM conversations {hint} "
                f"WHERE status = 'open' AND waiting_since IS NOT NULL AND {where} "
                "ORDER BY waiting_since, id LIMIT ?",
                *args,
                limit,
            )
        ]

    async def conversation(self, conversation_id: int) -> Row | None:
        r = await self.db.one(
            f"SELECT {ROW_COLUMNS} FROM conversations WHERE id = ?", conversation_id
        )
        if r is None or (self.visible is not None and r["store_key"] not in self.visible):
            return None
        return Row.of(r)

    # -- people --------------------------------------------------------------------
    async def agent(self, user: str) -> tuple[str, int | None]:
        """(status, current conversation); someone never seen is online (the default)."""
        r = await self.db.one(
            "SELECT status, current_conversation_id FROM agents WHERE user_id = ?", user
        )
        return (r[0] or "online", r[1]) if r else ("online", None)

    async def known_agents(self) -> list[str]:
        return [r[0] for r in await self.db.all("SELECT user_id FROM agents ORDER BY user_id")]
