"""The "Reply with template" modal, rendered from a :class:`Draft`.

Buyer names and message text are untrusted: they only appear in plain_text.
"""

from __future__ import annotations

import json
from typing import Any

from bot.render.labels import flag
from bot.store.template_model import Template, language_name
from bot.templates.compose import Draft

CALLBACK_ID = "template_reply"
PICK_ACTION = "template_pick"
PREVIEW_ACTION = "template_preview"
TEXT_ACTION = "value"
TEXT_BLOCK_PREFIX = "text_"
MAX_INPUT = 3000


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def edited_text(view: dict[str, Any]) -> tuple[str | None, str | None]:
    """The text box's block id and current value, from a view's state."""
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        if block_id.startswith(TEXT_BLOCK_PREFIX) and TEXT_ACTION in actions:
            return block_id, actions[TEXT_ACTION].get("value") or ""
    return None, None


def option(t: Template) -> dict[str, Any]:
    return {"text": _plain(t.name, 75), "value": str(t.id)}


def option_groups(templates: list[Template]) -> list[dict[str, Any]]:
    """Slack allows 100 options in all; topics become the groups' labels."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for t in templates[:100]:
        groups.setdefault(t.topic, []).append(option(t))
    return [{"label": _plain(topic, 75), "options": opts} for topic, opts in groups.items()]


def reply_view(d: Draft) -> dict[str, Any]:
    conv, t = d.conversation, d.template
    who = f"To {conv.buyer_name} · {flag(d.site)} {d.site} · {d.store_name} · {conv.ref}"
    picker: dict[str, Any] = {
        "type": "external_select", "action_id": PICK_ACTION, "min_query_length": 0,
        "placeholder": _plain("Search topic, name or text", 150)}
    if t is not None:
        picker["initial_option"] = option(t)
    blocks: list[dict[str, Any]] = [
        {"type": "context", "block_id": "who", "elements": [_plain(who, 2000)]},
        {"type": "section", "block_id": "pick", "text": {"type": "mrkdwn", "text": "*Template*"},
         "accessory": picker},
    ]
    if d.hint:
        blocks.append({"type": "context", "block_id": "hint", "elements": [_plain(d.hint, 2000)]})
    if t is not None:
        variant = (f"{language_name(d.language)} ({d.language})" if d.language
                   else "default text (no version in the buyer's language)")
        blocks.append({"type": "context", "block_id": "variant", "elements": [
            _plain(f"{t.label} · {variant}", 2000)]})
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": TEXT_ACTION,
                               "multiline": True, "max_length": MAX_INPUT}
    if d.text:
        element["initial_value"] = d.text[:MAX_INPUT]
    # A new block id per template: Slack keeps what was typed in an input whose
    # block id survives a views.update, so a new pick would not show its text.
    blocks += [
        {"type": "input", "block_id": f"{TEXT_BLOCK_PREFIX}{t.id if t else 0}",
         "label": _plain("Message to the buyer (edit freely)", 2000), "element": element},
        {"type": "actions", "block_id": "preview_actions", "elements": [
            {"type": "button", "action_id": PREVIEW_ACTION,
             "text": _plain("Update preview", 75)}]},
        {"type": "section", "block_id": "preview_head",
         "text": {"type": "mrkdwn", "text": "*The buyer will receive*"}},
    ]
    chunks = [d.preview[i:i + 2900] for i in range(0, len(d.preview), 2900)] or ["—"]
    blocks += [{"type": "section", "block_id": f"preview_{i}", "text": _plain(c, 3000)}
               for i, c in enumerate(chunks[:5])]
    if d.missing:
        # names match [A-Za-z0-9_]+ (placeholders.py): nothing in them to escape
        names = ", ".join(f"`{{{n}}}`" for n in d.missing)
        blocks.append({"type": "section", "block_id": "missing", "text": {
            "type": "mrkdwn", "text": f"⚠️ No value for {names}. Replace "
            f"{'it' if len(d.missing) == 1 else 'them'} in the text: Send is refused while "
            "a placeholder is left."}})
    if d.translated_into:
        blocks.append({"type": "context", "block_id": "translated", "elements": [_plain(
            f"🌐 “Translate my replies” is on: the buyer receives this translated into "
            f"{language_name(d.translated_into)} ({d.translated_into}).", 2000)]})
    back = _back_line(d)
    if back:
        blocks.append({"type": "context", "block_id": "back", "elements": [_plain(back, 2000)]})
    return {
        "type": "modal", "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"c": conv.id, "t": t.id if t else None}),
        "title": _plain("Reply with template", 24), "submit": _plain("Send", 24),
        "close": _plain("Cancel", 24), "blocks": blocks,
    }


def _back_line(d: Draft) -> str | None:
    head = f"↩️ Back-translation ({d.language})"
    if d.back_state == "pending":
        return f"{head}: checking…"
    if d.back_state == "failed":
        return f"{head}: not available right now."
    if d.back_state == "done":
        return f"{head}: {d.back_translation}"
    return None


def _plain(text: str, limit: int) -> dict[str, Any]:
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": True}
