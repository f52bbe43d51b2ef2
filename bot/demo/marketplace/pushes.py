"""At-least-once webhook delivery: one ordered background queue per webhook URL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from connectors.sandbox.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, push_signature

RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushDelivery:
    """One delivery attempt. ``status`` is None when the receiver was unreachable."""

    url: str
    status: int | None
    body: bytes
    attempt: int
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    def payload(self) -> dict[str, Any]:
        data = json.loads(self.body)
        return data if isinstance(data, dict) else {}


def encode_push(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class PushQueue:
    """Delivers bodies to one URL strictly in order, retrying each before the next."""

    def __init__(self, session: aiohttp.ClientSession, url: str, secret: str,
                 log: list[PushDelivery], *, retry_delays: Sequence[float] = RETRY_DELAYS,
                 timeout: float = 5.0) -> None:
        self.url = url
        self._session = session
        self._secret = secret
        self._log = log
        self._retry_delays = tuple(retry_delays)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._worker = asyncio.create_task(self._run(), name=f"sandbox-push {url}")

    def put(self, body: bytes) -> None:
        self._queue.put_nowait(body)

    async def join(self) -> None:
        await self._queue.join()

    async def close(self) -> None:
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker

    async def _run(self) -> None:
        while True:
            body = await self._queue.get()
            try:
                await self._deliver(body)
            except Exception:  # a dead worker would make drain() hang forever
                log.exception("sandbox push to %s failed unexpectedly", self.url)
            finally:
                self._queue.task_done()

    async def _deliver(self, body: bytes) -> None:
        delays = (0.0, *self._retry_delays)
        for attempt, delay in enumerate(delays, start=1):
            if delay:
                await asyncio.sleep(delay)
            if await self._attempt(body, attempt):
                return
        # Given up: the bridge's repair pull is expected to find the message.

    async def _attempt(self, body: bytes, attempt: int) -> bool:
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json",
                   TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: push_signature(self._secret, timestamp, body)}
        try:
            async with self._session.post(self.url, data=body, headers=headers,
                                          timeout=self._timeout) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._log.append(PushDelivery(self.url, None, body, attempt, headers,
                                          error=repr(exc)))
            return False
        self._log.append(PushDelivery(self.url, status, body, attempt, headers))
        return 200 <= status < 300
