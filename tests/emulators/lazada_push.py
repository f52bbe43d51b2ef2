"""Push delivery of the Lazada emulator: signed like Lazada, judged like Lazada.

A push counts as delivered only on HTTP 200 within 500 ms (the body is ignored).
A failure is retried (every 30 min, 12 times at most: one round per
:meth:`retry_pushes`), and pushing stops when more than half of them fail.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from connectors.lazada.signing import push_signature
from tests.emulators.lazada_state import LazadaState, Message, Session


@dataclass
class PushAttempt:
    payload: dict[str, Any]
    ok: bool
    status: int | None
    elapsed: float
    attempt: int


@dataclass
class PushDelivery:
    body: bytes
    payload: dict[str, Any]
    attempts: int = 0


class PushMixin:
    app_key: str
    app_secret: str
    state: LazadaState
    push_url: str | None
    push_timeout: float
    push_max_retries: int
    push_log: list[PushAttempt]
    push_disabled: bool
    _pending: list[PushDelivery]
    _http: aiohttp.ClientSession | None

    def message_payload(self, message: Message) -> dict[str, Any]:
        session = self.state.sessions[message.session_id]
        return {"seller_id": session.seller.seller_id, "message_type": 2,
                "data": message.wire(), "timestamp": self.state.now_ms(),
                "site": f"lazada_{session.seller.country}"}

    def session_update_payload(self, session: Session) -> dict[str, Any]:
        return {"seller_id": session.seller.seller_id, "message_type": 19,
                "data": {"sync_type": "SESSION_UPDATE", "user_account_id": session.seller.user_id,
                         "user_account_type": 2, "session_id": session.session_id,
                         "unread_count": session.unread(), "to_position": session.to_position,
                         "self_position": session.self_position,
                         "site_id": session.seller.site_id},
                "timestamp": self.state.now_ms(), "site": f"lazada_{session.seller.country}"}

    def sign_push(self, payload: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self._push_headers(body), body

    def _push_headers(self, body: bytes) -> dict[str, str]:
        return {"Authorization": push_signature(self.app_key, self.app_secret, body),
                "Content-Type": "application/json"}

    async def push(self, payload: dict[str, Any], url: str | None = None) -> bool:
        """Deliver one push now; a failure is queued for :meth:`retry_pushes`."""
        _, body = self.sign_push(payload)
        return await self._deliver(PushDelivery(body, payload), url or self.push_url)

    async def retry_pushes(self, url: str | None = None) -> int:
        """One retry round of every failed push; returns how many got through."""
        pending, self._pending = self._pending, []
        delivered = 0
        for delivery in pending:
            delivered += await self._deliver(delivery, url or self.push_url)
        return delivered

    def auto_push(self, payload: dict[str, Any]) -> None:
        if self.push_url:
            asyncio.get_running_loop().create_task(self.push(payload))

    async def _deliver(self, delivery: PushDelivery, url: str | None) -> bool:
        if self.push_disabled or not url or self._http is None:
            return False
        delivery.attempts += 1
        started, status = time.monotonic(), None
        try:
            async with self._http.post(
                url, data=delivery.body, headers=self._push_headers(delivery.body),
                timeout=aiohttp.ClientTimeout(total=self.push_timeout),
            ) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            pass
        elapsed = time.monotonic() - started
        ok = status == 200 and elapsed <= self.push_timeout
        self.push_log.append(PushAttempt(delivery.payload, ok, status, elapsed,
                                         delivery.attempts))
        if not ok and delivery.attempts <= self.push_max_retries:
            self._pending.append(delivery)
        failures = sum(1 for attempt in self.push_log if not attempt.ok)
        if len(self.push_log) >= 10 and failures * 2 > len(self.push_log):
            self.push_disabled = True
        return ok
