"""Views for managing templates in Slack: the browser, the editor, the delete check.

Template text is written by managers but still shown as data: plain_text, or
escaped where it sits in mrkdwn.
"""

from __future__ import annotations

import json
from typing import Any

from bot.render.labels import slack_date
from bot.store.template_model import Template, language_name
from bot.templates.placeholders import KNOWN
from bot.templates.validate import MAX_BODY, MAX_NAME, MAX_TOPIC
from bot.text_safety import escape_mrkdwn

BROWSE = "templates_browse"
EDIT = "template_edit"
DELETE = "template_delete"
TOPIC_ACTION = "tm_topic"
ADD_ACTION = "tm_add"
ROW_ACTION = "tm_row"  # one per row: "tm_row:<template id>"
ALL_TOPICS = "*"
#: Languages offered in the editor besides those a template already has.
EDITOR_LANGUAGES = ("en", "vi", "th", "ms", "id", "zh")
LIST_LIMIT = 40  # two blocks each, under Slack's 100 blocks per view


def browse_view(templates: list[Template], topics: list[str], total: int, *,
                query: str = "", topic: str | None = None) -> dict[str, Any]:
    search: dict[str, Any] = {"type": "plain_text_input", "action_id": "query"}
    if query:
        search["initial_value"] = query
    all_option = {"text": _plain("All topics"), "value": ALL_TOPICS}
    topic_options = [all_option] + [{"text": _plain(t), "value": t} for t in topics[:99]]
    chosen = next((o for o in topic_options if o["value"] == topic), all_option)
    shown = templates[:LIST_LIMIT]
    blocks: list[dict[str, Any]] = [
        {"type": "input", "block_id": "search", "optional": True, "element": search,
         "label": _plain("Search topic, name or text", 2000)},
        {"type": "actions", "block_id": "tools", "elements": [
            {"type": "static_select", "action_id": TOPIC_ACTION, "options": topic_options,
             "initial_option": chosen, "placeholder": _plain("Topic")},
            {"type": "button", "action_id": ADD_ACTION, "style": "primary",
             "text": _plain("Add template")}]},
        {"type": "context", "block_id": "count", "elements": [{"type": "mrkdwn", "text": (
            f"{total} template(s) in all · {len(templates)} match"
            + (f", first {LIST_LIMIT} shown: search to narrow" if len(templates) > LIST_LIMIT
               else ""))}]},
    ]
    for t in shown:
        blocks += _row(t)
    if not templates:
        blocks.append({"type": "section", "block_id": "empty", "text": {"type": "mrkdwn", "text": (
            "No templates match." if total else "No templates yet. Add one here, or import a "
            "file: `storebridge templates import FILE.yml`.")}})
    return {"type": "modal", "callback_id": BROWSE, "title": _plain("Templates"),
            "submit": _plain("Search"), "close": _plain("Done"),
            "private_metadata": json.dumps({"q": query, "topic": topic}), "blocks": blocks}


def _row(t: Template) -> list[dict[str, Any]]:
    used = (f"used {t.usage_count}× · last {slack_date(t.last_used_at)}" if t.usage_count
            else "never used")
    langs = ", ".join(sorted(t.variants)) or "default text only"
    return [
        {"type": "section", "block_id": f"row_{t.id}", "text": {"type": "mrkdwn", "text": (
            f"*{escape_mrkdwn(t.topic)}* — {escape_mrkdwn(t.name)}\n{used} · {langs}")},
         "accessory": {"type": "overflow", "action_id": f"{ROW_ACTION}:{t.id}", "options": [
             {"text": _plain("Edit"), "value": f"edit:{t.id}"},
             {"text": _plain("Delete"), "value": f"delete:{t.id}"}]}},
        {"type": "context", "block_id": f"body_{t.id}",
         "elements": [_plain(" ".join(t.body.split()), 150)]},
    ]


def edit_view(t: Template | None, team_language: str, back: dict[str, Any]) -> dict[str, Any]:
    """``back``: the browser's search state, to refresh it after saving."""
    variants = dict(t.variants) if t else {}
    languages = [c for c in EDITOR_LANGUAGES if c != team_language.lower()]
    languages += sorted(c for c in variants if c not in languages)
    blocks = [
        _input("topic", "Topic (e.g. Logistics)", t.topic if t else "", max_length=MAX_TOPIC),
        _input("name", "Name (e.g. Standard reply)", t.name if t else "", max_length=MAX_NAME),
        _input("body", f"Default text ({language_name(team_language)}; used when there is no "
                       "version in the buyer's language)", t.body if t else "", multiline=True),
        {"type": "context", "block_id": "help", "elements": [_plain(
            "Placeholders: " + " ".join("{" + k + "}" for k in KNOWN)
            + ". Order ones are filled when the order is known; the agent sees any that "
            "are not.", 2000)]},
    ]
    blocks += [_input(f"lang_{c}", f"{language_name(c)} ({c})", variants.get(c, ""),
                      multiline=True, optional=True) for c in languages]
    blocks += [
        _input("other_lang", "Another language: its code (e.g. tl, pt, zh-tw)", "",
               optional=True, max_length=10),
        _input("other_text", "Another language: its text", "", multiline=True, optional=True),
    ]
    return {"type": "modal", "callback_id": EDIT,
            "title": _plain("Edit template" if t else "Add template"),
            "submit": _plain("Save"), "close": _plain("Back"),
            "private_metadata": json.dumps({**back, "id": t.id if t else None}),
            "blocks": blocks}


def delete_view(t: Template, back: dict[str, Any]) -> dict[str, Any]:
    used = f"It was used {t.usage_count} time(s)." if t.usage_count else "It was never used."
    return {"type": "modal", "callback_id": DELETE, "title": _plain("Delete template"),
            "submit": _plain("Delete"), "close": _plain("Keep it"),
            "private_metadata": json.dumps({**back, "id": t.id}),
            "blocks": [{"type": "section", "block_id": "confirm", "text": {
                "type": "mrkdwn", "text": f"Delete *{escape_mrkdwn(t.topic)}* — "
                f"{escape_mrkdwn(t.name)}? {used} This cannot be undone."}}]}


def _input(block_id: str, label: str, value: str, *, multiline: bool = False,
           optional: bool = False, max_length: int = MAX_BODY) -> dict[str, Any]:
    # the action_id is the block_id: every id in a view is unique
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": block_id,
                               "multiline": multiline, "max_length": max_length}
    if value:
        element["initial_value"] = value
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": _plain(label, 2000), "element": element}


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    """Slack's limits: 75 for option and button text, 2000 for labels and context."""
    return {"type": "plain_text", "text": text if len(text) <= limit else text[:limit - 1] + "…",
            "emoji": True}
