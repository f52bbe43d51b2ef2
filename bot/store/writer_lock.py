"""The SQLite writer's lock, with a fast lane for work a caller waits on.

One connection writes, so every write queues for it. A FIFO queue made a
marketplace push (answered within Lazada's 500 ms) wait behind a start-up's 500
repair syncs and the Slack outbox's bookkeeping: the bench measured push acks
of 1.8 s with the writer busy only a quarter of the time. Work done for a
request someone is waiting on (a push, a Slack request, ``/healthz``) marks its
task urgent with :func:`urgent`; the lock hands itself to urgent waiters first,
then to the others in arrival order. Background work only waits longer: it is
never skipped, because urgent work comes in short transactions.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TypeVar

T = TypeVar("T")

#: The task whose statements go first: set in that task, so tasks it spawns
#: (which copy its context) are not urgent themselves.
_URGENT: contextvars.ContextVar[asyncio.Task[object] | None] = contextvars.ContextVar(
    "sb_urgent", default=None)


@contextmanager
def urgent() -> Iterator[None]:
    """Statements of the current task, inside this block, jump the writer's queue."""
    token = _URGENT.set(asyncio.current_task())
    try:
        yield
    finally:
        _URGENT.reset(token)


async def urgently(work: Awaitable[T]) -> T:
    """Await ``work`` as urgent work (wrap a request's handler in it where its task
    starts: ``asyncio.ensure_future(urgently(handle(...)))``)."""
    with urgent():
        return await work


def is_urgent() -> bool:
    task = _URGENT.get()
    return task is not None and task is asyncio.current_task()


class WriterLock:
    """An asyncio lock with two queues; ``async with lock:`` like asyncio.Lock."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        return self._held

    async def acquire(self) -> None:
        if not self._held:  # free: whoever is queued was handed it or was cancelled
            self._held = True
            return
        queue = self._urgent if is_urgent() else self._normal
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter in queue:
                queue.remove(waiter)
            elif not waiter.cancelled():
                self.release()  # handed the lock as it was cancelled: pass it on
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # ownership passes on; _held stays True
                    return
        self._held = False

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.release()
