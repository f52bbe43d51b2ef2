"""Web API ``views.*``: modals opened with a fresh trigger, a stack of at most 3, hashes.

Also holds the modal bookkeeping the user simulator needs after a submission
(``response_action`` clear/update/push/errors, or closing the top view).
"""

from __future__ import annotations

import random
import time
from typing import Any

from .slack_blocks import MAX_VIEW_BLOCKS, normalise_blocks
from .slack_requests import Params, SlackError
from .slack_state import Workspace
from .slack_web_chat import Handler

MAX_STACK = 3


def _invalid(message: str) -> SlackError:
    return SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {message}"]})


def _new_hash() -> str:
    return f"{time.time():.6f}.{random.getrandbits(32):08x}"


def view_blocks(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """A view's blocks (modal or Home: at most 100); problems come back as Slack words
    them for views: ``invalid_arguments`` with ``[json-pointer:/view/blocks/…]``."""
    try:
        return normalise_blocks(raw.get("blocks") or [], limit=MAX_VIEW_BLOCKS,
                                pointer="/view/blocks")
    except SlackError as exc:
        messages = (exc.extra.get("response_metadata") or {}).get("messages") \
            or ["[ERROR] failed to match all allowed schemas [json-pointer:/view/blocks]"]
        raise SlackError("invalid_arguments", response_metadata={"messages": messages}) from None


def _check_view_strings(raw: dict[str, Any]) -> None:
    """``callback_id``/``external_id`` up to 255 characters, metadata up to 3000."""
    for key, limit in (("callback_id", 255), ("external_id", 255), ("private_metadata", 3000)):
        if len(str(raw.get(key) or "")) > limit:
            raise _invalid(f"must be less than {limit + 1} characters "
                           f"[json-pointer:/view/{key}]")


def checked_view(raw: Any) -> dict[str, Any]:
    """Validate a view definition the way Slack reports problems (``invalid_arguments``)."""
    if not isinstance(raw, dict):
        raise _invalid("missing required field: view")
    if raw.get("type") != "modal":
        raise _invalid("must be a valid enum value [json-pointer:/view/type]")
    title = raw.get("title")
    if not isinstance(title, dict) or not title.get("text"):
        raise _invalid("missing required field: title [json-pointer:/view/title]")
    for key in ("title", "submit", "close"):
        obj = raw.get(key)
        if isinstance(obj, dict) and len(str(obj.get("text") or "")) > 24:
            raise _invalid(f"must be less than 25 characters [json-pointer:/view/{key}/text]")
    _check_view_strings(raw)
    return {**raw, "blocks": view_blocks(raw)}


def render(ws: Workspace, definition: dict[str, Any], *, view_id: str, root_id: str,
           previous_id: str | None) -> dict[str, Any]:
    """The view object Slack returns and sends back in interaction payloads."""
    return {
        "id": view_id, "team_id": ws.team_id, "type": "modal",
        "blocks": definition["blocks"], "private_metadata": definition.get("private_metadata", ""),
        "callback_id": definition.get("callback_id", ""), "state": {"values": {}},
        "hash": _new_hash(), "title": definition["title"],
        "clear_on_close": bool(definition.get("clear_on_close", False)),
        "notify_on_close": bool(definition.get("notify_on_close", False)),
        "close": definition.get("close"), "submit": definition.get("submit"),
        "previous_view_id": previous_id, "root_view_id": root_id, "app_id": ws.app_id,
        "external_id": definition.get("external_id", ""), "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }


def push_view(ws: Workspace, user_id: str, definition: dict[str, Any], *, reset: bool
              ) -> dict[str, Any]:
    """Open a modal for a user: a new stack (``reset``) or one level deeper (max 3)."""
    stack = [] if reset else ws.view_stacks.get(user_id, [])
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    view_id = ws.new_id("V")
    view = render(ws, definition, view_id=view_id, root_id=stack[0] if stack else view_id,
                  previous_id=stack[-1] if stack else None)
    ws.views[view_id] = view
    ws.view_owners[view_id] = user_id
    ws.view_stacks[user_id] = [*stack, view_id]
    return view


def close_views(ws: Workspace, user_id: str, *, all_views: bool) -> None:
    """Submitting closes the top modal (or, with ``clear``, the whole stack)."""
    stack = ws.view_stacks.get(user_id, [])
    ws.view_stacks[user_id] = [] if all_views else stack[:-1]


def replace_view(ws: Workspace, view_id: str, definition: dict[str, Any]) -> dict[str, Any]:
    old = ws.views[view_id]
    view = render(ws, definition, view_id=view_id, root_id=old["root_view_id"],
                  previous_id=old["previous_view_id"])
    ws.views[view_id] = view
    return view


def views_open(ws: Workspace, p: Params) -> dict[str, Any]:
    definition = checked_view(p.structured("view"))
    trigger = ws.redeem_trigger(p.text("trigger_id"))
    return {"ok": True, "view": push_view(ws, trigger.user_id, definition, reset=True)}


def views_push(ws: Workspace, p: Params) -> dict[str, Any]:
    definition = checked_view(p.structured("view"))
    trigger = ws.redeem_trigger(p.text("trigger_id"))
    return {"ok": True, "view": push_view(ws, trigger.user_id, definition, reset=False)}


def views_update(ws: Workspace, p: Params) -> dict[str, Any]:
    """Update by ``view_id`` or ``external_id``; a stale ``hash`` is a ``hash_conflict``."""
    definition = checked_view(p.structured("view"))
    view_id, external_id = p.text("view_id"), p.text("external_id")
    if not view_id and not external_id:
        raise _invalid("one of view_id or external_id is required")
    if not view_id:
        view_id = next((v["id"] for v in ws.views.values()
                        if v.get("external_id") == external_id), None)
    if view_id not in ws.views:
        raise SlackError("not_found")
    expected = p.text("hash")
    if expected and expected != ws.views[view_id]["hash"]:
        raise SlackError("hash_conflict")
    return {"ok": True, "view": replace_view(ws, view_id, definition)}


def views_publish(ws: Workspace, p: Params) -> dict[str, Any]:
    """The App Home tab of one user (``type: home``, at most 100 blocks)."""
    user_id = p.text("user_id")
    if not user_id or user_id not in ws.users:
        raise SlackError("user_not_found")
    raw = p.structured("view")
    if not isinstance(raw, dict) or raw.get("type") != "home":
        raise _invalid("must be a valid enum value [json-pointer:/view/type]")
    _check_view_strings(raw)
    blocks = view_blocks(raw)
    view = {"id": ws.home_views.get(user_id, {}).get("id") or f"V{random.randrange(16**9):09X}",
            "team_id": ws.team_id, "type": "home", "blocks": blocks,
            "private_metadata": raw.get("private_metadata", ""),
            "callback_id": raw.get("callback_id", ""), "hash": _new_hash(),
            "app_id": ws.app_id, "bot_id": ws.bot_id}
    ws.home_views[user_id] = view
    return {"ok": True, "view": view}


METHODS: dict[str, Handler] = {
    "views.publish": views_publish,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
}
