"""Slack's Socket Mode, served by the emulator: ``apps.connections.open`` and the websocket.

An app in Socket Mode calls ``apps.connections.open`` with its app-level token
(``xapp-…``), gets a fresh ``ws://…/link/?ticket=…&app_id=…`` URL and connects.
Slack greets every connection with ``hello``; from then on each delivery (an
Events API callback, an interaction or a slash command) arrives as an envelope::

    {"envelope_id": "…", "type": "events_api" | "interactive" | "slash_commands",
     "payload": {…the body an HTTP app would get…}, "accepts_response_payload": bool,
     "retry_attempt": 0, "retry_reason": ""}          # the last two: events_api only

and the app acknowledges with ``{"envelope_id": "…", "payload": {…}?}`` within 3 s.
The ack's ``payload`` is what the HTTP response body would have been (a
``response_action``, options, a command reply).  Socket messages are not signed.

Enable it with ``emulator.configure_app(socket_mode=True)``; deliveries then go to
one of the open connections (round robin, like Slack) and :class:`Delivery` reads
as in HTTP mode: ``status`` 200 once acked, ``json`` the ack's payload;
``error`` is ``no_socket_connection``, ``timeout`` (no ack in time) or
``connection_closed``.  :meth:`SlackSocketMode.disconnect_socket` drops
connections the way Slack refreshes them; aiohttp answers the client's pings.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import WSCloseCode, WSMsgType, web

from .slack_payloads import Delivery
from .slack_requests import Params, SlackError
from .slack_simulator import SlackUserSimulator
from .slack_state import Workspace

MAX_CONNECTIONS = 10  # Slack allows an app 10 open Socket Mode connections
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
HOST = "applink-emulator"
# Interactions whose ack may carry a payload Slack acts on (besides slash commands).
_RESPONSE_PAYLOAD_TYPES = frozenset({"view_submission", "block_suggestion"})


@dataclass
class SocketConnection:
    """One open websocket between the app and the emulator."""

    id: int
    url: str
    ws: web.WebSocketResponse
    opened: float
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def is_open(self) -> bool:
        return not self.ws.closed and not self.ended.is_set()


@dataclass
class SocketFrame:
    """One text message on a connection: ``direction`` is ``sent`` (to the app) or ``received``."""

    direction: str
    connection_id: int
    data: Any
    time: float


def socket_envelope(delivery: Delivery, retry_reason: str = "") -> dict[str, Any]:
    """The Socket Mode envelope carrying what HTTP mode would POST as ``delivery.body``."""
    if delivery.kind == "event_callback":
        kind, payload = "events_api", json.loads(delivery.body)
    elif delivery.kind == "slash_command":
        kind, payload = "slash_commands", dict(parse_qsl(delivery.body, keep_blank_values=True))
    else:
        form = dict(parse_qsl(delivery.body, keep_blank_values=True))
        kind, payload = "interactive", json.loads(form["payload"])
    accepts = kind == "slash_commands" or payload.get("type") in _RESPONSE_PAYLOAD_TYPES
    envelope = {"envelope_id": str(uuid.uuid4()), "payload": payload, "type": kind,
                "accepts_response_payload": accepts}
    if kind == "events_api":
        envelope.update(retry_attempt=delivery.retry_num, retry_reason=retry_reason)
    return envelope


def disconnect_message(reason: str) -> dict[str, Any]:
    """``warning``, ``refresh_requested``, ``link_disabled`` or ``too_many_websockets``."""
    return {"type": "disconnect", "reason": reason, "debug_info": {"host": HOST}}


class SlackSocketMode(SlackUserSimulator):
    """Socket Mode half of the emulator: connections, envelopes, acks, app-level token."""

    workspace: Workspace
    bot_token: str

    if TYPE_CHECKING:  # the emulator's, once it listens
        @property
        def port(self) -> int: ...

    def __init__(self, app_token: str | None = "xapp-test") -> None:
        SlackUserSimulator.__init__(self)
        self.app_token = app_token
        self.socket_log: list[SocketFrame] = []
        self._sockets: list[SocketConnection] = []
        self._tickets: set[str] = set()
        self._acks: dict[str, tuple[int, asyncio.Future[dict[str, Any] | None]]] = {}
        self._socket_ids = itertools.count(1)
        self._next_socket = 0

    # -- public ----------------------------------------------------------------------------
    @property
    def socket_connections(self) -> list[SocketConnection]:
        """The app's open Socket Mode connections, oldest first."""
        return [c for c in self._sockets if c.is_open]

    def envelopes(self) -> list[dict[str, Any]]:
        """Every envelope sent to the app (hello and disconnect messages left out)."""
        return [f.data for f in self.socket_log
                if f.direction == "sent" and "envelope_id" in f.data]

    async def disconnect_socket(self, reason: str | None = "refresh_requested",
                                grace: float = 1.0) -> int:
        """Drop every open connection (the client should reconnect); returns how many.

        With a ``reason`` Slack's ``disconnect`` message goes first and the app has
        ``grace`` seconds to open a new connection and close the old one itself, as
        the SDKs do; whatever is still open is then closed.  ``reason=None``: close
        at once without a word, like a connection lost.
        """
        conns = self.socket_connections
        if reason:
            for conn in conns:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self._socket_send(conn, disconnect_message(reason))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await asyncio.gather(*(c.ended.wait() for c in conns))
        for conn in conns:
            await conn.ws.close(code=WSCloseCode.OK, message=b"disconnected by the emulator")
        return len(conns)

    # -- Web API hooks (called by the emulator's request handling) -------------------------
    def _check_token(self, method: str, token: str | None) -> None:
        """Bot token for the Web API, app-level token for ``apps.connections.open``."""
        if not token:
            raise SlackError("not_authed")
        wanted = self.app_token if method in APP_TOKEN_METHODS else self.bot_token
        if token == wanted:
            return
        if token in (self.bot_token, self.app_token):
            raise SlackError("not_allowed_token_type")
        raise SlackError("invalid_auth")

    def _socket_method(self, method: str) -> Callable[[Workspace, Params], dict[str, Any]] | None:
        return self._connections_open if method == "apps.connections.open" else None

    def _connections_open(self, ws: Workspace, p: Params) -> dict[str, Any]:
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        return {"ok": True,
                "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={ws.app_id}"}

    def _add_socket_routes(self, app: web.Application) -> None:
        app.router.add_get("/link/", self._handle_socket)
        app.on_shutdown.append(self._close_sockets)

    # -- the websocket ---------------------------------------------------------------------
    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self._tickets:
            return web.Response(status=401, text="invalid ticket: call apps.connections.open")
        ws = web.WebSocketResponse(autoping=True)  # aiohttp answers the client's pings
        await ws.prepare(request)
        conn = SocketConnection(next(self._socket_ids), f"ws://127.0.0.1:{self.port}"
                                f"{request.path_qs}", ws, time.time())
        if len(self.socket_connections) >= MAX_CONNECTIONS:
            await self._socket_send(conn, disconnect_message("too_many_websockets"))
            await ws.close()
            return ws
        self._sockets.append(conn)
        try:
            await self._socket_send(conn, {
                "type": "hello", "num_connections": len(self.socket_connections),
                "debug_info": {"host": HOST, "build_number": 1,
                               "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.workspace.app_id}})
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_socket_text(conn, msg.data)
        finally:
            conn.ended.set()
            self._sockets.remove(conn)
            for conn_id, future in list(self._acks.values()):
                if conn_id == conn.id and not future.done():
                    future.set_result(None)
        return ws

    def _on_socket_text(self, conn: SocketConnection, text: str) -> None:
        try:
            data: Any = json.loads(text)
        except ValueError:
            data = text
        self.socket_log.append(SocketFrame("received", conn.id, data, time.time()))
        if isinstance(data, dict) and str(data.get("envelope_id")) in self._acks:
            future = self._acks[str(data["envelope_id"])][1]
            if not future.done():
                future.set_result(data)

    async def _socket_send(self, conn: SocketConnection, data: dict[str, Any]) -> None:
        self.socket_log.append(SocketFrame("sent", conn.id, data, time.time()))
        await conn.ws.send_str(json.dumps(data))

    async def _close_sockets(self, _app: web.Application) -> None:
        for conn in list(self._sockets):
            await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    # -- deliveries ------------------------------------------------------------------------
    async def _transmit(self, delivery: Delivery, content_type: str,
                        headers: dict[str, str] | None = None) -> None:
        if not self.socket_mode:
            await super()._transmit(delivery, content_type, headers)
            return
        started = time.monotonic()
        try:
            await self._deliver_envelope(delivery, (headers or {}).get("X-Slack-Retry-Reason", ""))
        finally:
            delivery.elapsed = time.monotonic() - started

    async def _deliver_envelope(self, delivery: Delivery, retry_reason: str) -> None:
        conns = self.socket_connections
        if not conns:
            delivery.error = "no_socket_connection: the app has no Socket Mode connection open"
            return
        self._next_socket += 1
        conn = conns[self._next_socket % len(conns)]
        envelope = socket_envelope(delivery, retry_reason)
        envelope_id = envelope["envelope_id"]
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = (conn.id, future)
        delivery.url = conn.url
        try:
            await self._socket_send(conn, envelope)
            ack = await asyncio.wait_for(future, self.delivery_timeout)
        except TimeoutError:
            delivery.error = "timeout"
            return
        except (ConnectionError, RuntimeError):
            ack = None
        finally:
            self._acks.pop(envelope_id, None)
        if ack is None:
            delivery.error = "connection_closed: the socket closed before the app acknowledged"
            return
        delivery.status = 200
        if ack.get("payload") is not None:
            delivery.json = ack["payload"]
            delivery.text = json.dumps(ack["payload"])
