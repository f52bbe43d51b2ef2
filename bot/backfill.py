"""What a store's first connection brings into Slack: the conversations still waiting
for an answer (the buyer spoke last) within the backfill window, with their messages
from that window. Older history stays on the platform; a channel opened on a new
store is not flooded with months of closed chats."""

from __future__ import annotations

from collections.abc import Iterable

from connectors.models import InboundMessage

DEFAULT_HOURS = 24.0


def waiting_for_answer(messages: Iterable[InboundMessage], since: float
                       ) -> list[InboundMessage]:
    """The messages (at or after ``since``) of conversations whose last message is the
    buyer's and was sent at or after ``since``, in the order given."""
    messages = list(messages)
    last: dict[str, InboundMessage] = {}
    for m in messages:
        seen = last.get(m.conversation_id)
        if seen is None or m.sent_at >= seen.sent_at:
            last[m.conversation_id] = m
    waiting = {cid for cid, m in last.items()
               if not m.from_seller and m.sent_at.timestamp() >= since}
    return [m for m in messages
            if m.conversation_id in waiting and m.sent_at.timestamp() >= since]
