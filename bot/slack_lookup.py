"""Finding a post again when a crash (or a failed answer) left its outcome unknown.

Every post carries metadata naming its row; the row's kind says where it went
(:class:`~bot.slack_work.FoundBy`), so that is where it is looked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_work import FoundBy
from bot.store import SlackOp, Store

METADATA_TYPE = "storebridge_post"
#: Seconds before the row was written that a post is looked for from (our clock
#: and Slack's may differ a little).
CLOCK_MARGIN = 5.0
PAGE = 200
#: Pages read at most: a channel this busy since the row was written is rare.
MAX_PAGES = 5


@dataclass(frozen=True)
class Found:
    channel: str
    ts: str


def metadata(op_id: int) -> dict[str, Any]:
    return {"event_type": METADATA_TYPE, "event_payload": {"op": op_id}}


async def find_post(store: Store, client: AsyncWebClient, op: SlackOp,
                    found_by: FoundBy) -> Found | None:
    """The post made for ``op``, if Slack has it."""
    args: dict[str, Any] = dict(oldest=f"{op.created_at - CLOCK_MARGIN:.6f}", limit=PAGE,
                                include_all_metadata=True)
    if found_by is FoundBy.THREAD:
        conv = await store.conversations.get(op.conversation_id or 0)
        if conv is None or not conv.thread_ts or not conv.channel_id:
            return None  # no thread: nothing can have been posted in it
        channel, read = conv.channel_id, client.conversations_replies
        args["ts"] = conv.thread_ts
    elif found_by is FoundBy.DM:
        opened = await client.conversations_open(users=op.payload["user"])
        channel, read = str(opened["channel"]["id"]), client.conversations_history
    elif found_by is FoundBy.CHANNEL:
        known = await store.books.channel_id(op.channel_ref)
        if not known:
            return None  # never resolved: nothing can have been posted there
        channel, read = known, client.conversations_history
    else:
        return None
    for _ in range(MAX_PAGES):
        resp = await read(channel=channel, **args)
        for m in resp.get("messages") or []:
            meta = m.get("metadata") or {}
            if meta.get("event_type") == METADATA_TYPE and \
                    (meta.get("event_payload") or {}).get("op") == op.id:
                return Found(channel, str(m["ts"]))
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
        args["cursor"] = cursor
    return None
