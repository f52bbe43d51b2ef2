"""Repair sync: an opaque cursor and the conversation walk behind ``fetch_since``.

Shopee has no "messages since" API. A walk lists conversations newest first
(``direction=older``; the field-reported semantics of ``latest`` are the opposite of
the docs, ``older`` behaves the same under both readings) until it reaches the floor,
then reads each changed conversation newest first until the first message it has
already returned. Conversation timestamps are nanoseconds, message timestamps seconds.

Cursor (JSON): ``f`` list floor (ns): conversations at or below it are unchanged;
``m`` message floor (ns) for conversations we hold no record of (they may have moved
to the top while a previous walk was running); ``t``/``n`` the walk in progress
(top timestamp, list cursor); ``s`` per conversation the newest message returned
(id, seconds). Records older than the message floor are pruned, so the cursor stays
the size of the recent activity.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from connectors import cursor as codec
from connectors.buyer_profile import avatar
from connectors.errors import PermanentError
from connectors.models import Buyer, BuyerId, InboundMessage, ShopId
from connectors.shopee.messages import parse_message, to_ns
from connectors.wire import obj

log = logging.getLogger(__name__)

LIST = "/api/v2/sellerchat/get_conversation_list"
ONE = "/api/v2/sellerchat/get_one_conversation"
MESSAGES = "/api/v2/sellerchat/get_message"
NS = 1_000_000_000

ShopGet = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class SyncSettings:
    # page_size above 25 was observed to return an EMPTY list (UNCERTAIN, see README).
    conversation_page_size: int = 25
    message_page_size: int = 25
    list_direction: str = "older"
    max_list_pages: int = 40
    max_message_pages: int = 20
    overlap: timedelta = timedelta(seconds=60)
    initial_lookback: timedelta = timedelta(days=3)


@dataclass
class SyncCursor:
    list_floor_ns: int
    msg_floor_ns: int
    walk_top_ns: int | None = None
    walk_next: str | None = None
    seen: dict[str, tuple[str, int]] = field(default_factory=dict)

    def encode(self) -> str:
        return codec.encode(1, {"f": self.list_floor_ns, "m": self.msg_floor_ns,
                                 "t": self.walk_top_ns, "n": self.walk_next,
                                 "s": {k: [i, t] for k, (i, t) in self.seen.items()}})

    @classmethod
    def resume(cls, text: str | None) -> SyncCursor | None:
        return codec.resume(text, 1, cls._read, what="shopee sync cursor")

    @classmethod
    def _read(cls, d: dict[str, Any]) -> SyncCursor:
        return cls(list_floor_ns=int(d["f"]), msg_floor_ns=int(d["m"]),
                   walk_top_ns=None if d.get("t") is None else int(d["t"]),
                   walk_next=None if d.get("n") is None else str(d["n"]),
                   seen={str(k): (str(v[0]), int(v[1])) for k, v in d["s"].items()})

    @classmethod
    def fresh(cls, now_ns: int, lookback: timedelta) -> SyncCursor:
        floor = now_ns - int(lookback.total_seconds() * NS)
        return cls(list_floor_ns=floor, msg_floor_ns=floor)


def _sid(value: Any) -> str:
    return "" if value is None else str(value)


def _newer(a: tuple[str, int], b: tuple[str, int]) -> bool:
    if a[1] != b[1]:
        return a[1] > b[1]
    if a[0].isdigit() and b[0].isdigit():
        return int(a[0]) > int(b[0])
    return False


class RepairWalk:
    def __init__(self, get: ShopGet, shop_id: ShopId, settings: SyncSettings) -> None:
        self._get = get
        self._shop = shop_id
        self._s = settings

    async def run(self, cur: SyncCursor, hints: set[str]
                  ) -> tuple[list[InboundMessage], SyncCursor, bool]:
        convs, top, next_cursor, done = await self._list(cur)
        await self._add_hinted(convs, hints)
        out: list[InboundMessage] = []
        for cid, conv in convs.items():
            if cid:
                out.extend(await self._conversation(cid, conv, cur))
        out.sort(key=lambda m: (m.sent_at, int(m.message_id) if m.message_id.isdigit() else 0))
        if not done:
            cur.walk_top_ns, cur.walk_next = top, next_cursor
            return out, cur, True
        overlap = int(self._s.overlap.total_seconds() * NS)
        new_floor = cur.list_floor_ns if top is None else max(cur.list_floor_ns, top - overlap)
        cur.msg_floor_ns, cur.list_floor_ns = cur.list_floor_ns, new_floor
        cur.walk_top_ns = cur.walk_next = None
        prune = cur.msg_floor_ns - overlap
        cur.seen = {k: v for k, v in cur.seen.items() if v[1] * NS >= prune}
        return out, cur, False

    async def _list(self, cur: SyncCursor
                    ) -> tuple[dict[str, dict[str, Any]], int | None, str | None, bool]:
        """Conversations changed above the list floor: (by id, the walk's top
        timestamp, the list cursor to go on from, whether the floor was reached)."""
        s = self._s
        convs: dict[str, dict[str, Any]] = {}
        top, next_cursor = cur.walk_top_ns, cur.walk_next
        for _ in range(s.max_list_pages):
            params: dict[str, Any] = {"direction": s.list_direction, "type": "all",
                                      "page_size": s.conversation_page_size}
            if next_cursor:
                params["next_timestamp_nano"] = next_cursor
            resp = await self._get(LIST, params)
            items = [c for c in resp.get("conversations") or [] if isinstance(c, dict)]
            reached = False
            for conv in items:
                ts = to_ns(conv.get("last_message_timestamp"))
                top = ts if top is None else max(top, ts)
                if ts > cur.list_floor_ns:
                    convs.setdefault(_sid(conv.get("conversation_id")), conv)
                else:
                    reached = True  # pages run newest first: the rest is older still
            page = obj(resp.get("page_result"))
            nxt = _sid(obj(page.get("next_cursor")).get("next_message_time_nano"))
            if reached or not items or not page.get("more") or nxt in ("", "0"):
                return convs, top, next_cursor, True
            next_cursor = nxt
        return convs, top, next_cursor, False

    async def _add_hinted(self, convs: dict[str, dict[str, Any]], hints: set[str]) -> None:
        """Conversations named by lost pushes that the list walk did not bring."""
        for cid in sorted(hints - convs.keys()):
            try:
                conv = await self._get(ONE, {"conversation_id": cid})
            except PermanentError:
                continue  # deleted or not ours any more
            if conv.get("conversation_id"):
                convs[cid] = conv

    def _old(self, m: dict[str, Any], seen: tuple[str, int] | None, floor_ns: int) -> bool:
        mid, ts = _sid(m.get("message_id")), int(m.get("created_timestamp") or 0)
        if seen is None:
            return ts * NS < floor_ns - NS  # seconds truncate: allow one second of slack
        sid, sts = seen
        if mid == sid or ts < sts:
            return True
        return mid.isdigit() and sid.isdigit() and int(mid) <= int(sid)

    async def _conversation(self, cid: str, conv: dict[str, Any], cur: SyncCursor
                            ) -> list[InboundMessage]:
        seen = cur.seen.get(cid)
        raw: dict[str, dict[str, Any]] = {}
        offset = ""
        for _ in range(self._s.max_message_pages):
            params: dict[str, Any] = {"conversation_id": cid,
                                      "page_size": self._s.message_page_size}
            if offset:
                params["offset"] = offset
            resp = await self._get(MESSAGES, params)
            items = [m for m in resp.get("messages") or [] if isinstance(m, dict)]
            stop = False
            for m in items:  # newest first
                if self._old(m, seen, cur.msg_floor_ns):
                    stop = True
                    break
                raw.setdefault(_sid(m.get("message_id")), m)
            offset = _sid((resp.get("page_result") or {}).get("next_offset"))
            if stop or not items or not offset:
                break
        buyer = Buyer(id=BuyerId(_sid(conv.get("to_id"))), name=str(conv.get("to_name") or ""),
                      avatar_url=avatar(conv.get("to_avatar")))
        parsed: list[InboundMessage] = []
        for mid, m in raw.items():
            try:
                parsed.append(parse_message({"conversation_id": cid, **m},
                                            shop_id=self._shop, buyer=buyer))
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("shopee conversation %s: skipping malformed message %s: %s",
                            cid, mid, exc)
            mark = (mid, int(m.get("created_timestamp") or 0))
            if seen is None or _newer(mark, seen):
                seen = mark
        if seen is not None:
            cur.seen[cid] = seen
        return parsed
