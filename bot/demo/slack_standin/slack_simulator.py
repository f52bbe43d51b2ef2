"""Slack users acting on the app: messages, edits, deletions, reactions (Events API).

:class:`SlackUserSimulator` is mixed into the emulator.  Every action changes the
workspace the way the Slack client would, then delivers what real Slack would
deliver to the app's Request URL, signed (or over its Socket Mode connection, see
:mod:`slack_socket`), and returns the app's answer.  Real Slack only sends
``message`` events for channels the bot is a member of, and only with the
matching ``*:history`` scope; the simulator follows the same rules.
Clicks, modals, commands and shortcuts live in :mod:`slack_interactions`; acting
inside an open modal or a Home tab in :mod:`slack_view_actions`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp

from .slack_blocks import escape, rich_text
from .slack_interactions import SlackInteractions
from .slack_payloads import (
    Delivery,
    changed_event,
    deleted_event,
    envelope,
    message_event,
    reaction_event,
)
from .slack_requests import SlackError
from .slack_state import Channel, User
from .slack_view_actions import SlackViewActions
from .slack_web_chat import add_reaction, public


class SlackUserSimulator(SlackViewActions):
    """Human-side actions; needs the emulator's workspace, secret and HTTP session."""

    deliver_bot_messages: bool
    _tasks: set[asyncio.Task[Any]]

    def __init__(self) -> None:
        SlackInteractions.__init__(self)
        self._event_bodies: dict[str, tuple[str, str]] = {}  # event_id -> (url, body)

    # -- plumbing --------------------------------------------------------------------------
    async def _open_session(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()

    async def _close_session(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _member_channel(self, user: User, channel_id: str) -> Channel:
        """Slack's composer only exists for members of a live channel."""
        channel = self._channel(channel_id)
        if user.id not in channel.members:
            raise ValueError(f"{user.id} is not a member of {channel_id}: call join() first")
        if channel.is_archived:
            raise ValueError(f"{channel_id} is archived")
        return channel

    def _own_message(self, user: User, channel: Channel, ts: str) -> dict[str, Any]:
        msg = channel.messages.get(ts)
        if msg is None or msg.get("user") != user.id:
            raise ValueError(f"{user.id} has no message {ts} in {channel.id} to change")
        return msg

    def _undeliverable(self, channel: Channel, scope: str | None) -> str | None:
        ws = self.workspace
        if not self.request_url and not self.socket_mode:
            return "no request_url: call configure_app(url) or configure_app(socket_mode=True)"
        if ws.bot_user_id not in channel.members:
            return f"not sent: the bot is not a member of {channel.id}"
        needed = scope or ("groups:history" if channel.is_private else "channels:history")
        if not ws.has_scope(needed):
            return f"not sent: app lacks the {needed} scope"
        return None

    async def _deliver_event(self, channel: Channel, event: dict[str, Any],
                             scope: str | None = None) -> Delivery:
        """Wrap an event in ``event_callback`` and POST it, unless Slack would not send it."""
        body = json.dumps(envelope(self.workspace, event, self.verification_token))
        event_id = json.loads(body)["event_id"]
        delivery = Delivery("event_callback", self.request_url, body, event_id=event_id)
        reason = self._undeliverable(channel, scope)
        if reason:
            delivery.error = reason
        else:
            self._event_bodies[event_id] = (self.request_url or "", body)
            await self._transmit(delivery, "application/json")
        self.deliveries.append(delivery)
        return delivery

    def _flush_outbox(self) -> None:
        """Turn the bot's own posts/edits/deletes into message events, like Slack does.

        They are sent in the background (Slack's events race the API answer too);
        :meth:`settle` waits for them.
        """
        ws = self.workspace
        outbox, ws.outbox = ws.outbox, []
        if not self.deliver_bot_messages or self._session is None \
                or not (self.request_url or self.socket_mode):
            return
        for item in outbox:
            channel = ws.channels[item["channel"]]
            if item["kind"] == "posted":
                event = message_event(channel, item["message"])
            elif item["kind"] == "changed":
                event = changed_event(channel, item["message"], item["previous"], ws.clock.next())
            else:
                event = deleted_event(channel, item["previous"], ws.clock.next())
            task = asyncio.get_running_loop().create_task(self._deliver_event(channel, event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # -- Events API actions ----------------------------------------------------------------
    async def user_posts(self, user_id: str, channel_id: str, text: str,
                         thread_ts: str | None = None) -> str:
        """A member types ``text`` (``<@U…>``/``<#C…>``/``<https://…>`` markup allowed).

        Stored like Slack stores client messages (``client_msg_id``, escaped ``&<>``,
        a ``rich_text`` block); a ``message`` event goes to the app.  Returns the ts;
        the delivery is ``deliveries[-1]``.
        """
        user = self._human(user_id)
        channel = self._member_channel(user, channel_id)
        escaped = escape(text)
        ts = self.workspace.clock.next()
        msg: dict[str, Any] = {
            "client_msg_id": str(uuid.uuid4()), "type": "message", "text": escaped,
            "user": user.id, "ts": ts, "blocks": rich_text(escaped),
            "team": self.workspace.team_id,
        }
        return await self._member_message(channel, msg, thread_ts)

    async def _member_message(self, channel: Channel, msg: dict[str, Any],
                              thread_ts: str | None) -> str:
        """Store a member's message (in the thread of ``thread_ts``, a reply to a reply
        going to its thread's root, as Slack does) and send its ``message`` event."""
        if thread_ts:
            parent = channel.messages.get(thread_ts)
            if parent is None:
                raise ValueError(f"no message {thread_ts} in {channel.id} to reply to")
            msg["thread_ts"] = parent.get("thread_ts") or parent["ts"]
        self.workspace.store(channel, msg)
        await self._deliver_event(channel, message_event(channel, msg))
        return str(msg["ts"])

    async def user_edits(self, user_id: str, channel_id: str, ts: str, new_text: str) -> Delivery:
        """The author edits a message: ``message_changed`` with ``edited``/``previous_message``."""
        user = self._human(user_id)
        channel = self._channel(channel_id)
        msg = self._own_message(user, channel, ts)
        previous = public(msg)
        event_ts = self.workspace.clock.next()
        escaped = escape(new_text)
        msg.update(text=escaped, blocks=rich_text(escaped),
                   edited={"user": user.id, "ts": event_ts})
        return await self._deliver_event(channel, changed_event(channel, msg, previous, event_ts))

    async def user_deletes(self, user_id: str, channel_id: str, ts: str) -> Delivery:
        """The author deletes a message: ``message_deleted`` with ``deleted_ts``."""
        user = self._human(user_id)
        channel = self._channel(channel_id)
        msg = self._own_message(user, channel, ts)
        self.workspace.remove(channel, ts)
        return await self._deliver_event(
            channel, deleted_event(channel, msg, self.workspace.clock.next()))

    async def user_reacts(self, user_id: str, channel_id: str, ts: str, name: str) -> Delivery:
        """A user adds a reaction: ``reaction_added`` (sent only with ``reactions:read``)."""
        user = self._human(user_id)
        channel = self._channel(channel_id)
        msg = channel.messages.get(ts)
        if msg is None:
            raise ValueError(f"no message {ts} in {channel_id}")
        try:
            add_reaction(self.workspace, msg, name, user.id)
        except SlackError as exc:
            raise ValueError(f"cannot react: {exc.error}") from None
        event = reaction_event(user, channel, msg, name, self.workspace.clock.next(), added=True)
        return await self._deliver_event(channel, event, scope="reactions:read")

    async def user_opens_home(self, user_id: str) -> Delivery:
        """A user opens the app's Home tab: ``app_home_opened`` (with the view
        published for them before, if any)."""
        user = self._human(user_id)
        event: dict[str, Any] = {"type": "app_home_opened", "user": user.id,
                                 "channel": "D" + user.id[1:], "tab": "home",
                                 "event_ts": self.workspace.clock.next()}
        if user.id in self.workspace.home_views:
            event["view"] = self.workspace.home_views[user.id]
        body = json.dumps(envelope(self.workspace, event, self.verification_token))
        delivery = Delivery("event_callback", self.request_url, body,
                            event_id=json.loads(body)["event_id"])
        await self._transmit(delivery, "application/json")
        self.deliveries.append(delivery)
        return delivery

    async def redeliver(self, event_id: str, retry_num: int = 1,
                        reason: str | None = None) -> Delivery:
        """Slack's retry: the identical body, freshly signed, with ``X-Slack-Retry-*`` headers.

        ``reason`` defaults to Slack's: ``http_timeout``, or ``timeout`` in Socket Mode
        (where it travels as the envelope's ``retry_attempt``/``retry_reason``).
        """
        if event_id not in self._event_bodies:
            raise ValueError(f"event {event_id!r} was never delivered")
        url, body = self._event_bodies[event_id]
        reason = reason or ("timeout" if self.socket_mode else "http_timeout")
        delivery = Delivery("event_callback", url, body, event_id=event_id, retry_num=retry_num)
        await self._transmit(delivery, "application/json", {"X-Slack-Retry-Num": str(retry_num),
                                                            "X-Slack-Retry-Reason": reason})
        self.deliveries.append(delivery)
        return delivery
