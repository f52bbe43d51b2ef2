"""Block Kit limits the real Slack enforces, reported the way Slack reports them.

Slack refuses the whole message or view when one rule is broken: ``chat.*`` answer
``invalid_blocks`` and views ``invalid_arguments``, each with one line per problem
in ``response_metadata.messages`` ("[ERROR] must be less than 3001 characters
[json-pointer:/blocks/0/text/text]"). The numbers come from the Block Kit
reference (blocks, elements, composition objects); the uniqueness rules from the
same pages: a ``block_id`` is unique within its message or view, an ``action_id``
within its block. The emulator checks them so a renderer that breaks one fails a
test here instead of leaving an agent with no Home tab.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Problems = list[str]

ID_MAX = 255
TEXT_MAX = 3000  # any text object, unless its field says less
_PLAIN_ONLY = "plain_text"

# block type -> {field: (max characters, plain_text only)} for text-object fields
_BLOCK_TEXTS: dict[str, dict[str, tuple[int, bool]]] = {
    "section": {"text": (3000, False)},
    "header": {"text": (150, True)},
    "input": {"label": (2000, True), "hint": (2000, True)},
    "image": {"title": (2000, True)},
    "video": {"title": (200, True), "description": (200, True)},
}
# element type -> {field: (max characters, plain_text only)}
_ELEMENT_TEXTS: dict[str, dict[str, tuple[int, bool]]] = {
    "button": {"text": (75, True)},
    "static_select": {"placeholder": (150, True)},
    "multi_static_select": {"placeholder": (150, True)},
    "external_select": {"placeholder": (150, True)},
    "multi_external_select": {"placeholder": (150, True)},
    "users_select": {"placeholder": (150, True)},
    "multi_users_select": {"placeholder": (150, True)},
    "conversations_select": {"placeholder": (150, True)},
    "multi_conversations_select": {"placeholder": (150, True)},
    "channels_select": {"placeholder": (150, True)},
    "multi_channels_select": {"placeholder": (150, True)},
    "plain_text_input": {"placeholder": (150, True)},
    "datepicker": {"placeholder": (150, True)},
    "timepicker": {"placeholder": (150, True)},
}
_STRING_LIMITS: dict[str, dict[str, int]] = {
    "button": {"value": 2000, "url": 3000, "accessibility_label": 75},
    "image": {"image_url": 3000, "alt_text": 2000},
    "plain_text_input": {"initial_value": 3000},
}
_OPTION_LISTS = {"static_select": 100, "multi_static_select": 100, "overflow": 5,
                 "radio_buttons": 10, "checkboxes": 10}
_ITEM_LIMITS = {("actions", "elements"): 25, ("context", "elements"): 10,
                ("section", "fields"): 10}


def _too_long(limit: int, pointer: str) -> str:
    return f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]"


def check_text(obj: Any, pointer: str, *, limit: int = TEXT_MAX,
               plain_only: bool = False) -> Problems:
    """A text object: ``plain_text`` or ``mrkdwn``, 1 to ``limit`` characters."""
    if not isinstance(obj, dict):
        return [f"[ERROR] must be an object [json-pointer:{pointer}]"]
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in allowed:
        return [f"[ERROR] must be one of {', '.join(allowed)} [json-pointer:{pointer}/type]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"[ERROR] must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(text) > limit:
        return [_too_long(limit, f"{pointer}/text")]
    return []


def _check_id(value: Any, pointer: str) -> Problems:
    if not isinstance(value, str) or not value:
        return [f"[ERROR] must be more than 0 characters [json-pointer:{pointer}]"]
    return [_too_long(ID_MAX, pointer)] if len(value) > ID_MAX else []


def _options(element: dict[str, Any], pointer: str) -> Problems:
    problems: Problems = []
    groups = [(f"{pointer}/options", element.get("options") or [])]
    groups += [(f"{pointer}/option_groups/{g}/options", group.get("options") or [])
               for g, group in enumerate(element.get("option_groups") or [])]
    # Each list counts on its own: up to 100 options, or up to 100 groups of 100.
    limit = _OPTION_LISTS.get(element.get("type", ""))
    lists = [(f"{pointer}/option_groups", element.get("option_groups") or []), *groups]
    for where, items in lists:
        if limit is not None and len(items) > limit:
            problems.append(f"[ERROR] no more than {limit} items allowed [json-pointer:{where}]")
    # radio/checkbox options may be mrkdwn; select and overflow options are plain text
    plain = element.get("type") not in ("radio_buttons", "checkboxes")
    for where, opts in groups:
        for o, option in enumerate(opts):
            at = f"{where}/{o}"
            problems += check_text(option.get("text"), f"{at}/text", limit=75,
                                   plain_only=plain)
            value = option.get("value")
            if isinstance(value, str) and len(value) > 150:
                problems.append(_too_long(150, f"{at}/value"))
    return problems


def _confirm(confirm: Any, pointer: str) -> Problems:
    if not isinstance(confirm, dict):
        return []
    problems: Problems = []
    for key, limit in (("title", 100), ("text", 300), ("confirm", 30), ("deny", 30)):
        if key in confirm:
            problems += check_text(confirm[key], f"{pointer}/{key}", limit=limit,
                                   plain_only=key != "text")
    return problems


def check_element(element: Any, pointer: str) -> Problems:
    if not isinstance(element, dict):
        return [f"[ERROR] must be an object [json-pointer:{pointer}]"]
    kind = element.get("type", "")
    problems: Problems = []
    if "action_id" in element:
        problems += _check_id(element["action_id"], f"{pointer}/action_id")
    for key, (limit, plain) in _ELEMENT_TEXTS.get(kind, {}).items():
        if key in element or key == "text":
            problems += check_text(element.get(key), f"{pointer}/{key}", limit=limit,
                                   plain_only=plain)
    for key, limit in _STRING_LIMITS.get(kind, {}).items():
        value = element.get(key)
        if isinstance(value, str) and len(value) > limit:
            problems.append(_too_long(limit, f"{pointer}/{key}"))
    if kind in _OPTION_LISTS:
        problems += _options(element, pointer)
    problems += _confirm(element.get("confirm"), f"{pointer}/confirm")
    return problems


def _children(block: dict[str, Any], pointer: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Interactive elements of a block with their pointers (actions, accessory, input)."""
    if block.get("type") == "actions":
        for e, element in enumerate(block.get("elements") or []):
            yield element, f"{pointer}/elements/{e}"
    for key in ("accessory", "element"):
        if isinstance(block.get(key), dict):
            yield block[key], f"{pointer}/{key}"


def check_block(block: dict[str, Any], pointer: str) -> Problems:
    kind = block["type"]
    problems: Problems = []
    if "block_id" in block:
        problems += _check_id(block["block_id"], f"{pointer}/block_id")
    problems += _item_counts(block, kind, pointer)
    problems += _block_texts(block, kind, pointer)
    by_kind = _KIND_RULES.get(kind)
    if by_kind is not None:
        problems += by_kind(block, pointer)
    problems += _children_problems(block, pointer)
    return problems


def _item_counts(block: dict[str, Any], kind: str, pointer: str) -> Problems:
    problems: Problems = []
    for (owner, key), limit in _ITEM_LIMITS.items():
        items = block.get(key)
        if kind == owner and isinstance(items, list) and len(items) > limit:
            problems.append(f"[ERROR] no more than {limit} items allowed "
                            f"[json-pointer:{pointer}/{key}]")
    return problems


def _block_texts(block: dict[str, Any], kind: str, pointer: str) -> Problems:
    problems: Problems = []
    for key, (limit, plain) in _BLOCK_TEXTS.get(kind, {}).items():
        required = (kind, key) in (("header", "text"), ("input", "label"))
        if key in block or required:
            problems += check_text(block.get(key), f"{pointer}/{key}", limit=limit,
                                   plain_only=plain)
    return problems


def _section(block: dict[str, Any], pointer: str) -> Problems:
    problems: Problems = []
    if "text" not in block and not block.get("fields"):
        problems.append(f"[ERROR] must provide either text or fields "
                        f"[json-pointer:{pointer}]")
    for f, field in enumerate(block.get("fields") or []):
        problems += check_text(field, f"{pointer}/fields/{f}", limit=2000)
    return problems


def _context(block: dict[str, Any], pointer: str) -> Problems:
    problems: Problems = []
    for e, element in enumerate(block.get("elements") or []):
        if isinstance(element, dict) and element.get("type") in ("plain_text", "mrkdwn"):
            problems += check_text(element, f"{pointer}/elements/{e}")
    return problems


def _markdown(block: dict[str, Any], pointer: str) -> Problems:
    if len(str(block.get("text") or "")) > 12000:
        return [_too_long(12000, f"{pointer}/text")]
    return []


def _image(block: dict[str, Any], pointer: str) -> Problems:
    problems: Problems = []
    for key, limit in _STRING_LIMITS["image"].items():
        value = block.get(key)
        if isinstance(value, str) and len(value) > limit:
            problems.append(_too_long(limit, f"{pointer}/{key}"))
    return problems


_KIND_RULES: dict[str, Callable[[dict[str, Any], str], Problems]] = {
    "section": _section, "context": _context, "markdown": _markdown, "image": _image,
}


def _children_problems(block: dict[str, Any], pointer: str) -> Problems:
    """Each interactive element's rules, and its action_id unique in the block."""
    problems: Problems = []
    seen: dict[str, str] = {}
    for element, at in _children(block, pointer):
        problems += check_element(element, at)
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if isinstance(action_id, str) and action_id in seen:
            problems.append(f"[ERROR] action_id {action_id!r} already used in this block at "
                            f"{seen[action_id]} [json-pointer:{at}/action_id]")
        elif isinstance(action_id, str):
            seen[action_id] = at
    return problems


def check_blocks(blocks: list[Any], pointer: str, *, limit: int) -> Problems:
    """Every rule over a list of blocks; ``pointer`` is where the list sits in the request."""
    problems = [f"[ERROR] missing required field: type [json-pointer:{pointer}/{i}]"
                for i, b in enumerate(blocks) if not isinstance(b, dict) or not b.get("type")]
    if len(blocks) > limit:
        problems.append(f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]")
    if problems:
        return problems
    seen: dict[str, int] = {}
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        problems += check_block(block, at)
        block_id = block.get("block_id")
        if isinstance(block_id, str) and block_id in seen:
            problems.append(f"[ERROR] block_id {block_id!r} already used by block "
                            f"{seen[block_id]} [json-pointer:{at}/block_id]")
        elif isinstance(block_id, str):
            seen[block_id] = i
    return problems
