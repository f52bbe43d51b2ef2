"""A browser view of the Slack stand-in: watch the demo and click in it.

One page (plain HTML/JS/CSS in ``web/``, no build step) shows one user's
workspace — channels, threads, reactions, ephemerals, the open modal — from
the Block Kit the bot sent, kept live over server-sent events.  What the user
does in the page goes through the simulator's user actions (``user_posts``,
``user_clicks``, ``user_acts_in_view``, …), so the bot receives the same
signed events and interactions it would from Slack.

Bound to 127.0.0.1 only.  Actions must be ``application/json`` POSTs: a
cross-site form cannot send that without a CORS preflight, which is never
granted, so another web page cannot click buttons on the user's behalf.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .slack_payloads import Delivery
from .slack_web_views import close_views
from .web_snapshot import signature, snapshot

if TYPE_CHECKING:
    from .slack_api import SlackEmulator

STATIC = Path(__file__).parent / "web"
TICK = 0.2  # how often a live page checks for changes (s)
KEEPALIVE = 15.0
Action = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
#: name -> (button label, what it does): knobs of the world around Slack (the
#: sandbox marketplace), shown apart from the Slack view so they are not mistaken for it.
Controls = dict[str, tuple[str, Callable[[], Any]]]


class BadRequest(Exception):
    """The page sent something the stand-in cannot act on: answered 400."""


def _text(body: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
    value = body.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{key!r} must be a non-empty string")
    return value


def _answer(delivery: Delivery) -> dict[str, Any]:
    """What the app answered, for the page to show (errors of a modal, say)."""
    return {"ok": delivery.ok, "status": delivery.status, "error": delivery.error,
            "json": delivery.json if isinstance(delivery.json, dict) else None}


class WebView:
    """Serve the stand-in's workspace as ``user_id`` sees it, on 127.0.0.1."""

    def __init__(self, slack: SlackEmulator, user_id: str,
                 controls: Controls | None = None) -> None:
        self.slack = slack
        self.user_id = user_id
        self.controls = dict(controls or {})
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._local = 0  # changes made here that the workspace signature cannot see

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/events", self._events)
        actions: dict[str, Action] = {
            "post": self._post, "command": self._command, "click": self._click,
            "shortcut": self._shortcut, "options": self._options, "view_act": self._view_act,
            "view_submit": self._view_submit, "view_close": self._view_close,
            "control": self._control,
        }
        for name, action in actions.items():
            app.router.add_post(f"/api/{name}", self._guarded(action))
        return app

    async def start(self, port: int = 0) -> str:
        self._runner = web.AppRunner(self.app(), shutdown_timeout=0.2, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- pages -----------------------------------------------------------------------------
    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    def _snapshot(self) -> dict[str, Any]:
        return {**snapshot(self.slack, self.user_id),
                "controls": [{"name": k, "label": v[0]} for k, v in self.controls.items()]}

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self._snapshot())

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: the whole snapshot again whenever the workspace changed."""
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
        await resp.prepare(request)
        last: tuple[int, ...] | None = None
        quiet = 0.0
        try:
            while True:
                now = (*signature(self.slack), self._local)
                if now != last:
                    data = json.dumps(self._snapshot())
                    await resp.write(f"data: {data}\n\n".encode())
                    last, quiet = now, 0.0
                elif quiet >= KEEPALIVE:
                    await resp.write(b": keepalive\n\n")
                    quiet = 0.0
                await asyncio.sleep(TICK)
                quiet += TICK
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return resp

    # -- actions ---------------------------------------------------------------------------
    def _guarded(self, action: Action) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            if request.content_type != "application/json":
                return web.json_response({"error": "send application/json"}, status=415)
            try:
                body = await request.json()
                if not isinstance(body, dict):
                    raise BadRequest("the body must be a JSON object")
                return web.json_response(await action(body))
            except (ValueError, BadRequest) as exc:  # bad JSON, or no such message/button
                return web.json_response({"error": str(exc)}, status=400)
        return handler

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, text = _text(body, "channel"), _text(body, "text")
        ts = await self.slack.user_posts(self.user_id, channel or "", text or "",
                                         thread_ts=_text(body, "thread_ts", optional=True))
        return {"ok": True, "ts": ts}

    async def _command(self, body: dict[str, Any]) -> dict[str, Any]:
        command = _text(body, "command") or ""
        if not command.startswith("/"):
            raise BadRequest("a command starts with /")
        text = body.get("text") or ""
        if not isinstance(text, str):
            raise BadRequest("'text' must be a string")
        return _answer(await self.slack.user_runs_command(
            self.user_id, _text(body, "channel") or "", command, text))

    async def _click(self, body: dict[str, Any]) -> dict[str, Any]:
        return _answer(await self.slack.user_clicks(
            self.user_id, _text(body, "channel") or "", _text(body, "ts") or "",
            _text(body, "action_id") or "", body.get("value"),
            _text(body, "block_id", optional=True)))

    async def _shortcut(self, body: dict[str, Any]) -> dict[str, Any]:
        return _answer(await self.slack.user_uses_message_shortcut(
            self.user_id, _text(body, "channel") or "", _text(body, "ts") or "",
            _text(body, "callback_id") or ""))

    async def _options(self, body: dict[str, Any]) -> dict[str, Any]:
        value = body.get("value") or ""
        if not isinstance(value, str):
            raise BadRequest("'value' must be a string")
        return _answer(await self.slack.user_searches_options(
            self.user_id, _text(body, "view_id") or "", _text(body, "action_id") or "", value))

    async def _view_act(self, body: dict[str, Any]) -> dict[str, Any]:
        typed = body.get("typed")
        if typed is not None and not isinstance(typed, dict):
            raise BadRequest("'typed' must be an object")
        return _answer(await self.slack.user_acts_in_view(
            self.user_id, _text(body, "view_id") or "", _text(body, "action_id") or "",
            body.get("value"), typed))

    async def _view_submit(self, body: dict[str, Any]) -> dict[str, Any]:
        values = body.get("values")
        if not isinstance(values, dict):
            raise BadRequest("'values' must be an object")
        return _answer(await self.slack.user_submits_view(
            self.user_id, _text(body, "view_id") or "", values))

    async def _view_close(self, body: dict[str, Any]) -> dict[str, Any]:
        """Cancel: the client closes the modal (the bot asks for no view_closed event)."""
        view_id = _text(body, "view_id")
        if view_id not in self.slack.workspace.view_stacks.get(self.user_id, []):
            raise BadRequest(f"view {view_id} is not open")
        close_views(self.slack.workspace, self.user_id, all_views=False)
        self._local += 1  # no Web API call or delivery marks this change
        return {"ok": True}

    async def _control(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _text(body, "name")
        if name not in self.controls:
            raise BadRequest(f"no control {name!r}")
        result = self.controls[name or ""][1]()
        if inspect.isawaitable(result):
            await result
        self._local += 1
        return {"ok": True}
