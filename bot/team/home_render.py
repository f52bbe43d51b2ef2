"""How the Home panel and the checklists show things: links to threads, people,
stores, durations, and the Home's status, count and conversation blocks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.render import labels
from bot.render.labels import duration, flag, platform_name
from bot.store.db import Row as DbRow
from bot.store.home import Row
from bot.text_safety import escape_mrkdwn, escape_untrusted

if TYPE_CHECKING:
    from bot.feature_api import Workspace

STORE_LINES = 20  # stores shown in the counts (busiest first)


def thread_url(workspace: Workspace, channel_id: str | None, thread_ts: str | None
               ) -> str | None:
    return labels.thread_url(workspace.workspace_url, workspace.team_id, channel_id, thread_ts)


def ref_link(workspace: Workspace, row: Row) -> str:
    url = thread_url(workspace, row.channel_id, row.thread_ts)
    return f"<{url}|{row.ref}>" if url else f"`{row.ref}`"




def store_label(store: DbRow | None, key: str) -> str:
    if store is None:
        return escape_untrusted(key)
    name = escape_untrusted(store["nickname"] or store["name"])
    return f"{flag(store['site'])} *{store['site']}* {platform_name(store['platform'])} · {name}"


def who(user: str | None, names: Mapping[str, str] | None, *, mention: bool = True) -> str:
    """A person in mrkdwn. Mentions render as names without notifying in views and
    ephemerals; channel posts pass ``mention=False`` so nobody is pinged daily."""
    if not user:
        return "_unassigned_"
    if names and user in names:
        return escape_mrkdwn(names[user])
    return f"<@{user}>" if mention else f"`{escape_untrusted(user)}`"


def fit(blocks: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Slack rejects a view or message over its block limit: cut and say so."""
    if len(blocks) <= limit:
        return blocks
    return [*blocks[:limit - 1], context(f"…{len(blocks) - limit + 1} more blocks not shown.")]


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def status_block(status: str) -> dict[str, Any]:
    idle = status == "idle"
    text = ("You are *🌙 idle*: no new conversations are assigned to you; your open ones "
            "continue." if idle else
            "You are *🟢 online*: new conversations can be assigned to you.")
    button = {"type": "button", "action_id": "agent_status_toggle",
              "value": "online" if idle else "idle",
              "text": {"type": "plain_text", "text": "Go online" if idle else "Go idle"}}
    return {"type": "section", "block_id": "agent_status",
            "text": {"type": "mrkdwn", "text": text}, "accessory": button}


def totals(counts: Any) -> dict[str, int]:
    keys = ("open", "closed", "unread", "waiting", "unassigned")
    return {k: sum(getattr(c, k) for c in counts) for k in keys}


def count_blocks(counts: dict[str, Any], in_scope: list[Any], stores: dict[str, Any]
                  ) -> list[dict[str, Any]]:
    t = totals(counts.values())
    head = (f"*Open {t['open']:,}* · unread {t['unread']:,} · waiting {t['waiting']:,} · "
            f"unassigned {t['unassigned']:,} · closed {t['closed']:,}")
    keys = [s["key"] for s in in_scope]
    keys += [k for k in counts if k not in stores]  # conversations of a removed store
    order = sorted(keys, key=lambda k: (-getattr(counts.get(k), "waiting", 0),
                                        -getattr(counts.get(k), "unread", 0),
                                        -getattr(counts.get(k), "open", 0)))
    lines = []
    for key in order[:STORE_LINES]:
        c = counts.get(key)
        s = stores.get(key)
        health = "" if s is None or s["health"] == "ok" else f" · ⚠️ {s['health']}"
        lines.append(f"{store_label(s, key)} — {getattr(c, 'open', 0)} open, "
                     f"{getattr(c, 'unread', 0)} unread, {getattr(c, 'waiting', 0)} waiting, "
                     f"{getattr(c, 'unassigned', 0)} unassigned, "
                     f"{getattr(c, 'closed', 0)} closed{health}")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": head}}]
    for i in range(0, len(lines), 10):  # a section's text is capped at 3000 characters
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": "\n".join(lines[i:i + 10])}})
    if not lines:
        blocks.append(context("No store matches these filters."))
    elif len(order) > STORE_LINES:
        blocks.append(context(f"…and {len(order) - STORE_LINES} more stores: pick one "
                               "with the store filter."))
    return [*blocks, {"type": "divider"}]


def row_block(workspace: Workspace, r: Row, stores: dict[str, Any], now: float,
               current_id: int | None, names: Mapping[str, str] | None, *,
               section: str) -> dict[str, Any]:
    """One conversation in one list (``section``). The buyer's name and last message are
    untrusted: escaped so they can neither mention, link nor format. A conversation can
    be in several lists at once (mine and waiting longest): the list is part of the
    ``block_id``, since Slack refuses a view that repeats one."""
    mark = "👉 " if r.id == current_id else ""
    state = [f"⏳ waiting {duration(now - r.waiting_since)}" if r.waiting_since else "answered"]
    if r.unread:
        state.append(f"🔴 {r.unread} unread")
    state.append(f"👤 {who(r.assignee, names)}")
    if r.flags:
        state.append("🚩 " + ", ".join(escape_mrkdwn(x) for x in r.flags[:4]))
    summary = " ".join((r.last_summary or "").split())
    summary = summary[:150] + ("…" if len(summary) > 150 else "")
    text = (f"{mark}{ref_link(workspace, r)} · {store_label(stores.get(r.store_key), r.store_key)}"
            + (" · *your current conversation*" if mark else "")
            + f"\n*{escape_mrkdwn(r.buyer_name[:80])}* · " + " · ".join(state)
            + (f"\n> {escape_mrkdwn(summary)}" if summary else ""))
    return {"type": "section", "block_id": f"{section}:conv:{r.id}",
            "text": {"type": "mrkdwn", "text": text}}


def service_block(served: Any, viewer: str, names: Mapping[str, str] | None,
                  limit: int = 10) -> list[dict[str, Any]]:
    """Service time (open to close) per agent over the last 24 h, the viewer first,
    then the slowest p90 first."""
    per_agent: dict[str, Any] = served.per_agent
    order = sorted(per_agent, key=lambda a: a != viewer)  # stable: keeps the p90 ranking
    lines = [f"{who(a, names)}{' (you)' if a == viewer else ''}: median "
             f"*{duration(per_agent[a].median)}*, p90 *{duration(per_agent[a].p90)}* "
             f"({per_agent[a].count} closed)" for a in order[:limit]]
    if len(order) > limit:
        lines.append(f"…and {len(order) - limit} more agents")
    body = "\n".join(lines) if lines else "_No conversation was closed in the last 24 h._"
    text = f"*⏱ Service time, last 24 h — per agent*\n{body}"
    return [{"type": "section", "block_id": "service_time",
             "text": {"type": "mrkdwn", "text": text[:3000]}}, {"type": "divider"}]
