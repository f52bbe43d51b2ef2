"""One aiohttp application: Slack, marketplace pushes, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from bot.service import Service

log = logging.getLogger(__name__)

SERVICE = web.AppKey("service", Service)
MAX_BODY = 1024 * 1024  # pushes and Slack payloads are far smaller; refuse floods


def build_web_app(service: Service, *, manage_lifecycle: bool = True) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app[SERVICE] = service
    app.router.add_post("/slack/events", slack_events)
    app.router.add_post("/webhooks/{platform}", webhook)
    app.router.add_get("/healthz", healthz)
    if manage_lifecycle:
        app.cleanup_ctx.append(_lifecycle)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    service = app[SERVICE]
    await service.start()
    yield
    await service.stop()


async def slack_events(request: web.Request) -> web.Response:
    bolt = request.app[SERVICE].bolt
    return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))


async def webhook(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    body = await request.read()
    # Shopee signs the callback URL as configured with them, which is our public
    # origin plus this path; behind a proxy the URL we see differs.
    public = service.settings.public_url
    url = f"{public.rstrip('/')}{request.path}" if public else str(request.url)
    answer = service.ingest.handle_push(request.match_info["platform"], request.headers,
                                        body, url)
    return web.Response(status=answer.status, body=answer.body,
                        content_type=answer.content_type)


async def healthz(request: web.Request) -> web.Response:
    health = request.app[SERVICE].health()
    # A disconnected store or Slack outage is "degraded", not dead: a platform that
    # restarts unhealthy processes must not restart us for it. Only the database is.
    return web.json_response(health, status=200 if health["database"] == "ok" else 503)
