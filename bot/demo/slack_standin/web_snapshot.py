"""What the browser view of the Slack stand-in shows one user, as JSON.

The messages are the emulator's public copies (what ``conversations.history``
would return), blocks and all: the page renders the same Block Kit the bot sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .slack_state import Channel, User

if TYPE_CHECKING:
    from .slack_api import SlackEmulator


def signature(slack: SlackEmulator) -> tuple[int, ...]:
    """Changes whenever the workspace may have: every bot change is a Web API call,
    every user action a delivery, and a user's post adds a message."""
    ws = slack.workspace
    return (len(slack.calls), len(slack.deliveries),
            sum(len(c.messages) for c in ws.channels.values()),
            sum(len(e) for e in ws.ephemerals.values()), len(ws.views))


def _name(user: User) -> str:
    return user.display_name or user.real_name or user.name


def _visible(channel: Channel, user_id: str) -> bool:
    return user_id in channel.members and not channel.is_archived


def _thread(slack: SlackEmulator, channel: Channel, msg: dict[str, Any]) -> dict[str, Any]:
    out = dict(msg)
    if msg.get("reply_count"):
        out["replies"] = slack.replies(channel.id, msg["ts"])
    return out


def snapshot(slack: SlackEmulator, user_id: str) -> dict[str, Any]:
    ws = slack.workspace
    channels = []
    for channel in ws.channels.values():
        if not _visible(channel, user_id):
            continue
        if channel.is_im:
            label = ws.bot_name  # the bot's DM with this user
        else:
            label = ("🔒 " if channel.is_private else "#") + channel.name
        channels.append({"id": channel.id, "name": label, "is_im": channel.is_im,
                         "messages": [_thread(slack, channel, m)
                                      for m in slack.messages(channel.id)]})
    stack = slack.open_views(user_id)
    return {
        "me": {"id": user_id, "name": _name(ws.users[user_id])},
        "bot": {"id": ws.bot_user_id, "name": ws.bot_name},
        "users": {u.id: _name(u) for u in ws.users.values()},
        "channels": channels,
        "ephemerals": slack.ephemerals(user_id),
        "view": stack[-1] if stack else None,
    }
