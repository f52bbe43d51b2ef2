"""A reverse proxy that adds a marketplace's round-trip time in front of an emulator:
the real APIs answer in hundreds of milliseconds, so a catch-up takes long enough
for live pushes to arrive while it runs (the emulators answer in one)."""

from __future__ import annotations

import asyncio
from types import TracebackType

import aiohttp
from aiohttp import web

HOP = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}


class LatencyProxy:
    def __init__(self, target: str, latency: float) -> None:
        self.target = target.rstrip("/")
        self.latency = latency
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> LatencyProxy:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._session = aiohttp.ClientSession(auto_decompress=False)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        await asyncio.sleep(self.latency)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        async with self._session.request(
                request.method, self.target + request.path_qs, headers=headers,
                data=await request.read(), allow_redirects=False) as resp:
            body = await resp.read()
            out = {k: v for k, v in resp.headers.items() if k.lower() not in HOP}
            return web.Response(status=resp.status, body=body, headers=out)
