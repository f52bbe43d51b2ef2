"""Webhook deliveries from the TikTok emulator, judged the way TikTok judges acks:
HTTP 200 (or 401) with an EMPTY body within 3 s; otherwise retried after 2 min,
30 min, 3 h and 12 h, then dropped."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.emulators.tiktok_state import Conversation, Message, TikTokState

RETRY_SCHEDULE = (120, 1800, 3 * 3600, 12 * 3600)


@dataclass
class Attempt:
    status: int | None
    body: bytes
    seconds: float
    acked: bool
    error: str = ""


@dataclass
class Delivery:
    notification_id: str
    push_type: int
    headers: dict[str, str]
    body: bytes
    attempts: list[Attempt] = field(default_factory=list)
    next_due: float | None = None  # emulator clock; None: acked or given up

    @property
    def acked(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].acked


def sign(app_key: str, app_secret: str, body: bytes) -> str:
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


class PushSender:
    def __init__(self, state: TikTokState, *, ack_timeout: float = 3.0) -> None:
        self.state = state
        self.url: str | None = None
        self.ack_timeout = ack_timeout
        self.deliveries: list[Delivery] = []
        self._session: aiohttp.ClientSession | None = None

    def build(self, shop_id: str, push_type: int,
              data: dict[str, Any]) -> tuple[dict[str, str], bytes]:
        envelope = {"type": push_type, "tts_notification_id": self.state.new_id(),
                    "shop_id": shop_id, "timestamp": self.state.now(), "data": data}
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Authorization": sign(self.state.app_key, self.state.app_secret, body),
                   "Content-Type": "application/json"}
        return headers, body

    def new_message(self, conv: Conversation, msg: Message) -> tuple[dict[str, str], bytes]:
        # The push names the sender by IM id and role only (no nickname, no user_id).
        data = {"message_id": msg.id, "index": msg.index, "conversation_id": conv.id,
                "type": msg.type, "content": msg.content, "create_time": msg.create_time,
                "is_visible": msg.is_visible,
                "sender": {"im_user_id": msg.sender.im_user_id, "role": msg.role}}
        return self.build(conv.shop_id, 14, data)

    def new_conversation(self, conv: Conversation) -> tuple[dict[str, str], bytes]:
        return self.build(conv.shop_id, 13,
                          {"conversation_id": conv.id, "create_time": self.state.now()})

    async def deliver(self, headers: dict[str, str], body: bytes) -> Delivery:
        envelope = json.loads(body)
        # Type 3 comes without tts_notification_id in the doc's sample.
        delivery = Delivery(str(envelope.get("tts_notification_id", "")), envelope["type"],
                            headers, body)
        self.deliveries.append(delivery)
        await self._attempt(delivery)
        return delivery

    async def run_due(self, now: float | None = None) -> list[Delivery]:
        """Retry every failed delivery whose time has come (pass a future ``now``)."""
        at = self.state.clock() if now is None else now
        due = [d for d in self.deliveries if d.next_due is not None and d.next_due <= at]
        for d in due:
            await self._attempt(d)
        return due

    async def _attempt(self, delivery: Delivery) -> None:
        if self.url is None:
            raise RuntimeError("emulator has no webhook URL configured")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        started = time.monotonic()
        try:
            async with self._session.post(
                    self.url, data=delivery.body, headers=delivery.headers,
                    timeout=aiohttp.ClientTimeout(total=self.ack_timeout)) as resp:
                reply = await resp.read()
                seconds = time.monotonic() - started
                acked = resp.status in (200, 401) and reply == b""
                attempt = Attempt(resp.status, reply, seconds, acked)
        except (TimeoutError, aiohttp.ClientError) as exc:
            attempt = Attempt(None, b"", time.monotonic() - started, False, type(exc).__name__)
        delivery.attempts.append(attempt)
        failures = sum(1 for a in delivery.attempts if not a.acked)
        if attempt.acked or failures > len(RETRY_SCHEDULE):
            delivery.next_due = None
        else:
            delivery.next_due = self.state.clock() + RETRY_SCHEDULE[failures - 1]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
