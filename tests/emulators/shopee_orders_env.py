"""Test helpers for the Shopee order side: an emulator seeded with the samples, and
a push receiver that verifies with the connector exactly as the bot's webhook does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web

from connectors.errors import PushRejected
from connectors.models import PushBatch
from connectors.shopee import ShopeeConnector
from tests.emulators.shopee import SHOP_ID, Env, shopee_env

#: The samples' "now": their list queries end here (time_base 1699990000 + 6000 s).
SAMPLE_NOW = 1_699_996_000


@asynccontextmanager
async def orders_env(session: aiohttp.ClientSession, *, seed: bool = True,
                     emulator_options: dict[str, Any] | None = None,
                     **connector_options: Any) -> AsyncIterator[Env]:
    """``shopee_env`` for the VN sample shop, its clock at the samples' time."""
    async with shopee_env(session, region="VN", emulator_options=emulator_options,
                          **connector_options) as env:
        env.clock.t = SAMPLE_NOW
        if seed:
            env.emulator.seed_order_samples(SHOP_ID)
        yield env


@asynccontextmanager
async def push_receiver(connector: ShopeeConnector, signed_url: str
                        ) -> AsyncIterator[tuple[str, list[PushBatch]]]:
    """A webhook on 127.0.0.1: verifies against ``signed_url``, acks like the bot."""
    batches: list[PushBatch] = []

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            batches.append(connector.verify_push(request.headers, body, signed_url))
        except PushRejected as exc:
            return web.Response(status=exc.status, text=exc.reason)
        return web.Response(status=connector.push_ack.status, body=connector.push_ack.body)

    app = web.Application()
    app.router.add_post("/webhooks/shopee", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/webhooks/shopee", batches
    finally:
        await runner.cleanup()
