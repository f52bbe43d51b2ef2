"""Reading a request body within a time and size budget.

aiohttp waits for a body for as long as the client keeps the socket open, so a
client that sends headers and then trickles bytes would hold a connection (and a
handler) forever. Every route that reads a body goes through here: too slow is 408,
too large is 413 (``client_max_size`` on the application enforces the size).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from aiohttp import web

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0  # seconds for the whole body; Slack and the platforms send in ms


def body_timeout(env: Mapping[str, str]) -> float:
    """``STOREBRIDGE_BODY_TIMEOUT`` (seconds), else :data:`DEFAULT_TIMEOUT`."""
    try:
        value = float(env.get("STOREBRIDGE_BODY_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


async def read_body(request: web.Request, timeout: float) -> bytes:
    """The whole body, or an HTTP error response raised as an exception."""
    try:
        return await asyncio.wait_for(request.read(), timeout)
    except TimeoutError:
        log.warning("%s %s: body not received within %.0f s; answered 408",
                    request.method, request.path, timeout)
        # The rest of the body may never come: close rather than wait to drain it.
        raise web.HTTPRequestTimeout(text="request body too slow",
                                     headers={"Connection": "close"}) from None
