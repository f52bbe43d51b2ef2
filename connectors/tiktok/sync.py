"""Repair sync: every message since an opaque cursor, each delivered once.

TikTok has no "messages since" query, so one *sweep* walks the conversation list
(``page_size`` <= 20) and, for each conversation touched since the floor ``f``,
reads its messages newest first (``page_size`` <= 10) down to ``f``. A sweep
covers the window ``[f, t]`` fixed when it starts; messages newer than ``t`` wait
for the next sweep. Ids at exactly ``f`` that were already delivered are kept in
the cursor, so an equal timestamp never yields a duplicate. A sweep may span
several calls; the cursor remembers the list position and the conversations done.

A conversation that gets a message while the walk is under way jumps to the
front of the list and could be skipped by the paging; so once the walk ends, the
front of the list is read again until it shows nothing newer than ``t``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from connectors import cursor as codec
from connectors.errors import TransientError
from connectors.models import FetchPage, InboundMessage
from connectors.tiktok.messages import buyer_from_participants, to_inbound

log = logging.getLogger(__name__)

CONVERSATIONS = "/customer_service/202309/conversations"
CONVERSATION_PAGE = 20  # the API's maximum
MESSAGE_PAGE = 10  # the API's maximum
Get = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass
class Sweep:
    top: int
    phase: str = "list"  # "list", then "recheck" from the front
    token: str = ""
    done: list[str] = field(default_factory=list)
    top_ids: list[str] = field(default_factory=list)


@dataclass
class Cursor:
    floor: int
    floor_ids: list[str] = field(default_factory=list)
    sweep: Sweep | None = None

    def encode(self) -> str:
        s = self.sweep
        doc: dict[str, Any] = {"f": self.floor, "fi": self.floor_ids}
        if s is not None:
            doc["s"] = {"t": s.top, "ph": s.phase, "tok": s.token, "done": s.done,
                        "ti": s.top_ids}
        return codec.encode(1, doc)

    @classmethod
    def resume(cls, text: str | None) -> Cursor | None:
        return codec.resume(text, 1, cls._read, what="tiktok repair cursor")

    @classmethod
    def _read(cls, doc: dict[str, Any]) -> Cursor:
        s = doc.get("s")
        sweep = None if s is None else Sweep(
            top=int(s["t"]), phase=str(s["ph"]), token=str(s["tok"]),
            done=[str(x) for x in s["done"]], top_ids=[str(x) for x in s["ti"]])
        return cls(floor=int(doc["f"]), floor_ids=[str(x) for x in doc["fi"]], sweep=sweep)

    def copy(self) -> Cursor:
        return codec.decode(self.encode(), 1, Cursor._read, what="tiktok repair cursor")


def _latest_time(conversation: dict[str, Any]) -> int:
    latest = conversation.get("latest_message")
    try:
        return int(latest["create_time"]) if isinstance(latest, dict) else 0
    except (KeyError, TypeError, ValueError):
        return 0


def _order_key(m: InboundMessage) -> tuple[float, int, str]:
    index = m.raw.get("index") or m.raw.get("copy") or 0
    try:
        order = int(index)
    except (TypeError, ValueError):
        order = 0
    return (m.sent_at.timestamp(), order, m.message_id)


class RepairSync:
    def __init__(self, get: Get, *, shop_id: str, initial_lookback: float,
                 settle_seconds: float, newest_first: bool, max_calls: int,
                 clock: Callable[[], float] = time.time) -> None:
        self._get = get
        self._shop_id = shop_id
        self._lookback = initial_lookback
        self._settle = settle_seconds
        self._newest_first = newest_first
        self._max_calls = max_calls
        self._clock = clock
        self._calls = 0

    def _start(self, cursor: str | None) -> Cursor:
        now = self._clock()
        state = Cursor.resume(cursor)
        if state is None:
            state = Cursor(floor=int(now - self._lookback))
        if state.sweep is None:
            state.sweep = Sweep(top=max(state.floor, int(now - self._settle)))
        return state

    async def fetch(self, cursor: str | None) -> FetchPage:
        state = self._start(cursor)
        committed, delivered = state.copy(), []
        try:
            while state.sweep is not None and self._calls < self._max_calls:
                delivered.extend(await self._page(state))
                committed = state.copy()
        except TransientError:
            if not delivered:
                raise
            # Keep what whole pages brought (the cursor stays at that boundary);
            # the error comes back on the next call.
            log.info("TikTok repair sync stopped early; returning %d messages", len(delivered))
            state = committed
        delivered.sort(key=_order_key)
        return FetchPage(messages=tuple(delivered), cursor=state.encode(),
                         more=state.sweep is not None)

    async def _page(self, state: Cursor) -> list[InboundMessage]:
        sweep = state.sweep
        assert sweep is not None
        params: dict[str, Any] = {"page_size": CONVERSATION_PAGE}
        if sweep.token:  # never send an empty parameter: SDKs sign those differently
            params["page_token"] = sweep.token
        data = await self._call(CONVERSATIONS, params)
        conversations = [c for c in data.get("conversations") or [] if isinstance(c, dict)]
        out: list[InboundMessage] = []
        for conv in conversations:
            out.extend(await self._read_if_touched(state, sweep, conv))
        self._advance(state, sweep, conversations, str(data.get("next_page_token") or ""))
        return out

    async def _read_if_touched(self, state: Cursor, sweep: Sweep, conv: dict[str, Any]
                               ) -> list[InboundMessage]:
        cid = str(conv.get("id") or "")
        if not cid or cid in sweep.done or _latest_time(conv) < state.floor:
            return []
        found = await self._conversation(conv, cid, state.floor, sweep.top, state.floor_ids)
        sweep.done.append(cid)
        sweep.top_ids.extend(m.message_id for m in found
                             if int(m.sent_at.timestamp()) == sweep.top)
        return found

    def _advance(self, state: Cursor, sweep: Sweep, conversations: list[dict[str, Any]],
                 next_token: str) -> None:
        """The walk's next position: the next list page, the recheck from the front,
        or the sweep's end (its top becomes the next floor)."""
        if sweep.phase == "list":
            stale = self._newest_first and all(_latest_time(c) < state.floor
                                               for c in conversations)
            if not next_token or stale:
                sweep.phase, sweep.token = "recheck", ""
            else:
                sweep.token = next_token
        elif not next_token or all(_latest_time(c) <= sweep.top for c in conversations):
            # A sweep that ends in its floor's second keeps the older ids at that second.
            carried = state.floor_ids if sweep.top == state.floor else []
            state.floor, state.floor_ids = sweep.top, carried + sweep.top_ids
            state.sweep = None
        else:
            sweep.token = next_token

    async def _conversation(self, conv: dict[str, Any], cid: str, floor: int, top: int,
                            floor_ids: list[str]) -> list[InboundMessage]:
        buyer = buyer_from_participants(conv.get("participants"))
        path = f"{CONVERSATIONS}/{cid}/messages"
        seen = set(floor_ids)
        found: list[InboundMessage] = []
        token = ""
        while True:
            params: dict[str, Any] = {"page_size": MESSAGE_PAGE, "sort_order": "DESC",
                                      "sort_field": "create_time"}
            if token:
                params["page_token"] = token
            data = await self._call(path, params)
            messages = [m for m in data.get("messages") or [] if isinstance(m, dict)]
            reached_floor = False
            for wire in messages:
                try:
                    created = int(wire["create_time"])
                    mid = str(wire["id"])
                except (KeyError, TypeError, ValueError):
                    log.warning("TikTok message without id or time in %s skipped", cid)
                    continue
                if created < floor:
                    reached_floor = True
                    continue
                # Invisible items (rating requests...) are never shown to agents.
                if created > top or mid in seen or wire.get("is_visible") is False:
                    continue
                seen.add(mid)
                found.append(to_inbound(wire, shop_id=self._shop_id, conversation_id=cid,
                                        buyer=buyer))
            token = str(data.get("next_page_token") or "")
            if reached_floor or not token or not messages:
                return found

    async def _call(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        self._calls += 1
        return await self._get(path, params)
