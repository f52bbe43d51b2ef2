"""``response_url``: what the app posts to one (a reply to a click, a command or a
shortcut), and what Slack does with it: delete or replace the original message,
post in the channel, or show an ephemeral message. Each URL works 5 times."""

from __future__ import annotations

import copy
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .slack_blocks import normalise_blocks
from .slack_requests import SlackError
from .slack_state import Channel, User, Workspace
from .slack_web_chat import bot_message, own, public

RESPONSE_URL_USES = 5  # Slack: a response_url works up to 5 times


@dataclass
class ResponseUrlPost:
    """A message the app sent to a ``response_url`` (or as a slash command's reply)."""

    response_url_id: str
    payload: dict[str, Any]
    user_id: str
    channel_id: str
    time: float


class SlackResponseUrls:
    """The emulator's response URLs (the root of its mixins)."""

    workspace: Workspace

    if TYPE_CHECKING:  # the emulator's, once it listens
        @property
        def base_url(self) -> str: ...

    def __init__(self) -> None:
        self.responses: list[ResponseUrlPost] = []
        self._response_urls: dict[str, dict[str, Any]] = {}

    def _new_response_url(self, user: User, channel: Channel, message_ts: str | None = None,
                          ephemeral: bool = False) -> str:
        rid = uuid.uuid4().hex
        self._response_urls[rid] = {"user_id": user.id, "channel_id": channel.id,
                                    "message_ts": message_ts, "ephemeral": ephemeral, "uses": 0}
        return f"{self.base_url}/_emulator/response/{rid}"

    def _record_response(self, rid: str, origin: dict[str, Any], payload: dict[str, Any]) -> None:
        self.responses.append(ResponseUrlPost(rid, copy.deepcopy(payload), origin["user_id"],
                                              origin["channel_id"], time.time()))

    def _apply_response_url(self, rid: str, payload: dict[str, Any]
                            ) -> tuple[int, dict[str, Any]]:
        origin = self._response_urls.get(rid)
        if origin is None:
            return 404, {"ok": False, "error": "expired_url"}
        origin["uses"] += 1
        if origin["uses"] > RESPONSE_URL_USES:
            return 404, {"ok": False, "error": "used_url"}
        self._record_response(rid, origin, payload)
        try:
            self._apply_message_response(origin, payload)
        except SlackError as exc:
            return 400, {"ok": False, "error": exc.error}
        return 200, {"ok": True}

    def _apply_message_response(self, origin: dict[str, Any], payload: dict[str, Any]) -> None:
        """``delete_original`` / ``replace_original`` / ``in_channel`` / ephemeral (default)."""
        ws = self.workspace
        channel = ws.channels[origin["channel_id"]]
        ts = origin.get("message_ts")
        ephemerals = ws.ephemerals.setdefault(origin["user_id"], [])
        if payload.get("delete_original") and ts:
            self._delete_original(origin, channel, ts, ephemerals)
            return
        text = str(payload.get("text") or "")
        blocks = normalise_blocks(payload.get("blocks"))
        if not text and not blocks:
            raise SlackError("no_text")
        content: dict[str, Any] = {"text": text, **({"blocks": blocks} if blocks else {})}
        if payload.get("replace_original") and ts:
            self._replace_original(origin, channel, ts, ephemerals, content)
        elif payload.get("response_type") == "in_channel":
            msg = bot_message(ws, content)
            if payload.get("thread_ts"):
                msg["thread_ts"] = str(payload["thread_ts"])
            ws.store(channel, msg)
            ws.outbox.append({"kind": "posted", "channel": channel.id, "message": public(msg)})
        else:
            ephemerals.append({**bot_message(ws, content), "channel": channel.id})

    def _delete_original(self, origin: dict[str, Any], channel: Channel, ts: str,
                         ephemerals: list[dict[str, Any]]) -> None:
        ws = self.workspace
        if origin["ephemeral"]:
            ephemerals[:] = [e for e in ephemerals if e["ts"] != ts]
            return
        msg = ws.message(channel, ts)
        if not own(ws, msg):
            raise SlackError("cant_delete_message")
        ws.remove(channel, ts)
        ws.outbox.append({"kind": "deleted", "channel": channel.id, "previous": msg})

    def _replace_original(self, origin: dict[str, Any], channel: Channel, ts: str,
                          ephemerals: list[dict[str, Any]], content: dict[str, Any]) -> None:
        ws = self.workspace
        target = next((e for e in ephemerals if e["ts"] == ts), None) \
            if origin["ephemeral"] else ws.message(channel, ts)
        if target is None or not own(ws, target):
            raise SlackError("cant_update_message")
        previous = public(target)
        target.pop("blocks", None)
        target.update(content)
        if not origin["ephemeral"]:
            ws.outbox.append({"kind": "changed", "channel": channel.id,
                              "message": public(target), "previous": previous})
