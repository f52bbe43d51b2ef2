"""The project's rule for what the bot renders: every block_id and every action_id
is unique within its message or view.

Slack itself refuses a repeated block_id (the stand-in does too) but allows one
action_id in two blocks; StoreBridge still keeps action_ids unique per surface,
so a listener, ``state.values`` and the user simulator (which finds an element by
its action_id) can never pick the wrong element. ``running_bridge`` checks every
message and view left in the stand-in after each test."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from bot.demo.slack_standin.slack_blocks import block_elements
from bot.demo.slack_standin.slack_state import Workspace


def repeated_ids(blocks: list[dict[str, Any]]) -> list[str]:
    """``block_id X`` / ``action_id Y`` for each id used more than once."""
    block_ids = Counter(b.get("block_id") for b in blocks if b.get("block_id"))
    action_ids = Counter(e.get("action_id") for b in blocks for e in block_elements(b)
                         if e.get("action_id"))
    return ([f"block_id {k}" for k, n in block_ids.items() if n > 1]
            + [f"action_id {k}" for k, n in action_ids.items() if n > 1])


def surfaces(ws: Workspace) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    for channel, msg in ws.iter_all_messages():
        yield f"message {channel.name}/{msg.get('ts')}", msg.get("blocks") or []
    for user, ephemerals in ws.ephemerals.items():
        for msg in ephemerals:
            yield f"ephemeral to {user}", msg.get("blocks") or []
    for view in (*ws.views.values(), *ws.home_views.values()):
        yield f"view {view.get('callback_id') or view.get('type')}", view.get("blocks") or []


def assert_unique_ids(ws: Workspace) -> None:
    offenders = [f"{where}: {', '.join(found)}" for where, blocks in surfaces(ws)
                 if (found := repeated_ids(blocks))]
    assert not offenders, "ids repeated within a message or view:\n" + "\n".join(offenders)
