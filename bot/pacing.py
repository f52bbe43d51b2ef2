"""Token buckets and backoff: respect limits instead of discovering them."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.clock = clock
        self.stamp = clock()
        self.blocked_until = 0.0

    def wait_time(self) -> float:
        """Seconds until a token is available (0 if one is now)."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if now < self.blocked_until:
            return self.blocked_until - now
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1

    async def acquire(self) -> None:
        """Wait for a token and take it."""
        delay = self.wait_time()
        while delay > 0:  # a Retry-After may arrive while we wait
            await asyncio.sleep(delay)
            delay = self.wait_time()
        self.take()

    def block_for(self, seconds: float) -> None:
        """The server said Retry-After: nothing goes out before then."""
        self.tokens = 0
        self.blocked_until = max(self.blocked_until, self.clock() + seconds)


def backoff(attempt: int, *, base: float = 0.5, cap: float = 30.0,
            retry_after: float | None = None) -> float:
    """Capped exponential backoff with jitter; a server's Retry-After wins."""
    if retry_after is not None:
        return max(0.0, retry_after)
    delay = min(cap, base * (2.0 ** max(0, attempt - 1)))
    return delay * random.uniform(0.8, 1.2)
