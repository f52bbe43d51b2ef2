"""In-memory workspace behind the Slack emulator: channels, users, messages, views.

Nothing here speaks HTTP.  The Web API handlers (``slack_web_*``) and the user
simulator read and change this state; the server in ``slack_api`` wires them up.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .slack_requests import SlackError


class TsClock:
    """Issues Slack message timestamps: ``"<unix seconds>.<6 digits>"``, unique and increasing."""

    def __init__(self) -> None:
        self._last_us = 0

    def next(self) -> str:
        self._last_us = max(int(time.time() * 1_000_000), self._last_us + 1)
        return f"{self._last_us // 1_000_000}.{self._last_us % 1_000_000:06d}"


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    created: int
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # ts -> message
    is_im: bool = False

    @property
    def channel_type(self) -> str:
        """The ``channel_type`` Slack puts on message events."""
        if self.is_im:
            return "im"
        return "group" if self.is_private else "channel"


@dataclass
class User:
    id: str
    name: str
    real_name: str
    display_name: str
    is_bot: bool = False
    bot_id: str | None = None


@dataclass
class Trigger:
    user_id: str
    issued_at: float
    used: bool = False


class Workspace:
    """All Slack state the emulator keeps.  Survives ``go_down``/``come_back``."""

    def __init__(
        self, *, team_id: str, team_domain: str, bot_user_id: str, bot_id: str,
        app_id: str, bot_name: str, scopes: tuple[str, ...],
    ) -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_name = bot_name
        self.scopes = tuple(scopes)
        self.clock = TsClock()
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self.ephemerals: dict[str, list[dict[str, Any]]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> published Home tab
        self.presence: dict[str, str] = {}  # user id -> "active" | "away" (default active)
        self.view_stacks: dict[str, list[str]] = {}  # user -> open modal view ids
        self.view_owners: dict[str, str] = {}  # view id -> user who has it open
        self.custom_emoji: set[str] = set()
        self.triggers: dict[str, Trigger] = {}
        self.trigger_ttl = 3.0
        self.outbox: list[dict[str, Any]] = []  # events the app should hear about
        self._seq = itertools.count(1)
        self.users[bot_user_id] = User(
            bot_user_id, bot_name, bot_name, bot_name, is_bot=True, bot_id=bot_id
        )

    # -- ids and seeding -------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._seq):08d}"

    def add_channel(self, name: str, *, private: bool = False, bot_member: bool = False) -> str:
        channel = Channel(self.new_id("G" if private else "C"), name.lstrip("#"), private,
                          int(time.time()))
        if bot_member:
            channel.members.add(self.bot_user_id)
        self.channels[channel.id] = channel
        return channel.id

    def open_im(self, user_id: str) -> Channel:
        """The bot's direct-message channel with a user (created once)."""
        for ch in self.channels.values():
            if ch.is_im and ch.members == {self.bot_user_id, user_id}:
                return ch
        ch = Channel(self.new_id("D"), user_id, True, int(time.time()),
                     members={self.bot_user_id, user_id}, is_im=True)
        self.channels[ch.id] = ch
        return ch

    def add_user(self, name: str, real_name: str | None = None,
                 display_name: str | None = None, is_bot: bool = False) -> str:
        user = User(self.new_id("U"), name, real_name or name, display_name or "", is_bot,
                    self.new_id("B") if is_bot else None)
        self.users[user.id] = user
        return user.id

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def require_scope(self, *any_of: str) -> None:
        """Slack answers ``missing_scope`` with the ``needed`` and ``provided`` scopes."""
        if not any(self.has_scope(s) for s in any_of):
            raise SlackError("missing_scope", needed=",".join(any_of),
                             provided=",".join(self.scopes))

    # -- lookups ---------------------------------------------------------------------------
    def channel(self, ref: str | None) -> Channel:
        """Resolve an id or ``#name``; private channels the bot is not in do not exist for it."""
        if not ref:
            raise SlackError("channel_not_found")
        found = self.channels.get(ref)
        if found is None:
            name = ref.lstrip("#")
            found = next((c for c in self.channels.values() if c.name == name), None)
        if found is None or (found.is_private and self.bot_user_id not in found.members):
            raise SlackError("channel_not_found")
        return found

    def channel_for_history(self, ref: str | None) -> Channel:
        channel = self.channel(ref)
        self.require_scope("im:history" if channel.is_im else
                           "groups:history" if channel.is_private else "channels:history")
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def user(self, user_id: str | None) -> User:
        if not user_id or user_id not in self.users:
            raise SlackError("user_not_found")
        return self.users[user_id]

    def message(self, channel: Channel, ts: str | None) -> dict[str, Any]:
        msg = channel.messages.get(ts or "")
        if msg is None or msg.get("subtype") == "tombstone":
            raise SlackError("message_not_found")
        return msg

    # -- messages --------------------------------------------------------------------------
    def top_level(self, channel: Channel) -> list[dict[str, Any]]:
        """Channel history: non-replies plus broadcast replies, oldest first."""
        return [m for m in channel.messages.values()
                if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"]

    def replies(self, channel: Channel, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in channel.messages.values()
                if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]

    def store(self, channel: Channel, msg: dict[str, Any]) -> dict[str, Any]:
        """Add a message; replies get ``parent_user_id`` and refresh the parent's thread fields.

        Like Slack, a ``thread_ts`` naming no top-level message is accepted but the
        reply is orphaned: it shows up in no history and no thread.
        """
        channel.messages[msg["ts"]] = msg
        thread_ts = msg.get("thread_ts")
        parent = channel.messages.get(thread_ts) if thread_ts else None
        if parent is not None and parent.get("thread_ts") in (None, parent["ts"]):
            msg["parent_user_id"] = self.author(parent)
            self.refresh_thread(channel, parent["ts"])
        return msg

    def author(self, msg: dict[str, Any]) -> str:
        """The user behind a message (a customised ``bot_message`` has no ``user`` field)."""
        if msg.get("user"):
            return str(msg["user"])
        return self.bot_user_id if msg.get("bot_id") == self.bot_id else ""

    def refresh_thread(self, channel: Channel, parent_ts: str) -> None:
        """Recompute ``reply_count``/``reply_users``/``latest_reply`` on a parent message."""
        parent = channel.messages.get(parent_ts)
        if parent is None:
            return
        replies = self.replies(channel, parent_ts)
        for key in ("reply_count", "reply_users", "reply_users_count", "latest_reply"):
            parent.pop(key, None)
        if not replies:
            if parent.get("subtype") == "tombstone":
                del channel.messages[parent_ts]
            else:
                parent.pop("thread_ts", None)
            return
        users = list(dict.fromkeys(self.author(r) for r in replies))
        parent.update(thread_ts=parent_ts, reply_count=len(replies), reply_users=users[:5],
                      reply_users_count=len(users), latest_reply=replies[-1]["ts"])

    def remove(self, channel: Channel, ts: str) -> dict[str, Any]:
        """Delete a message; a thread parent leaves a "This message was deleted." tombstone."""
        msg = self.message(channel, ts)
        if msg.get("thread_ts") == ts and self.replies(channel, ts):
            channel.messages[ts] = {
                "type": "message", "subtype": "tombstone", "text": "This message was deleted.",
                "user": "USLACKBOT", "hidden": True, "ts": ts, "thread_ts": ts,
            }
            self.refresh_thread(channel, ts)
        else:
            del channel.messages[ts]
            if msg.get("thread_ts") and msg["thread_ts"] != ts:
                self.refresh_thread(channel, msg["thread_ts"])
        return msg

    def iter_all_messages(self) -> Iterator[tuple[Channel, dict[str, Any]]]:
        for channel in self.channels.values():
            for msg in channel.messages.values():
                yield channel, msg

    # -- renderings ------------------------------------------------------------------------
    def bot_profile(self) -> dict[str, Any]:
        return {"id": self.bot_id, "app_id": self.app_id, "name": self.bot_name,
                "deleted": False, "updated": 1700000000, "team_id": self.team_id,
                "icons": {"image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png"}}

    def channel_json(self, channel: Channel) -> dict[str, Any]:
        """The conversation object of conversations.info/list/join."""
        blank = {"value": "", "creator": "", "last_set": 0}
        return {
            "id": channel.id, "name": channel.name, "name_normalized": channel.name,
            "is_channel": not channel.is_private, "is_group": channel.is_private,
            "is_im": False, "is_mpim": False, "is_private": channel.is_private,
            "created": channel.created, "creator": "", "is_archived": channel.is_archived,
            "is_general": channel.name == "general", "unlinked": 0, "is_shared": False,
            "is_ext_shared": False, "is_org_shared": False, "is_pending_ext_shared": False,
            "pending_shared": [], "context_team_id": self.team_id, "updated": channel.created,
            "parent_conversation": None, "shared_team_ids": [self.team_id],
            "is_member": self.bot_user_id in channel.members,
            "topic": dict(blank), "purpose": dict(blank), "previous_names": [],
            "num_members": len(channel.members),
        }

    def user_json(self, user: User) -> dict[str, Any]:
        """The user object of users.info/users.list."""
        profile = {
            "real_name": user.real_name, "display_name": user.display_name,
            "real_name_normalized": user.real_name, "display_name_normalized": user.display_name,
            "first_name": user.real_name.split(" ")[0], "team": self.team_id,
            "image_48": f"https://avatars.example/{user.id}_48.png",
            "image_72": f"https://avatars.example/{user.id}_72.png",
        }
        if user.bot_id:
            profile["bot_id"] = user.bot_id
        return {
            "id": user.id, "team_id": self.team_id, "name": user.name, "deleted": False,
            "color": "9f69e7", "real_name": user.real_name, "tz": "Asia/Singapore",
            "tz_label": "Singapore Standard Time", "tz_offset": 28800, "profile": profile,
            "is_admin": False, "is_owner": False, "is_primary_owner": False,
            "is_restricted": False, "is_ultra_restricted": False, "is_bot": user.is_bot,
            "is_app_user": False, "updated": 1700000000,
        }

    # -- triggers --------------------------------------------------------------------------
    def issue_trigger(self, user_id: str) -> str:
        trigger_id = f"{int(time.time() * 1000)}.{random.randint(10**9, 10**10)}." \
                     f"{random.getrandbits(128):032x}"
        self.triggers[trigger_id] = Trigger(user_id, time.monotonic())
        return trigger_id

    def redeem_trigger(self, trigger_id: str | None) -> Trigger:
        """Triggers are single-use and expire after ``trigger_ttl`` seconds (3 s on Slack)."""
        trigger = self.triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued_at > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger
