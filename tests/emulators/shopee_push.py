"""Webchat push (code 10) as Shopee sends it, and its strict ack rule.

Implemented independently of the connector on purpose: the emulator must catch a
connector that signs or verifies the wrong bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp

HEALTH_WINDOW = 6 * 3600


def compact(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def push_authorization(partner_key: str, callback_url: str, body: bytes) -> str:
    return hmac.new(partner_key.encode(), callback_url.encode() + b"|" + body,
                    hashlib.sha256).hexdigest()


def webchat_payload(content: dict[str, Any], shop_id: int, region: str, now: int,
                    data_type: str = "message") -> dict[str, Any]:
    return {"msg_id": "", "data": {"type": data_type, "region": region, "content": content},
            "shop_id": shop_id, "code": 10, "timestamp": now}


@dataclass
class Attempt:
    status: int | None
    body: bytes
    elapsed: float
    ok: bool
    error: str = ""


@dataclass
class Delivery:
    body: bytes
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return any(a.ok for a in self.attempts)


class PushSender:
    """Posts signed pushes; a push counts only if answered 2xx with an EMPTY body
    within the timeout (2 s for webchat), else it is retried after 1, 2 and 3 s."""

    def __init__(self, partner_key: str, *, callback_url: str, deliver_to: str | None = None,
                 timeout: float = 2.0, retry_delays: tuple[float, ...] = (1.0, 2.0, 3.0),
                 health_min_pushes: int = 600) -> None:
        self.partner_key = partner_key
        self.callback_url = callback_url
        self.deliver_to = deliver_to or callback_url
        self.timeout = timeout
        self.retry_delays = retry_delays
        self.health_min_pushes = health_min_pushes
        self.deliveries: list[Delivery] = []
        self._outcomes: deque[tuple[float, bool]] = deque()
        self.suspended = False

    def signed(self, body: bytes) -> dict[str, str]:
        return {"Authorization": push_authorization(self.partner_key, self.callback_url, body),
                "Content-Type": "application/json"}

    @property
    def live_push_status(self) -> str:
        if self.suspended:
            return "Suspended"
        now = time.monotonic()
        while self._outcomes and self._outcomes[0][0] < now - HEALTH_WINDOW:
            self._outcomes.popleft()
        total = len(self._outcomes)
        if total > self.health_min_pushes:
            rate = sum(ok for _, ok in self._outcomes) / total
            if rate < 0.3:
                self.suspended = True  # pushes missed while disabled are not redelivered
                return "Suspended"
            if rate < 0.7:
                return "Warning"
        return "Normal"

    async def deliver(self, session: aiohttp.ClientSession, body: bytes) -> Delivery:
        delivery = Delivery(body)
        if self.live_push_status == "Suspended":
            return delivery
        self.deliveries.append(delivery)
        for delay in (0.0, *self.retry_delays):
            if delay:
                await asyncio.sleep(delay)
            attempt = await self._attempt(session, body)
            delivery.attempts.append(attempt)
            if attempt.ok:
                break
        self._outcomes.append((time.monotonic(), delivery.ok))
        return delivery

    async def _attempt(self, session: aiohttp.ClientSession, body: bytes) -> Attempt:
        started = time.monotonic()
        try:
            async with session.post(self.deliver_to, data=body, headers=self.signed(body),
                                    timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                answer = await resp.read()
                status = resp.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            return Attempt(None, b"", time.monotonic() - started, False, repr(exc))
        elapsed = time.monotonic() - started
        # {"ok": true} with 200 is a FAILURE for Shopee: the body must be empty.
        ok = 200 <= status < 300 and answer == b"" and elapsed <= self.timeout
        return Attempt(status, answer, elapsed, ok)
