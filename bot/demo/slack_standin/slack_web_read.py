"""Web API methods that read or join: ``auth.test``, ``conversations.*``, ``users.*``.

Same contract as :mod:`slack_web_chat`: workspace + arguments in, Slack's JSON
out, :class:`SlackError` for Slack's error codes.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from .slack_requests import Params, SlackError
from .slack_state import Workspace
from .slack_web_chat import Handler, public


def _ts_key(ts: str | None, default: tuple[int, int]) -> tuple[int, int]:
    if ts is None or ts == "":
        return default
    seconds, _, fraction = str(ts).partition(".")
    try:
        return int(seconds), int((fraction + "000000")[:6])
    except ValueError:
        error = "invalid_ts_oldest" if default == (0, 0) else "invalid_ts_latest"
        raise SlackError(error) from None


def _in_window(p: Params, ts: str) -> bool:
    """``oldest``/``latest`` bounds, exclusive unless ``inclusive`` is set."""
    oldest = _ts_key(p.text("oldest"), (0, 0))
    latest = _ts_key(p.text("latest"), (2**62, 0))
    key = _ts_key(ts, (0, 0))
    if p.flag("inclusive"):
        return oldest <= key <= latest
    return oldest < key < latest


def paginate(items: list[Any], p: Params, *, default: int, maximum: int
             ) -> tuple[list[Any], str]:
    """Cursor pagination: returns the page and ``next_cursor`` ("" at the end, like Slack)."""
    limit = p.number("limit", default) or default
    limit = max(1, min(limit, maximum))
    cursor = p.text("cursor")
    offset = 0
    if cursor:
        try:
            kind, _, value = base64.b64decode(cursor).decode().partition(":")
            offset = int(value) if kind == "next" else -1
        except ValueError:
            offset = -1
        if offset < 0:
            raise SlackError("invalid_cursor")
    page = items[offset:offset + limit]
    more = offset + limit < len(items)
    next_cursor = base64.b64encode(f"next:{offset + limit}".encode()).decode() if more else ""
    return page, next_cursor


def auth_test(ws: Workspace, p: Params) -> dict[str, Any]:
    return {"ok": True, "url": f"https://{ws.team_domain}.slack.com/",
            "team": "StoreBridge Sandbox",
            "user": ws.bot_name, "team_id": ws.team_id, "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id, "is_enterprise_install": False}


def history(ws: Workspace, p: Params) -> dict[str, Any]:
    """Top-level messages (and thread broadcasts), newest first."""
    channel = ws.channel_for_history(p.text("channel"))
    found = [m for m in reversed(ws.top_level(channel)) if _in_window(p, m["ts"])]
    page, next_cursor = paginate(found, p, default=100, maximum=999)
    metadata = p.flag("include_all_metadata")
    answer: dict[str, Any] = {
        "ok": True, "messages": [public(m, metadata=metadata) for m in page],
        "has_more": bool(next_cursor), "pin_count": 0, "channel_actions_ts": None,
        "channel_actions_count": 0,
    }
    if next_cursor:
        answer["response_metadata"] = {"next_cursor": next_cursor}
    return answer


def replies(ws: Workspace, p: Params) -> dict[str, Any]:
    """A thread, parent first.  ``ts`` may name the parent or any message in the thread."""
    channel = ws.channel_for_history(p.text("channel"))
    msg = channel.messages.get(p.text("ts") or "")
    if msg is None:
        raise SlackError("thread_not_found")
    parent_ts = msg.get("thread_ts") or msg["ts"]
    parent = channel.messages.get(parent_ts)
    if parent is None:  # an orphaned reply: Slack cannot show its thread either
        raise SlackError("thread_not_found")
    thread = [parent, *ws.replies(channel, parent_ts)]
    found = [m for m in thread if _in_window(p, m["ts"])]
    page, next_cursor = paginate(found, p, default=1000, maximum=1000)
    metadata = p.flag("include_all_metadata")
    answer: dict[str, Any] = {"ok": True, "messages": [public(m, metadata=metadata) for m in page],
                              "has_more": bool(next_cursor)}
    if next_cursor:
        answer["response_metadata"] = {"next_cursor": next_cursor}
    return answer


def info(ws: Workspace, p: Params) -> dict[str, Any]:
    channel = ws.channel(p.text("channel"))
    ws.require_scope("groups:read" if channel.is_private else "channels:read")
    data = ws.channel_json(channel)
    if not p.flag("include_num_members"):
        data.pop("num_members")
    return {"ok": True, "channel": data}


def conversation_list(ws: Workspace, p: Params) -> dict[str, Any]:
    """Public channels, plus private ones the bot is in when ``types`` asks for them."""
    types = {t.strip() for t in (p.text("types") or "public_channel").split(",")}
    if types - {"public_channel", "private_channel", "im", "mpim"}:
        raise SlackError("invalid_types")
    if "public_channel" in types:
        ws.require_scope("channels:read")
    if "private_channel" in types:
        ws.require_scope("groups:read")
    exclude_archived = p.flag("exclude_archived")
    found = [
        c for c in ws.channels.values()
        if ("private_channel" if c.is_private else "public_channel") in types
        and (not c.is_private or ws.bot_user_id in c.members)
        and not (exclude_archived and c.is_archived)
    ]
    page, next_cursor = paginate(found, p, default=100, maximum=1000)
    return {"ok": True, "channels": [ws.channel_json(c) for c in page],
            "response_metadata": {"next_cursor": next_cursor}}


def join(ws: Workspace, p: Params) -> dict[str, Any]:
    """Bots may join public channels only; private ones need an invitation."""
    ws.require_scope("channels:join")
    ref = p.text("channel") or ""
    channel = ws.channels.get(ref)
    if channel is None:
        raise SlackError("channel_not_found")
    if channel.is_private:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise SlackError("is_archived")
    answer: dict[str, Any] = {"ok": True}
    if ws.bot_user_id in channel.members:
        answer.update(warning="already_in_channel",
                      response_metadata={"warnings": ["already_in_channel"]})
    channel.members.add(ws.bot_user_id)
    answer["channel"] = ws.channel_json(channel)
    return answer


def users_info(ws: Workspace, p: Params) -> dict[str, Any]:
    ws.require_scope("users:read")
    return {"ok": True, "user": ws.user_json(ws.user(p.text("user")))}


def users_list(ws: Workspace, p: Params) -> dict[str, Any]:
    ws.require_scope("users:read")
    page, next_cursor = paginate(list(ws.users.values()), p, default=1000, maximum=1000)
    return {"ok": True, "members": [ws.user_json(u) for u in page], "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor}}


def conversations_open(ws: Workspace, p: Params) -> dict[str, Any]:
    """A DM with one user (``im:write``); group DMs are not emulated."""
    ws.require_scope("im:write")
    users = [u for u in (p.text("users") or "").split(",") if u]
    if len(users) != 1:
        raise SlackError("not_enough_users" if not users else "too_many_users")
    ws.user(users[0])
    ch = ws.open_im(users[0])
    return {"ok": True, "channel": {"id": ch.id, "is_im": True, "user": users[0]}}


def users_get_presence(ws: Workspace, p: Params) -> dict[str, Any]:
    ws.require_scope("users:read")
    user = ws.user(p.text("user"))
    presence = ws.presence.get(user.id, "active")
    return {"ok": True, "presence": presence, "online": presence == "active"}


METHODS: dict[str, Handler] = {
    "conversations.open": conversations_open,
    "users.getPresence": users_get_presence,
    "auth.test": auth_test,
    "conversations.history": history,
    "conversations.replies": replies,
    "conversations.info": info,
    "conversations.list": conversation_list,
    "conversations.join": join,
    "users.info": users_info,
    "users.list": users_list,
}
