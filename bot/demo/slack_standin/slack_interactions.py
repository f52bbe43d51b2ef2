"""Slack users clicking, submitting modals, running commands and shortcuts.

Each action checks that the UI element really exists (a test cannot click a
button the app never rendered), issues a ``trigger_id`` the way Slack does
(usable once, for 3 s, by ``views.open``/``views.push``) and a ``response_url``
served by the emulator, then POSTs the signed, form-encoded payload and returns
the app's answer as a :class:`Delivery`.  Acting on elements inside an open
modal or a Home tab lives in :mod:`slack_view_actions`.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlencode

import aiohttp

from .slack_blocks import block_elements, element_state, find_element
from .slack_commands import SlashCommand, as_sent
from .slack_payloads import (
    Delivery,
    block_actions,
    block_suggestion,
    element_action,
    message_action,
    send,
    slash_command,
    view_submission,
)
from .slack_requests import SlackError
from .slack_response_urls import SlackResponseUrls
from .slack_state import Channel, User
from .slack_web_chat import public
from .slack_web_views import checked_view, close_views, push_view, replace_view

FORM = "application/x-www-form-urlencoded"


class SlackInteractions(SlackResponseUrls):
    """Interactivity half of the user simulator (mixed into the emulator)."""

    signing_secret: str
    verification_token: str
    delivery_timeout: float
    deliveries: list[Delivery]

    def __init__(self) -> None:
        SlackResponseUrls.__init__(self)
        self.request_url: str | None = None
        self.interactivity_url: str | None = None
        self.commands_url: str | None = None
        self.options_url: str | None = None
        self._session: aiohttp.ClientSession | None = None
        self.socket_mode = False
        self.slash_commands: dict[str, SlashCommand] | None = None

    def configure_app(self, request_url: str | None = None, *, socket_mode: bool = False,
                      interactivity_url: str | None = None, commands_url: str | None = None,
                      options_url: str | None = None,
                      slash_commands: dict[str, SlashCommand] | None = None) -> None:
        """Where to send events; interactivity, commands and options default to the same URL.

        ``socket_mode=True``: everything goes over the app's Socket Mode connection
        instead (see :mod:`slack_socket`), as when Socket Mode is enabled for the app.
        ``slash_commands`` (e.g. :func:`commands_from_manifest`) are the app's commands:
        others do not exist, and each one's ``should_escape`` shapes the text sent.
        """
        if slash_commands is not None:
            self.slash_commands = dict(slash_commands)
        if not request_url and not socket_mode:
            raise ValueError("configure_app() needs a request_url, or socket_mode=True")
        self.socket_mode = socket_mode
        self.request_url = request_url
        self.interactivity_url = interactivity_url or request_url
        self.commands_url = commands_url or request_url
        self.options_url = options_url or self.interactivity_url

    # -- helpers ---------------------------------------------------------------------------
    def _flush_outbox(self) -> None:
        """Deliver queued bot-message events (implemented by the user simulator)."""

    def _live_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("SlackEmulator is not started")
        return self._session

    def _human(self, user_id: str) -> User:
        user = self.workspace.users.get(user_id)
        if user is None or user.id == self.workspace.bot_user_id:
            raise ValueError(f"unknown user {user_id!r}: seed it with add_user()")
        return user

    def _channel(self, channel_id: str) -> Channel:
        if channel_id not in self.workspace.channels:
            raise ValueError(f"unknown channel {channel_id!r}: seed it with add_channel()")
        return self.workspace.channels[channel_id]

    async def _transmit(self, delivery: Delivery, content_type: str,
                        headers: dict[str, str] | None = None) -> None:
        """Hand a delivery to the app: a signed POST (Socket Mode overrides this)."""
        await send(self._live_session(), delivery, secret=self.signing_secret,
                   content_type=content_type, within=self.delivery_timeout, extra_headers=headers)

    async def _post_form(self, kind: str, url: str | None, fields: dict[str, str]) -> Delivery:
        if not url and not self.socket_mode:
            raise RuntimeError("call configure_app() before simulating interactions")
        delivery = Delivery(kind, url, urlencode(fields))
        await self._transmit(delivery, FORM)
        self.deliveries.append(delivery)
        return delivery

    async def _post_payload(self, payload: dict[str, Any], url: str | None = None) -> Delivery:
        """Interactivity requests are a form with one field: ``payload=<json>``."""
        return await self._post_form(payload["type"], url or self.interactivity_url,
                                     {"payload": json.dumps(payload)})

    async def replay(self, delivery: Delivery) -> Delivery:
        """The same interaction once more (a double submit, a replayed request): the
        identical form body, freshly signed, to the same URL."""
        if delivery.kind in ("event_callback",):
            raise ValueError("events are redelivered with redeliver(event_id)")
        again = Delivery(delivery.kind, delivery.url, delivery.body)
        await self._transmit(again, FORM)
        self.deliveries.append(again)
        return again

    # -- actions ---------------------------------------------------------------------------
    def _clicked_message(self, user: User, channel: Channel, ts: str
                         ) -> tuple[dict[str, Any], bool]:
        msg = channel.messages.get(ts)
        if msg is not None:
            return msg, False
        for eph in self.workspace.ephemerals.get(user.id, []):
            if eph["ts"] == ts and eph["channel"] == channel.id:
                return eph, True
        raise ValueError(f"{user.id} sees no message {ts} in {channel.id}")

    async def user_clicks(self, user_id: str, channel_id: str, message_ts: str, action_id: str,
                          value: Any = None, block_id: str | None = None) -> Delivery:
        """Click a button (or pick ``value`` in a select/overflow): ``block_actions``."""
        ws = self.workspace
        user, channel = self._human(user_id), self._channel(channel_id)
        msg, ephemeral = self._clicked_message(user, channel, message_ts)
        found = find_element(msg.get("blocks", []), action_id)
        if found is None:
            present = [e.get("action_id") for b in msg.get("blocks", []) for e in block_elements(b)]
            raise ValueError(f"message {message_ts} has no element {action_id!r}; has {present}")
        block, element = found
        if block_id is not None and block_id != block["block_id"]:
            raise ValueError(f"{action_id!r} is in block {block['block_id']!r}, not {block_id!r}")
        action = element_action(block, element, value)
        payload = block_actions(
            ws, user, channel, msg, action, token=self.verification_token,
            trigger_id=ws.issue_trigger(user.id), ephemeral=ephemeral,
            response_url=self._new_response_url(user, channel, msg["ts"], ephemeral))
        return await self._post_payload(payload)

    async def user_uses_message_shortcut(self, user_id: str, channel_id: str, message_ts: str,
                                         callback_id: str) -> Delivery:
        """Pick an app shortcut from a message's "More actions" menu: ``message_action``."""
        ws = self.workspace
        user, channel = self._human(user_id), self._channel(channel_id)
        msg = channel.messages.get(message_ts)
        if msg is None:
            raise ValueError(f"no message {message_ts} in {channel_id}")
        payload = message_action(ws, user, channel, msg, callback_id,
                                 token=self.verification_token,
                                 trigger_id=ws.issue_trigger(user.id),
                                 response_url=self._new_response_url(user, channel, message_ts))
        return await self._post_payload(payload)

    async def user_runs_command(self, user_id: str, channel_id: str, command: str,
                                text: str = "") -> Delivery:
        """Type ``/command text``; a JSON or plain-text reply is shown to the user (ephemeral).

        ``text`` is what the person composed, a picked person written ``<@U…>``; the
        app receives it escaped or not as the command's ``should_escape`` says.
        """
        ws = self.workspace
        user, channel = self._human(user_id), self._channel(channel_id)
        declared = (self.slash_commands or {}).get(command)
        if declared is None and self.slash_commands is not None:
            raise ValueError(f"{command} is not one of the app's slash commands")
        sent = as_sent(ws, text, should_escape=bool(declared and declared.should_escape))
        fields = slash_command(ws, user, channel, command, sent, token=self.verification_token,
                               trigger_id=ws.issue_trigger(user.id),
                               response_url=self._new_response_url(user, channel))
        delivery = await self._post_form("slash_command", self.commands_url, fields)
        reply = delivery.json if isinstance(delivery.json, dict) else (
            {"text": delivery.text} if delivery.text.strip() and delivery.json is None else None)
        if delivery.ok and reply:
            origin = {"user_id": user.id, "channel_id": channel.id, "message_ts": None,
                      "ephemeral": False}
            self._record_response("(command reply)", origin, reply)
            try:
                self._apply_message_response(origin, reply)
            except SlackError as exc:
                delivery.error = f"reply rejected: {exc.error}"
            self._flush_outbox()
        return delivery

    # -- modals ----------------------------------------------------------------------------
    def _open_view(self, user: User, view_id: str) -> dict[str, Any]:
        if view_id not in self.workspace.view_stacks.get(user.id, []):
            raise ValueError(f"view {view_id!r} is not open for {user.id}")
        return self.workspace.views[view_id]

    @staticmethod
    def _view_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        """``state.values`` from ``{action_id: value}`` or ``{block_id: {action_id: value}}``."""
        remaining = copy.deepcopy(values)
        state: dict[str, dict[str, Any]] = {}
        missing = []
        for block in view["blocks"]:
            for element in block_elements(block):
                if element["type"] == "button":
                    continue
                bid, aid = block["block_id"], element["action_id"]
                nested = remaining.get(bid)
                if isinstance(nested, dict) and aid in nested:
                    value = nested.pop(aid)
                    if not nested:
                        remaining.pop(bid)
                else:
                    value = remaining.pop(aid, None)
                if value in (None, "", []) and block["type"] == "input" \
                        and not block.get("optional"):
                    missing.append(aid)
                state.setdefault(bid, {})[aid] = element_state(element, value)
        if remaining:
            raise ValueError(f"view {view['id']} has no inputs {sorted(remaining)}")
        if missing:
            raise ValueError(f"required inputs left empty {missing}: Slack would not submit")
        return state

    async def user_submits_view(self, user_id: str, view_id: str, values: dict[str, Any]
                                ) -> Delivery:
        """Fill in and submit an open modal: ``view_submission``.

        The app's ``response_action`` is applied like Slack: ``errors`` keeps the modal,
        ``update``/``push`` change it, ``clear`` closes all, an empty 200 closes it.
        """
        ws = self.workspace
        user = self._human(user_id)
        view = self._open_view(user, view_id)
        if not view.get("submit"):
            raise ValueError(f"view {view_id} has no submit button")
        view["state"] = {"values": self._view_state(view, values)}
        payload = view_submission(ws, user, public(view), token=self.verification_token,
                                  trigger_id=ws.issue_trigger(user.id))
        delivery = await self._post_payload(payload)
        if delivery.ok:
            self._after_submission(user, view_id, delivery)
        return delivery

    def _after_submission(self, user: User, view_id: str, delivery: Delivery) -> None:
        ws = self.workspace
        answer = delivery.json if isinstance(delivery.json, dict) else {}
        action = answer.get("response_action")
        try:
            if action == "errors":
                return
            if action == "clear":
                close_views(ws, user.id, all_views=True)
            elif action == "update":
                replace_view(ws, view_id, checked_view(answer.get("view")))
            elif action == "push":
                push_view(ws, user.id, checked_view(answer.get("view")), reset=False)
            else:
                close_views(ws, user.id, all_views=False)
        except SlackError as exc:
            delivery.error = f"response_action {action} rejected: {exc.error} {exc.extra}"

    async def user_searches_options(self, user_id: str, view_id: str, action_id: str,
                                    value: str) -> Delivery:
        """Type into an ``external_select`` of an open modal: ``block_suggestion``."""
        user = self._human(user_id)
        view = self._open_view(user, view_id)
        found = find_element(view["blocks"], action_id)
        if found is None or not found[1]["type"].endswith("external_select"):
            raise ValueError(f"view {view_id} has no external select {action_id!r}")
        payload = block_suggestion(self.workspace, user, public(view), found[0]["block_id"],
                                   action_id, value, token=self.verification_token)
        return await self._post_payload(payload, self.options_url)
