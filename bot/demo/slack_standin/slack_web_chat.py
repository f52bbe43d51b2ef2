"""Web API methods that write messages: ``chat.*`` and ``reactions.*``.

Each handler takes the workspace and the request arguments, returns the JSON
Slack would answer with, or raises :class:`SlackError` with Slack's error code.
Changes the app should hear about as events are queued on ``workspace.outbox``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .slack_blocks import normalise_blocks
from .slack_requests import Params, SlackError
from .slack_state import Channel, Workspace

Handler = Callable[[Workspace, Params], dict[str, Any]]
MAX_TEXT = 40_000
MAX_REACTIONS = 23
_EMOJI_NAME = re.compile(r"^[a-z0-9_+'\-]+(::skin-tone-[2-6])?$")
KNOWN_EMOJI = frozenset("""
+1 -1 thumbsup thumbsdown ok_hand clap wave pray raised_hands muscle point_up point_right
white_check_mark heavy_check_mark ballot_box_with_check x heavy_multiplication_x
negative_squared_cross_mark warning no_entry no_entry_sign exclamation heavy_exclamation_mark
question grey_question grey_exclamation bangbang interrobang eyes eye speech_balloon
thought_balloon memo pencil pencil2 email envelope incoming_envelope envelope_with_arrow
inbox_tray outbox_tray mailbox mailbox_with_mail package truck shopping_trolley shopping_bags
moneybag money_with_wings dollar credit_card receipt label bookmark pushpin round_pushpin
paperclip link lock unlock key bell no_bell mega loudspeaker rotating_light fire zap star
star2 sparkles tada confetti_ball gift heart heart_eyes smile smiley grinning joy laughing
slightly_smiling_face upside_down_face wink blush thinking_face face_with_monocle
neutral_face expressionless confused worried cry sob angry rage sweat_smile sweat
hourglass hourglass_flowing_sand stopwatch alarm_clock timer_clock clock1 clock3 watch
calendar date spiral_calendar_pad arrows_counterclockwise repeat recycle arrow_right
arrow_left arrow_up arrow_down leftwards_arrow_with_hook arrow_forward rewind fast_forward
white_circle black_circle red_circle large_blue_circle large_green_circle
large_yellow_circle large_orange_circle large_purple_circle green_heart blue_heart
yellow_heart purple_heart broken_heart 100 1234 information_source sos new free up cool
robot_face bust_in_silhouette busts_in_silhouette man woman technologist globe_with_meridians
earth_asia flag-sg flag-my flag-th flag-id flag-vn flag-ph flag-cn flag-tw flag-us
mag mag_right bulb wrench hammer hammer_and_wrench gear toolbox construction rocket
chart_with_upwards_trend chart_with_downwards_trend bar_chart clipboard file_folder
open_file_folder card_index pin triangular_flag_on_post checkered_flag white_flag
raising_hand handshake zipper_mouth_face shushing_face see_no_evil speak_no_evil
hear_no_evil ghost skull poop coffee tea beer cake pizza sunny cloud umbrella snowflake
""".split())


# -- shared helpers ------------------------------------------------------------------------
def public(msg: dict[str, Any], *, metadata: bool = True) -> dict[str, Any]:
    """A copy safe to hand out (callers may mutate it); ``metadata`` only when asked for.
    Through JSON, not deepcopy: messages are JSON by nature, and this is several
    times faster on big cards (the inbound bench's emulator time was mostly this)."""
    out: dict[str, Any] = json.loads(json.dumps(msg))
    if not metadata:
        out.pop("metadata", None)
    return out


def _postable_channel(ws: Workspace, ref: str | None) -> Channel:
    """The bot must be in the channel, unless it holds chat:write.public for a public one."""
    channel = ws.channel(ref)
    if channel.is_archived:
        raise SlackError("is_archived")
    member = ws.bot_user_id in channel.members
    if not member and not (ws.has_scope("chat:write.public") and not channel.is_private):
        raise SlackError("not_in_channel")
    return channel


def _content(p: Params, *, required: bool = True) -> dict[str, Any]:
    """``text``/``blocks``/``attachments`` as Slack checks them (no_text, invalid_blocks, ...)."""
    text = p.text("text", "") or ""
    blocks = normalise_blocks(p.structured("blocks", "invalid_blocks_format"))
    attachments = p.structured("attachments", "invalid_attachments")
    if attachments is not None and not isinstance(attachments, list):
        raise SlackError("invalid_attachments")
    if required and not text and not blocks and not attachments:
        raise SlackError("no_text")
    # Slack's documented rule since 2018: text beyond 40,000 characters is cut, not refused.
    text = text[:MAX_TEXT]
    content: dict[str, Any] = {"text": text}
    if blocks:
        content["blocks"] = blocks
    if attachments:
        content["attachments"] = [dict(a, id=i + 1) for i, a in enumerate(attachments)]
    return content


def _metadata(p: Params) -> dict[str, Any] | None:
    metadata = p.structured("metadata", "invalid_metadata_format")
    if metadata is None:
        return None
    if not isinstance(metadata, dict) or not metadata.get("event_type") \
            or not isinstance(metadata.get("event_payload", {}), dict):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"],
            "event_payload": metadata.get("event_payload", {})}


def _identity(ws: Workspace, p: Params) -> dict[str, Any]:
    """Who the message appears to be from.

    ``username``/``icon_url``/``icon_emoji`` only take effect with chat:write.customize
    (ignored otherwise); an overridden identity makes Slack store a ``bot_message``
    with ``username``/``icons`` instead of the bot user's ``user``.
    """
    base: dict[str, Any] = {"type": "message", "bot_id": ws.bot_id, "app_id": ws.app_id}
    username = p.text("username")
    icons = {k: p.text(f"icon_{k}") for k in ("url", "emoji") if p.text(f"icon_{k}")}
    if (username or icons) and ws.has_scope("chat:write.customize"):
        # Slack keeps the first 80 characters of a username and drops the rest.
        base.update(subtype="bot_message", username=(username or ws.bot_name)[:80])
        if icons:
            base["icons"] = {"emoji" if k == "emoji" else "image_48": v for k, v in icons.items()}
        return base
    return {**base, "user": ws.bot_user_id}


def bot_message(ws: Workspace, content: dict[str, Any],
                identity: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new message authored by the app's bot (``bot_profile`` unless identity overridden)."""
    identity = identity or {"type": "message", "bot_id": ws.bot_id, "app_id": ws.app_id,
                            "user": ws.bot_user_id}
    msg = {**identity, **content, "ts": ws.clock.next(), "team": ws.team_id}
    if msg.get("user"):
        msg["bot_profile"] = ws.bot_profile()
    return msg


def own(ws: Workspace, msg: dict[str, Any]) -> bool:
    return msg.get("bot_id") == ws.bot_id


def _thread_ts(p: Params) -> str | None:
    thread_ts = p.text("thread_ts")
    if thread_ts is not None and not re.fullmatch(r"\d+\.\d+", thread_ts):
        raise SlackError("invalid_thread_ts")
    return thread_ts


# -- chat.* --------------------------------------------------------------------------------
def post_message(ws: Workspace, p: Params) -> dict[str, Any]:
    ws.require_scope("chat:write")
    channel = _postable_channel(ws, p.text("channel"))
    msg = bot_message(ws, _content(p), _identity(ws, p))
    thread_ts = _thread_ts(p)
    if thread_ts:
        msg["thread_ts"] = thread_ts
        if p.flag("reply_broadcast"):
            msg["subtype"] = "thread_broadcast"
    metadata = _metadata(p)
    if metadata:
        msg["metadata"] = metadata
    ws.store(channel, msg)
    ws.outbox.append({"kind": "posted", "channel": channel.id, "message": public(msg)})
    return {"ok": True, "channel": channel.id, "ts": msg["ts"], "message": public(msg)}


def update(ws: Workspace, p: Params) -> dict[str, Any]:
    ws.require_scope("chat:write")
    channel = ws.channel(p.text("channel"))
    msg = ws.message(channel, p.text("ts"))
    if not own(ws, msg):
        raise SlackError("cant_update_message")
    previous = public(msg)
    content = _content(p, required=False)
    if not content["text"] and "blocks" not in content and "attachments" not in content:
        raise SlackError("no_text")
    for key in ("blocks", "attachments"):
        msg.pop(key, None)
    msg.update(content)
    metadata = _metadata(p)
    if metadata:
        msg["metadata"] = metadata
    ws.outbox.append({"kind": "changed", "channel": channel.id, "message": public(msg),
                      "previous": previous})
    return {"ok": True, "channel": channel.id, "ts": msg["ts"], "text": msg["text"],
            "message": public(msg)}


def delete(ws: Workspace, p: Params) -> dict[str, Any]:
    ws.require_scope("chat:write")
    channel = ws.channel(p.text("channel"))
    msg = ws.message(channel, p.text("ts"))
    if not own(ws, msg):
        raise SlackError("cant_delete_message")
    ws.remove(channel, msg["ts"])
    ws.outbox.append({"kind": "deleted", "channel": channel.id, "previous": public(msg)})
    return {"ok": True, "channel": channel.id, "ts": msg["ts"]}


def post_ephemeral(ws: Workspace, p: Params) -> dict[str, Any]:
    """Ephemeral messages only reach the one user; they never enter history."""
    ws.require_scope("chat:write")
    channel = _postable_channel(ws, p.text("channel"))
    user = ws.users.get(p.text("user") or "")
    if user is None or user.id not in channel.members:
        raise SlackError("user_not_in_channel")
    msg = {**_identity(ws, p), **_content(p), "ts": ws.clock.next(), "channel": channel.id}
    thread_ts = _thread_ts(p)
    if thread_ts:
        msg["thread_ts"] = thread_ts
    ws.ephemerals.setdefault(user.id, []).append(msg)
    return {"ok": True, "message_ts": msg["ts"]}


def get_permalink(ws: Workspace, p: Params) -> dict[str, Any]:
    channel = ws.channel(p.text("channel"))
    msg = ws.message(channel, p.text("message_ts"))
    link = f"https://{ws.team_domain}.slack.com/archives/{channel.id}/p{msg['ts'].replace('.', '')}"
    if msg.get("thread_ts") and msg["thread_ts"] != msg["ts"]:
        link += f"?thread_ts={msg['thread_ts']}&cid={channel.id}"
    return {"ok": True, "channel": channel.id, "permalink": link}


# -- reactions.* ---------------------------------------------------------------------------
def _reaction_target(ws: Workspace, p: Params) -> tuple[Channel, dict[str, Any]]:
    channel = ws.channel(p.text("channel"))
    return channel, ws.message(channel, p.text("timestamp"))


def _emoji(ws: Workspace, p: Params) -> str:
    name = p.text("name") or ""
    base = name.split("::")[0]
    if not _EMOJI_NAME.match(name) or (base not in KNOWN_EMOJI and base not in ws.custom_emoji):
        raise SlackError("invalid_name")
    return name


def add_reaction(ws: Workspace, msg: dict[str, Any], name: str, user_id: str) -> None:
    """Record ``user_id`` reacting with ``name`` (shared with the user simulator)."""
    reactions = msg.setdefault("reactions", [])
    entry = next((r for r in reactions if r["name"] == name), None)
    if entry is None:
        if len(reactions) >= MAX_REACTIONS:
            raise SlackError("too_many_reactions")
        entry = {"name": name, "users": [], "count": 0}
        reactions.append(entry)
    if user_id in entry["users"]:
        raise SlackError("already_reacted")
    entry["users"].append(user_id)
    entry["count"] = len(entry["users"])


def reactions_add(ws: Workspace, p: Params) -> dict[str, Any]:
    ws.require_scope("reactions:write")
    _, msg = _reaction_target(ws, p)
    add_reaction(ws, msg, _emoji(ws, p), ws.bot_user_id)
    return {"ok": True}


def reactions_remove(ws: Workspace, p: Params) -> dict[str, Any]:
    ws.require_scope("reactions:write")
    _, msg = _reaction_target(ws, p)
    name = _emoji(ws, p)
    reactions = msg.get("reactions", [])
    entry = next((r for r in reactions if r["name"] == name), None)
    if entry is None or ws.bot_user_id not in entry["users"]:
        raise SlackError("no_reaction")
    entry["users"].remove(ws.bot_user_id)
    entry["count"] = len(entry["users"])
    msg["reactions"] = [r for r in reactions if r["users"]]
    if not msg["reactions"]:
        del msg["reactions"]
    return {"ok": True}


def reactions_get(ws: Workspace, p: Params) -> dict[str, Any]:
    ws.require_scope("reactions:read")
    channel, msg = _reaction_target(ws, p)
    return {"ok": True, "type": "message", "channel": channel.id,
            "message": public(msg, metadata=False)}


METHODS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
    "reactions.add": reactions_add,
    "reactions.remove": reactions_remove,
    "reactions.get": reactions_get,
}
