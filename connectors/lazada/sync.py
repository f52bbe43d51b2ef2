"""Repair pulls: everything newer than a persisted cursor, without duplicates.

Lazada revokes the IM permission of apps that poll /im/session/list or
/im/message/list, so this runs only for repair (start-up, after an outage, on
demand), never on a timer. Both lists run newest first and go back in time from
``start_time`` (ms) with ``last_*_id`` as the tie-breaker, 20 per page at most.

A *scan* lists the sessions active since the watermark once, then reads them a
few per page; the cursor carries the sessions still to read, so a large backlog
costs each list call once. Every page holds whole conversations, oldest message
first, so the order within a conversation holds across pages.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors import cursor as codec
from connectors.lazada.client import as_int, truthy
from connectors.lazada.messages import to_inbound
from connectors.models import FetchPage, InboundMessage

log = logging.getLogger(__name__)

PAGE_SIZE = 20  # Lazada's maximum for both lists
SESSION_LIST = "/im/session/list"
MESSAGE_LIST = "/im/message/list"
#: The next scan re-reads this much before the last one ended (ids in ``seen``
#: prevent duplicates): Lazada stamps messages with its own clock, not ours.
OVERLAP_MS = 60_000
#: The session list shows a session at the time of its *last* message: one that a
#: buyer wrote to after ``until`` (a live push during the catch-up) would drop off a
#: list started at ``until``, taking its older unseen messages with it. So the list
#: starts this far ahead; each session's messages are still read up to ``until``.
#: (UNCERTAIN whether Lazada accepts a future start_time; it pages by it the same.)
LIST_AHEAD_MS = 600_000

#: ``api(path, params) -> data`` of a signed GET.
Api = Callable[[str, dict[str, object]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Cursor:
    """Every message sent before ``since_ms`` was delivered, and so were those in
    ``seen`` (id -> send time, all at or after ``since_ms``). While a scan runs,
    ``until_ms`` is its end and ``pending`` the sessions it has still to read, as
    ``[session_id, buyer name, avatar url]``."""

    since_ms: int
    seen: Mapping[str, int] = field(default_factory=dict)
    until_ms: int | None = None
    pending: tuple[tuple[str, str, str], ...] = ()

    def encode(self) -> str:
        return codec.encode(2, {"since_ms": self.since_ms, "seen": dict(self.seen),
                                 "until_ms": self.until_ms, "pending": self.pending})

    @classmethod
    def resume(cls, text: str | None) -> Cursor | None:
        return codec.resume(text, 2, cls._read, what="lazada repair cursor")

    @classmethod
    def _read(cls, raw: dict[str, Any]) -> Cursor:
        until = raw.get("until_ms")
        return cls(
            since_ms=int(raw["since_ms"]),
            seen={str(k): int(v) for k, v in raw.get("seen", {}).items()},
            until_ms=None if until is None else int(until),
            pending=tuple((str(s), str(n), str(a)) for s, n, a in raw.get("pending", [])),
        )


async def walk(
    api: Api, path: str, params: dict[str, object], names: tuple[str, str, str, str],
    stop: Callable[[dict[str, Any]], bool], max_pages: int,
) -> list[dict[str, Any]]:
    """Items newest first until ``stop`` says so. ``names`` = (list, last-id param,
    item id, item time)."""
    list_key, last_key, id_key, time_key = names
    found: list[dict[str, Any]] = []
    for _ in range(max_pages):
        data = await api(path, params)
        items = [i for i in data.get(list_key) or [] if isinstance(i, dict)]
        for item in items:
            if stop(item):
                return found
            found.append(item)
        if not items or not truthy(data.get("has_more")):
            return found
        following: dict[str, object] = {
            **params,
            "start_time": as_int(data.get("next_start_time")) or as_int(items[-1].get(time_key)),
            last_key: data.get(last_key) or items[-1].get(id_key),
        }
        if following == params:
            return found
        params = following
    log.warning("lazada %s: stopped after %d pages", path, max_pages)
    return found


async def _active_sessions(api: Api, since_ms: int, until_ms: int,
                           max_pages: int) -> list[tuple[str, str, str]]:
    sessions = await walk(
        api, SESSION_LIST, {"start_time": until_ms, "page_size": PAGE_SIZE},
        ("session_list", "last_session_id", "session_id", "last_message_time"),
        lambda s: as_int(s.get("last_message_time")) < since_ms, max_pages,
    )
    unique: dict[str, tuple[str, str, str]] = {}
    for s in sessions:
        if s.get("session_id"):
            unique.setdefault(str(s["session_id"]), (str(s["session_id"]),
                                                     str(s.get("title") or ""),
                                                     str(s.get("head_url") or "")))
    return list(reversed(unique.values()))  # least recently active first


async def fetch_since(
    api: Api,
    cursor: str | None,
    *,
    shop_id: str,
    now_ms: int,
    lookback_ms: int,
    max_messages: int,
    max_pages: int = 200,
) -> FetchPage:
    start = Cursor.resume(cursor) or Cursor(now_ms - lookback_ms)
    if start.until_ms is None:
        until = now_ms
        pending = await _active_sessions(api, start.since_ms, until + LIST_AHEAD_MS,
                                         max_pages)
    else:
        until, pending = start.until_ms, list(start.pending)
    seen = dict(start.seen)
    page: list[tuple[int, str, InboundMessage]] = []
    while pending and len(page) < max_messages:
        session_id, name, avatar = pending.pop(0)
        wires = await walk(
            api, MESSAGE_LIST,
            {"session_id": session_id, "start_time": until, "page_size": PAGE_SIZE},
            ("message_list", "last_message_id", "message_id", "send_time"),
            lambda m: as_int(m.get("send_time")) < start.since_ms
            or str(m.get("message_id")) in seen,
            max_pages,
        )
        for wire in wires:
            try:
                message = to_inbound(wire, shop_id=shop_id, buyer_name=name,
                                     buyer_avatar=avatar or None)
            except ValueError:
                continue
            page.append((as_int(wire.get("send_time")), message.message_id, message))
    page.sort(key=lambda entry: (entry[0], entry[1]))
    recent_from = until - OVERLAP_MS
    seen.update({mid: ms for ms, mid, _ in page if ms >= recent_from})
    if pending:
        after = Cursor(start.since_ms, seen, until, tuple(pending))
    else:
        since = max(start.since_ms, recent_from)
        after = Cursor(since, {mid: ms for mid, ms in seen.items() if ms >= since})
    return FetchPage(messages=tuple(m for _, _, m in page), cursor=after.encode(),
                     more=bool(pending))
