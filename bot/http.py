"""One aiohttp application: Slack, marketplace pushes, health."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot import oauth
from bot.health_access import may_see_detail, visible
from bot.logs import request_id_middleware
from bot.request_body import body_timeout, read_body
from bot.service import Service
from bot.slack_ingress import slack_events as checked_slack_events
from bot.socket_mode import SocketModeLink
from bot.store import urgently

log = logging.getLogger(__name__)

SERVICE = web.AppKey("service", Service)
APP_TOKEN = web.AppKey("slack_app_token", str)
SOCKET = web.AppKey("socket_mode_link", SocketModeLink)
STOP_SECONDS = 15
MAX_BODY = 1024 * 1024  # pushes and Slack payloads are far smaller; refuse floods


def build_web_app(service: Service, *, manage_lifecycle: bool = True,
                  socket_mode_token: str | None = None) -> web.Application:
    """With ``socket_mode_token`` Slack's events arrive over Socket Mode (no public
    URL needed for Slack); marketplace webhooks still need this HTTP server. Then
    ``/slack/events`` is mounted only with a real signing secret: without one, bolt
    would verify requests against a placeholder anybody can sign with."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[request_id_middleware])
    app[SERVICE] = service
    if not socket_mode_token or service.settings.slack.signing_secret:
        app.router.add_post("/slack/events", slack_events)
    app.router.add_post("/webhooks/{platform}", webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/healthz/loop", loop_health)
    app.router.add_get("/oauth/{platform}/callback", oauth_callback)
    if manage_lifecycle:
        app.cleanup_ctx.append(_lifecycle)
    if socket_mode_token:
        app[APP_TOKEN] = socket_mode_token
        app.cleanup_ctx.append(_socket_mode)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    service = app[SERVICE]
    await service.start()
    yield
    try:
        # Bounded: a stop step stuck on a peer (an in-flight call) once kept the
        # process alive for good; cancelled, stop() still closes the database.
        await asyncio.wait_for(service.stop(), STOP_SECONDS)
    except TimeoutError:
        log.warning("the service did not stop within %d s; closed what it could",
                    STOP_SECONDS)


async def _socket_mode(app: web.Application) -> AsyncIterator[None]:
    # Started, not awaited: the HTTP side serves while the socket connects.
    link = SocketModeLink(app[SERVICE].bolt, app[APP_TOKEN])
    app[SOCKET] = link
    link.start()
    yield
    await link.close()


async def slack_events(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    return await checked_slack_events(request, service.bolt, service.settings.slack.signing_secret,
                                      body_timeout(service.settings.env))


async def webhook(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    body = await read_body(request, body_timeout(service.settings.env))
    # Shopee signs the callback URL as configured with them, which is our public
    # origin plus this path; behind a proxy the URL we see differs.
    public = service.settings.public_url
    url = f"{public.rstrip('/')}{request.path}" if public else str(request.url)
    platform = request.match_info["platform"]
    # Persisting is shielded: if it outlasts the bound the platform hears 503 and
    # redelivers, while the write still completes (the redelivery is a duplicate,
    # dropped by the unique index). A locked database never holds a push open.
    # Urgent: its writes jump the SQLite writer's queue (bot/store/writer_lock.py).
    work = asyncio.ensure_future(urgently(service.ingest.handle_push(
        platform, request.headers, body, url)))
    try:
        answer = await asyncio.wait_for(asyncio.shield(work), push_bound(platform))
    except TimeoutError:
        work.add_done_callback(_log_late)
        log.warning("%s push not persisted within %.0f ms; answered 503", platform,
                    push_bound(platform) * 1000)
        return web.Response(status=503, text="busy; please redeliver")
    return web.Response(status=answer.status, body=answer.body,
                        content_type=answer.content_type)


#: Seconds a push may take to persist before it is answered 503: under each
#: platform's acknowledgement deadline (Lazada 500 ms, Shopee 2 s, TikTok 3 s).
PUSH_BOUNDS = {"lazada": 0.4, "shopee": 1.5, "tiktok": 2.5}


def push_bound(platform: str) -> float:
    return PUSH_BOUNDS.get(platform, 1.5)


def _log_late(task: asyncio.Future[Any]) -> None:
    if task.cancelled():
        return
    if task.exception() is not None:
        log.warning("a late push failed to persist: %s", task.exception())


async def healthz(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    health = await service.health()
    if SOCKET in request.app:
        socket = health["slack"]["socket_mode"] = await request.app[SOCKET].state()
        if socket["state"] != "connected":
            health["status"] = "degraded"
    shown = visible(health, may_see_detail(service.settings.env,
                                           request.headers.get("Authorization")))
    # A disconnected store or Slack outage is "degraded", not dead: a platform that
    # restarts unhealthy processes must not restart us for it. Only the database is.
    # A busy database (a lock held elsewhere) is waited out, not restarted for.
    return web.json_response(shown, status=503 if health["database"] == "error" else 200)


async def loop_health(request: web.Request) -> web.Response:
    """Event-loop stalls, job tick costs and memory since the last ``?reset=1``."""
    probe = request.app[SERVICE].loop_probe
    body = probe.snapshot()
    if request.query.get("reset") == "1":
        probe.reset()
    return web.json_response(body)


async def oauth_callback(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    platform = request.match_info["platform"]
    try:
        done = await oauth.complete(service.settings, service.store, service.session, platform,
                                    request.query)
    except oauth.AuthorizationError as e:
        return _page(e.status, "Store not connected", e.message)
    for key in done.store_keys:
        await service.on_authorized(key)
    title = "Store connected" if done.store_keys else "Store authorized"
    return _page(200, title, done.message())


def _page(status: int, title: str, text: str) -> web.Response:
    body = (f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>")
    return web.Response(status=status, text=body, content_type="text/html")
