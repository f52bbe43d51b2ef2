"""Socket Mode beside the HTTP server, never in front of it.

slack_sdk's ``connect()`` retries a failed first connection forever, so awaiting it
at start-up would keep the webhooks, OAuth callbacks and ``/healthz`` down for as
long as Slack (or a wrong app token) says no. The connection is therefore made in
the background and its state is reported by ``/healthz``: ``connecting``,
``connected`` or ``failed`` with Slack's error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class SocketModeLink:
    """Connects ``bolt`` over Socket Mode with backoff; ``state()`` says how it goes."""

    def __init__(self, bolt: AsyncApp, app_token: str, *, first_retry: float = 1.0,
                 max_retry: float = 60.0) -> None:
        self.handler = AsyncSocketModeHandler(bolt, app_token)
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.error: str | None = None
        self.attempts = 0
        self._connected_once = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="socket-mode-connect")

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.handler.close_async()  # type: ignore[no-untyped-call]  # slack_bolt's, untyped

    async def state(self) -> dict[str, Any]:
        if self._connected_once:
            # After the first connection the SDK reconnects by itself (refreshes,
            # dropped links); between two sessions it is "connecting" again.
            up = await self.handler.client.is_connected()
            return {"state": "connected" if up else "connecting", "error": None}
        if self.error:
            return {"state": "failed", "error": self.error, "attempts": self.attempts}
        return {"state": "connecting", "error": None}

    async def _run(self) -> None:
        client = self.handler.client
        delay = self.first_retry
        while True:
            self.attempts += 1
            try:
                # Asking for the URL ourselves surfaces Slack's answer (invalid_auth,
                # not_allowed_token_type...) instead of the SDK's silent retry loop.
                client.wss_uri = await client.issue_new_wss_url()
                await self.handler.connect_async()  # type: ignore[no-untyped-call]  # slack_bolt, untyped
            except SlackApiError as e:
                self.error = str(e.response.get("error") or e)
            except (TimeoutError, OSError, ValueError) as e:
                self.error = f"{type(e).__name__}: {e}"
            except Exception as e:  # noqa: BLE001 - any failure is reported, then retried
                self.error = f"{type(e).__name__}: {e}"
            else:
                self._connected_once, self.error = True, None
                log.info("Socket Mode connected")
                return
            log.warning("Socket Mode: cannot connect (%s); retrying in %.0f s", self.error,
                        delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry)
