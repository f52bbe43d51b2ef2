"""Pushes Shopee failed to deliver (kept 3 days): hints of conversations to re-read.

The API is per partner app, not per shop: hints for other shops wait in memory for
their own repair pull. That is safe because every store's conversation walk finds
the same messages anyway; the lost-push list only makes sure a conversation is
looked at.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from connectors.backoff import Backoff, Sleep
from connectors.errors import ConnectorError
from connectors.shopee.client import ShopeeHttp

log = logging.getLogger(__name__)

LOST = "/api/v2/push/get_lost_push_message"
CONFIRM_LOST = "/api/v2/push/confirm_consumed_lost_push_message"
MAX_PAGES = 10


class LostPushes:
    def __init__(self, http: ShopeeHttp, *, backoff: Backoff, sleep: Sleep, timeout: float,
                 enabled: bool) -> None:
        self._http = http
        self._backoff = backoff
        self._sleep = sleep
        self._timeout = timeout
        self._enabled = enabled
        self._lock = asyncio.Lock()
        #: shop id -> conversation ids named by lost pushes, not yet re-read
        self.hints: dict[str, set[str]] = {}

    async def drain(self, base: str) -> None:
        """Read (and confirm) the lost pushes; a failure only logs: the walk goes on."""
        if not self._enabled:
            return
        async with self._lock:
            for _ in range(MAX_PAGES):
                if not await self._page(base):
                    return

    async def _page(self, base: str) -> bool:
        """One page; True when there is another to read."""
        try:
            data = await self._backoff.run(
                lambda: self._http.call(base, LOST, method="POST", body={},
                                        read_timeout=self._timeout),
                sleep=self._sleep, label="shopee lost pushes")
        except ConnectorError as exc:
            log.warning("shopee lost-push list unavailable: %s", exc)
            return False
        items = data.get("push_message_list") or []
        for item in items:
            self._note(item)
        last = data.get("last_message_id")
        if items and last is not None:
            try:
                await self._http.call(base, CONFIRM_LOST, method="POST",
                                      body={"last_message_id": int(last)},
                                      read_timeout=self._timeout)
            except (ConnectorError, ValueError) as exc:
                log.warning("shopee lost-push confirm failed: %s", exc)
                return False
        return bool(items) and bool(data.get("has_next_page"))

    def _note(self, item: Any) -> None:
        if not isinstance(item, dict) or item.get("code") != 10:
            return
        data = item.get("data")
        try:
            payload = json.loads(data) if isinstance(data, str) else data  # a JSON *string*
            if not isinstance(payload, dict):
                return
            content = payload["data"]["content"]
            cid = str(content["conversation_id"])
            shop = str(item.get("shop_id") or payload.get("shop_id"))
        except (ValueError, TypeError, KeyError):
            return
        self.hints.setdefault(shop, set()).add(cid)

    def take(self, shop_id: str) -> set[str]:
        return self.hints.pop(shop_id, set())

    def give_back(self, shop_id: str, hints: set[str]) -> None:
        self.hints.setdefault(shop_id, set()).update(hints)
