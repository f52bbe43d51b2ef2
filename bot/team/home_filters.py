"""The Home panel's filters: selects and a search box whose actions re-publish
the tab with the changed filter (kept in the view's ``private_metadata``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.render.labels import flag, platform_name
from bot.store.db import Row as DbRow
from bot.store.home import UNASSIGNED, HomeFilters

ANY = "*"  # the select option meaning "no filter"
FILTER_ACTIONS = {"home_filter_store": "store", "home_filter_site": "site",
                  "home_filter_platform": "platform", "home_filter_assignee": "assignee",
                  "home_filter_keyword": "keyword"}


def apply_action(f: HomeFilters, action: Mapping[str, Any]) -> HomeFilters:
    """The filters after one ``home_filter_*`` action (a select, the search box, Clear)."""
    if action["action_id"] == "home_filter_clear":
        return HomeFilters()
    name = FILTER_ACTIONS.get(action["action_id"])
    if name is None:
        return f
    chosen = action.get("selected_option") or {}
    value = action.get("value") if "value" in action else chosen.get("value")
    return f.with_value(name, None if value == ANY else value)


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75], "emoji": True}, "value": value}


def _select(action_id: str, placeholder: str, options: list[dict[str, Any]],
            current: str | None, groups: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A static select that keeps showing the active choice (``initial_option`` must be
    one of the options, byte for byte)."""
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id,
                               "placeholder": {"type": "plain_text", "text": placeholder}}
    if groups is not None:
        element["option_groups"] = groups
        options = [o for g in groups for o in g["options"]]
    else:
        element["options"] = options
    chosen = next((o for o in options if o["value"] == current), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


StoreLine = tuple[str, str, str, str]  # key, platform, site, nickname or name
_GROUPS: dict[tuple[StoreLine, ...], list[dict[str, Any]]] = {}
MAX_GROUP_SETS = 64  # distinct visible-store sets kept (one per team, typically)


def _store_groups(stores: Sequence[DbRow]) -> list[dict[str, Any]]:
    """Stores grouped by platform and site: Slack allows 100 options per group and
    100 groups, which covers 500 stores without an options endpoint. Built once per
    set of stores and shared by the views that show it (never mutated): 500 options
    per Home view were most of its build time and 20 MB of the views kept."""
    lines = tuple((str(s["key"]), str(s["platform"]), str(s["site"]),
                   str(s["nickname"] or s["name"])) for s in stores)
    built = _GROUPS.get(lines)
    if built is None:
        if len(_GROUPS) >= MAX_GROUP_SETS:
            _GROUPS.clear()
        built = _GROUPS[lines] = _build_store_groups(lines)
    return built


def _build_store_groups(stores: Sequence[StoreLine]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for key, platform, site, name in stores:
        label = f"{platform_name(platform)} {site}"
        groups.setdefault(label, []).append(_option(f"{flag(site)} {site} · {name}", key))
    out = [{"label": {"type": "plain_text", "text": "All"},
            "options": [_option("All stores", ANY)]}]
    for label, options in groups.items():
        for i in range(0, len(options), 100):
            part = f" ({i // 100 + 1})" if len(options) > 100 else ""
            out.append({"label": {"type": "plain_text", "text": (label + part)[:75]},
                        "options": options[i:i + 100]})
    return out[:100]


def filter_blocks(f: HomeFilters, stores: Sequence[DbRow], agents: list[str],
                  viewer: str, names: Mapping[str, str]) -> list[dict[str, Any]]:
    sites = sorted({s["site"] for s in stores})
    platforms = sorted({s["platform"] for s in stores})
    people = [_option("Anyone", ANY), _option("Unassigned", UNASSIGNED)] + [
        _option("Me" if u == viewer else names.get(u, u), u) for u in agents[:98]]
    elements = [
        _select("home_filter_store", "All stores", [], f.store, _store_groups(stores)),
        _select("home_filter_site", "All sites",
                [_option("All sites", ANY)] + [_option(f"{flag(x)} {x}", x) for x in sites[:99]],
                f.site),
        _select("home_filter_platform", "All platforms", [_option("All platforms", ANY)]
                + [_option(platform_name(p), p) for p in platforms], f.platform),
        _select("home_filter_assignee", "Anyone", people, f.assignee),
    ]
    if f.active:
        elements.append({"type": "button", "action_id": "home_filter_clear", "value": "clear",
                         "text": {"type": "plain_text", "text": "Clear filters"}})
    keyword: dict[str, Any] = {
        "type": "plain_text_input", "action_id": "home_filter_keyword", "max_length": 100,
        "placeholder": {"type": "plain_text", "text": "Buyer name, reference or message"},
        "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]}}
    if f.keyword:
        keyword["initial_value"] = f.keyword
    return [{"type": "actions", "block_id": "home_filters", "elements": elements},
            {"type": "input", "block_id": "home_keyword", "dispatch_action": True,
             "optional": True, "element": keyword,
             "label": {"type": "plain_text", "text": "🔎 Search (press Enter)"}}]
