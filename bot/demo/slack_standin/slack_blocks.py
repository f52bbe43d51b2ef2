"""Block Kit as Slack treats it: validation, generated ids, rich_text, and element state.

Used by the Web API handlers (validating what the app sends) and by the user
simulator (finding the button a user clicks, shaping ``state.values``).
"""

from __future__ import annotations

import copy
import html
import random
import re
import string
from collections.abc import Iterator
from typing import Any

from .slack_block_rules import check_blocks
from .slack_requests import SlackError

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

# Slack's inline markup that must survive escaping: mentions, channels, specials, links.
MARKUP = re.compile(
    r"<(@[UW][A-Z0-9]+|#[CG][A-Z0-9]+(?:\|[^>]*)?|![a-z]+(?:\^[^>]*)?"
    r"|(?:https?|mailto):[^>|]+(?:\|[^>]*)?)>"
)

_VALUE_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
_SINGLE_OPTION = {"static_select", "external_select", "radio_buttons", "overflow"}
_MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
_SELECTED_KEY = {
    "users_select": "selected_user", "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel", "multi_channels_select": "selected_channels",
    "datepicker": "selected_date", "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}
INTERACTIVE = {"button", *_VALUE_INPUTS, *_SINGLE_OPTION, *_MULTI_OPTION, *_SELECTED_KEY}


def short_id(length: int = 5) -> str:
    """Slack fills in missing ``block_id``/``action_id`` with short random strings."""
    return "".join(random.choices(string.ascii_letters + string.digits, k=length))


def block_elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Interactive elements: ``actions`` elements, a section ``accessory``, an input ``element``."""
    candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            candidates.append(block[key])
    for element in candidates:
        if isinstance(element, dict) and element.get("type") in INTERACTIVE:
            yield element


def normalise_blocks(raw: Any, *, limit: int = MAX_MESSAGE_BLOCKS,
                     pointer: str = "/blocks") -> list[dict[str, Any]]:
    """Validate blocks like Slack (``invalid_blocks``/``invalid_blocks_format``) and fill in ids.

    Problems are listed the way Slack lists them: ``errors`` and
    ``response_metadata.messages`` ("[ERROR] … [json-pointer:/blocks/0/text]").
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise SlackError("invalid_blocks_format")
    problems = check_blocks(raw, pointer, limit=limit)
    # Slack fetches every image it is given; one it cannot download fails the post.
    problems += [f"[ERROR] Downloading image failed [json-pointer:{pointer}{where}/image_url]"
                 for where, url in _image_urls(raw) if not _FETCHABLE.match(url)]
    if problems:
        raise SlackError("invalid_blocks", errors=[p.removeprefix("[ERROR] ") for p in problems],
                         response_metadata={"messages": problems})
    blocks = copy.deepcopy(raw)
    for block in blocks:
        block.setdefault("block_id", short_id())
        for element in block_elements(block):
            element.setdefault("action_id", short_id())
    return blocks


_FETCHABLE = re.compile(r"^https?://[^\s/]+\S*$")


def _image_urls(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every image's URL with its JSON pointer. Slack fetches each one while posting and
    refuses the whole message when one cannot be fetched; an http(s) URL is the least
    it needs (the emulator does not fetch)."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _image_urls(item, f"{where}/{i}")
    elif isinstance(node, dict):
        if node.get("type") == "image" and "image_url" in node:
            yield where, str(node["image_url"])
        for key in ("elements", "accessory"):
            if key in node:
                yield from _image_urls(node[key], f"{where}/{key}")


def find_element(blocks: list[dict[str, Any]], action_id: str
                 ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for block in blocks or []:
        for element in block_elements(block):
            if element.get("action_id") == action_id:
                return block, element
    return None


def escape(text: str) -> str:
    """Slack stores user text with ``&``, ``<`` and ``>`` escaped, keeping its own markup."""
    out, pos = [], 0
    for match in MARKUP.finditer(text):
        out.append(html.escape(text[pos:match.start()], quote=False))
        out.append(match.group(0))
        pos = match.end()
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def _markup_element(token: str) -> dict[str, Any]:
    if token.startswith("@"):
        return {"type": "user", "user_id": token[1:]}
    if token.startswith("#"):
        return {"type": "channel", "channel_id": token[1:].split("|")[0]}
    if token.startswith("!"):
        return {"type": "broadcast", "range": token[1:].split("^")[0]}
    url, _, label = token.partition("|")
    return {"type": "link", "url": url, **({"text": label} if label else {})}


def rich_text(escaped_text: str) -> list[dict[str, Any]]:
    """The ``rich_text`` block Slack attaches to a message typed in a Slack client."""
    elements: list[dict[str, Any]] = []
    pos = 0
    for match in MARKUP.finditer(escaped_text):
        if match.start() > pos:
            piece = html.unescape(escaped_text[pos:match.start()])
            elements.append({"type": "text", "text": piece})
        elements.append(_markup_element(match.group(1)))
        pos = match.end()
    if pos < len(escaped_text):
        elements.append({"type": "text", "text": html.unescape(escaped_text[pos:])})
    return [{"type": "rich_text", "block_id": short_id(4),
             "elements": [{"type": "rich_text_section", "elements": elements}]}]


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """Find a declared option by value; external selects accept any value (or an option dict)."""
    if isinstance(value, dict):
        return value
    for option in _options(element):
        if option.get("value") == value:
            return option
    if element["type"].endswith("external_select"):
        return {"text": {"type": "plain_text", "text": str(value), "emoji": True},
                "value": str(value)}
    raise ValueError(f"{element['type']} {element.get('action_id')!r} has no option {value!r}")


def element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """One element's entry in ``state.values`` (or a non-button action) in Slack's shape."""
    kind = element["type"]
    state: dict[str, Any] = {"type": kind}
    if kind in _VALUE_INPUTS or kind == "rich_text_input":
        state["value"] = None if value is None else str(value)
    elif kind in _SINGLE_OPTION:
        state["selected_option"] = None if value is None else _option(element, value)
    elif kind in _MULTI_OPTION:
        values = [] if value is None else (value if isinstance(value, list) else [value])
        state["selected_options"] = [_option(element, v) for v in values]
    elif kind in _SELECTED_KEY:
        state[_SELECTED_KEY[kind]] = value
    return state
