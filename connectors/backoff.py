"""Waiting out a marketplace's "slow down": one policy for every connector.

A server's ``Retry-After`` is honoured: a retry never goes out sooner than it asks
(jitter only ever adds), and a wait longer than ``cap`` is not slept here nor cut
short: the error goes to the caller with the hint intact, and the bot's queue waits
it out. Without a hint the wait grows exponentially up to ``cap``. When the retries
run out the error is raised as it came: no hint is invented, so the bot's own
growing backoff decides (a made-up fixed hint would stop that growth).

Only :class:`RateLimited` is retried here: the request was refused, not executed,
so even a send is safe to repeat.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from connectors.errors import RateLimited

log = logging.getLogger(__name__)
T = TypeVar("T")

Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class Backoff:
    """Bounded, capped, jittered retries of rate-limit answers."""

    retries: int = 3  # tries after the first
    base: float = 0.5  # first wait without a hint, doubled each retry
    cap: float = 10.0  # the longest wait we block for; a longer hint goes to the caller
    jitter: float = 0.25  # up to +25 % random extra per wait

    def delay(self, attempt: int, retry_after: float | None, rand: float) -> float | None:
        """Seconds to wait before retry ``attempt`` (0-based); None: give up now.
        ``rand`` is a number in [0, 1)."""
        if attempt >= self.retries:
            return None
        if retry_after is not None:
            if retry_after > self.cap:
                return None
            wait = max(0.0, retry_after)
        else:
            wait = min(self.cap, self.base * 2**attempt)
        return wait * (1.0 + self.jitter * rand)

    async def run(
        self,
        call: Callable[[], Awaitable[T]],
        *,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        never: tuple[type[RateLimited], ...] = (),
        label: str = "",
    ) -> T:
        """``call``, retried on :class:`RateLimited` (but never on the ``never``
        kinds, such as a daily quota)."""
        attempt = 0
        while True:
            try:
                return await call()
            except RateLimited as exc:
                if isinstance(exc, never):
                    raise
                wait = self.delay(attempt, exc.retry_after, rand())
                if wait is None:
                    raise
                log.info("%s rate limited (%s); retrying in %.2fs", label or "call",
                         exc.code, wait)
                attempt += 1
                await sleep(wait)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait: the header is either a number of seconds or an HTTP date
    (RFC 9110 10.2.3); anything else is no hint."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError):
        return None
