"""What Slack sends *to* an app: signed requests, event envelopes, interaction payloads.

Shapes follow Slack's reference payloads (Events API ``event_callback``,
``block_actions`` from a message or a view, ``view_submission``, ``message_action``,
``block_suggestion`` and slash-command forms).  Signing is Slack's v0 scheme::

    X-Slack-Signature = "v0=" + hex(HMAC-SHA256(signing_secret, f"v0:{timestamp}:{body}"))
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import string
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from .slack_blocks import element_state
from .slack_state import Channel, User, Workspace
from .slack_web_chat import public


def random_id(prefix: str, length: int = 10) -> str:
    return prefix + "".join(random.choices(string.ascii_uppercase + string.digits, k=length))


@dataclass
class Delivery:
    """One request the emulator sent to the app, and how the app answered.

    ``status`` is ``None`` when nothing came back: the app was unreachable
    (``error="connection_refused"``), too slow (``error="http_timeout"``), or the
    event was never sent because real Slack would not send it (``error`` says why).
    """

    kind: str
    url: str | None
    body: str
    status: int | None = None
    text: str = ""
    json: Any = None
    error: str | None = None
    event_id: str | None = None
    retry_num: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds to every request it makes to an app."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


async def send(session: aiohttp.ClientSession, delivery: Delivery, *, secret: str,
               content_type: str, within: float, extra_headers: dict[str, str] | None = None
               ) -> Delivery:
    """POST a delivery's body, signed, and fill in the app's answer."""
    headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
               **sign(secret, delivery.body), **(extra_headers or {})}
    started = time.monotonic()
    try:
        async with session.post(delivery.url or "", data=delivery.body.encode(), headers=headers,
                                timeout=aiohttp.ClientTimeout(total=within)) as res:
            delivery.status = res.status
            delivery.text = await res.text()
    except TimeoutError:
        delivery.error = "http_timeout"
    except aiohttp.ClientConnectionError as exc:
        delivery.error = f"connection_refused: {exc}"
    finally:
        delivery.elapsed = time.monotonic() - started
    if delivery.text:
        try:
            delivery.json = json.loads(delivery.text)
        except ValueError:
            delivery.json = None
    return delivery


async def gather_all(tasks: set[asyncio.Task[Any]]) -> None:
    while tasks:
        await asyncio.gather(*list(tasks), return_exceptions=True)


# -- Events API ----------------------------------------------------------------------------
def envelope(ws: Workspace, event: dict[str, Any], verification_token: str) -> dict[str, Any]:
    """The ``event_callback`` wrapper, with a fresh unique ``event_id``."""
    context = {"type": "event_authorizations", "team_id": ws.team_id, "app_id": ws.app_id,
               "user_id": ws.bot_user_id}
    return {
        "token": verification_token, "team_id": ws.team_id, "context_team_id": ws.team_id,
        "context_enterprise_id": None, "api_app_id": ws.app_id, "event": event,
        "type": "event_callback", "event_id": random_id("Ev", 10), "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": ws.team_id,
                            "user_id": ws.bot_user_id, "is_bot": True,
                            "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
        "event_context": "4-" + base64.urlsafe_b64encode(json.dumps(context).encode()).decode(),
    }


def message_event(channel: Channel, msg: dict[str, Any]) -> dict[str, Any]:
    """A ``message`` event: the stored message plus ``channel``/``event_ts``/``channel_type``."""
    return {**public(msg), "channel": channel.id, "event_ts": msg["ts"],
            "channel_type": channel.channel_type}


def changed_event(channel: Channel, new: dict[str, Any], old: dict[str, Any],
                  event_ts: str) -> dict[str, Any]:
    return {"type": "message", "subtype": "message_changed", "message": public(new),
            "previous_message": public(old), "channel": channel.id, "hidden": True,
            "ts": event_ts, "event_ts": event_ts, "channel_type": channel.channel_type}


def deleted_event(channel: Channel, old: dict[str, Any], event_ts: str) -> dict[str, Any]:
    return {"type": "message", "subtype": "message_deleted", "previous_message": public(old),
            "channel": channel.id, "hidden": True, "deleted_ts": old["ts"], "ts": event_ts,
            "event_ts": event_ts, "channel_type": channel.channel_type}


def reaction_event(user: User, channel: Channel, msg: dict[str, Any], name: str,
                   event_ts: str, *, added: bool) -> dict[str, Any]:
    return {"type": "reaction_added" if added else "reaction_removed", "user": user.id,
            "reaction": name, "item_user": msg.get("user", ""),
            "item": {"type": "message", "channel": channel.id, "ts": msg["ts"]},
            "event_ts": event_ts}


# -- interactivity -------------------------------------------------------------------------
def user_ref(ws: Workspace, user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": ws.team_id}


def _base(ws: Workspace, kind: str, user: User, token: str, trigger_id: str) -> dict[str, Any]:
    return {"type": kind, "user": user_ref(ws, user), "api_app_id": ws.app_id, "token": token,
            "trigger_id": trigger_id, "team": {"id": ws.team_id, "domain": ws.team_domain},
            "enterprise": None, "is_enterprise_install": False}


def element_action(block: dict[str, Any], element: dict[str, Any], value: Any = None
                   ) -> dict[str, Any]:
    """One ``actions`` entry: a button (``value`` overrides its own) or an element's new state."""
    action: dict[str, Any] = {"action_id": element["action_id"], "block_id": block["block_id"],
                              "action_ts": f"{time.time():.6f}"}
    if element["type"] == "button":
        action.update(type="button", text=element.get("text"),
                      value=element.get("value") if value is None else value)
        if "style" in element:
            action["style"] = element["style"]
    else:
        action.update(element_state(element, value))
    return action


def block_actions(ws: Workspace, user: User, channel: Channel, msg: dict[str, Any],
                  action: dict[str, Any], *, token: str, trigger_id: str, response_url: str,
                  ephemeral: bool) -> dict[str, Any]:
    """A click on a message's interactive element (ephemeral messages carry no ``message``)."""
    container = {"type": "message", "message_ts": msg["ts"], "channel_id": channel.id,
                 "is_ephemeral": ephemeral}
    if msg.get("thread_ts"):
        container["thread_ts"] = msg["thread_ts"]
    payload = {**_base(ws, "block_actions", user, token, trigger_id), "container": container,
               "channel": {"id": channel.id, "name": channel.name}, "state": {"values": {}},
               "response_url": response_url, "actions": [action]}
    if not ephemeral:
        payload["message"] = public(msg, metadata=False)
    return payload


def view_block_actions(ws: Workspace, user: User, view: dict[str, Any], action: dict[str, Any],
                       *, token: str, trigger_id: str) -> dict[str, Any]:
    """A click inside a modal or a Home tab: ``view`` carries its current ``state``."""
    return {**_base(ws, "block_actions", user, token, trigger_id),
            "container": {"type": "view", "view_id": view["id"]}, "view": view,
            "actions": [action]}


def view_submission(ws: Workspace, user: User, view: dict[str, Any], *, token: str,
                    trigger_id: str) -> dict[str, Any]:
    return {**_base(ws, "view_submission", user, token, trigger_id), "view": view,
            "response_urls": []}


def message_action(ws: Workspace, user: User, channel: Channel, msg: dict[str, Any],
                   callback_id: str, *, token: str, trigger_id: str, response_url: str
                   ) -> dict[str, Any]:
    return {**_base(ws, "message_action", user, token, trigger_id), "callback_id": callback_id,
            "action_ts": f"{time.time():.6f}", "channel": {"id": channel.id, "name": channel.name},
            "message_ts": msg["ts"], "message": public(msg, metadata=False),
            "response_url": response_url}


def block_suggestion(ws: Workspace, user: User, view: dict[str, Any], block_id: str,
                     action_id: str, value: str, *, token: str) -> dict[str, Any]:
    payload = {**_base(ws, "block_suggestion", user, token, ""), "container":
               {"type": "view", "view_id": view["id"]}, "action_id": action_id,
               "block_id": block_id, "value": value, "view": view}
    payload.pop("trigger_id")
    return payload


def slash_command(ws: Workspace, user: User, channel: Channel, command: str, text: str, *,
                  token: str, trigger_id: str, response_url: str) -> dict[str, str]:
    """The form fields of a slash command request."""
    return {"token": token, "team_id": ws.team_id, "team_domain": ws.team_domain,
            "channel_id": channel.id,
            # Slack's long-standing quirk: private channels are named "privategroup" here.
            "channel_name": "privategroup" if channel.is_private else channel.name,
            "user_id": user.id,
            "user_name": user.name, "command": command, "text": text,
            "api_app_id": ws.app_id, "is_enterprise_install": "false",
            "response_url": response_url, "trigger_id": trigger_id}
