"""How well the event loop keeps up: the longest stall, each job's tick cost, RSS.

One coroutine sleeps ``interval`` seconds again and again; the time it wakes up
late is the time something held the loop (a stall delays every webhook ack and
every Slack event behind it). Periodic jobs are timed through :meth:`timed`.
``GET /healthz/loop`` shows it; ``?reset=1`` starts a new measuring window.
"""

from __future__ import annotations

import asyncio
import functools
import resource
import time
from collections.abc import Awaitable, Callable
from typing import Any

STALL_BUCKETS_MS = (10, 50, 100, 500)


class LoopProbe:
    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self.started = time.monotonic()
        self.reset()

    def reset(self) -> None:
        self.max_stall = 0.0
        self.stalls_over = dict.fromkeys(STALL_BUCKETS_MS, 0)
        self.jobs: dict[str, dict[str, float]] = {}
        self.window_start = time.monotonic()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="loop-probe")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval)
            late = loop.time() - before - self.interval
            self.max_stall = max(self.max_stall, late)
            for ms in STALL_BUCKETS_MS:
                if late * 1000 > ms:
                    self.stalls_over[ms] += 1

    def timed(self, name: str, job: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """``job`` with each run's wall time recorded under ``name``."""
        @functools.wraps(job)
        async def run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await job(*args, **kwargs)
            finally:
                took = time.perf_counter() - start
                stats = self.jobs.setdefault(name, {"runs": 0, "total_ms": 0.0, "max_ms": 0.0})
                stats["runs"] += 1
                stats["total_ms"] += took * 1000
                stats["max_ms"] = max(stats["max_ms"], took * 1000)
        return run

    def snapshot(self) -> dict[str, Any]:
        return {
            "window_seconds": round(time.monotonic() - self.window_start, 1),
            "max_stall_ms": round(self.max_stall * 1000, 1),
            "stalls_over_ms": {str(k): v for k, v in self.stalls_over.items()},
            "jobs": {k: {"runs": int(v["runs"]), "mean_ms": round(v["total_ms"] / v["runs"], 1),
                         "max_ms": round(v["max_ms"], 1)} for k, v in self.jobs.items()},
            "rss_mb": round(rss_bytes() / 2**20, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


def rss_bytes() -> int:
    """Resident memory now (Linux /proc; the peak from getrusage elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
