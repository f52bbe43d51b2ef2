"""The demo's steps: each waits for something observable, then says whether it happened.

``storebridge demo --once`` exits 0 only if every step recorded here happened.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from bot.demo.narration import Narrator

STEP_TIMEOUT = 15.0
Results = list[tuple[str, bool]]


async def step(n: Narrator, title: str, check: Callable[[], Any], results: Results,
               timeout: float = STEP_TIMEOUT) -> Any:
    """Wait until ``check()`` (sync or async) is truthy; its value, or None on time-out."""
    try:
        value = await wait_until(check, timeout)
    except TimeoutError:
        n.say(f"✗ {title}: did not happen within {timeout:.0f} s")
        results.append((title, False))
        return None
    n.say(f"✓ {title}")
    results.append((title, True))
    return value


async def wait_until(check: Callable[[], Any], timeout: float) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.05)
    raise TimeoutError
