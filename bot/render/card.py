"""The conversation card: the thread's root, updated in place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.buyer_language import language_block
from bot.render.labels import duration, flag, platform_name, slack_date
from bot.store.rows import Conversation
from bot.text_safety import escape_untrusted


def card(conv: Conversation, *, site: str, platform: str, store_name: str, now: float,
         others: Sequence[tuple[str, str, str | None]] = (),
         sections: Sequence[dict[str, Any]] = (), service_seconds: float | None = None
         ) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks. ``sections``: the features' blocks (the buyer's
    recent orders…), above the buttons; ``service_seconds``: how long the conversation
    was open, shown once it is closed. Store names come from our config; buyer data is
    untrusted and only ever placed in plain_text or escaped."""
    status = "🟢 Open" if conv.status == "open" else "⚪ Closed"
    head = f"{flag(site)} *{site}* · {platform_name(platform)} · *{store_name}*"
    buyer_bits: list[dict[str, Any]] = []
    if conv.buyer_avatar:
        buyer_bits.append({"type": "image", "image_url": conv.buyer_avatar,
                           "alt_text": "buyer avatar"})
    else:
        initial = (conv.buyer_name.strip()[:1] or "?").upper()
        buyer_bits.append({"type": "mrkdwn", "text": f"*〔{escape_untrusted(initial)}〕*"})
    buyer_bits.append({"type": "plain_text", "emoji": False,
                       "text": f"{conv.buyer_name} · buyer id {conv.buyer_id}"})
    waiting = ("—" if conv.waiting_since is None
               else f"{slack_date(conv.waiting_since)} ({duration(now - conv.waiting_since)})")
    owner = f"<@{conv.assignee}>" if conv.assignee else "_unassigned_"
    fields = [
        {"type": "mrkdwn", "text": f"*Status*\n{status}"},
        {"type": "mrkdwn", "text": f"*Assignee*\n{owner}"},
        {"type": "mrkdwn", "text": f"*Unread*\n{conv.unread}"},
        {"type": "mrkdwn", "text": f"*Waiting since*\n{waiting}"},
        {"type": "mrkdwn", "text": f"*Last message*\n{slack_date(conv.last_at)}"},
    ]
    if conv.status != "open" and service_seconds is not None:
        fields.append({"type": "mrkdwn",
                       "text": f"*Service time*\n{duration(service_seconds)}"})
    toggle = ({"text": "Close", "action_id": "conversation_close"} if conv.status == "open"
              else {"text": "Reopen", "action_id": "conversation_reopen"})
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": head}},
        {"type": "context", "elements": buyer_bits},
        {"type": "section", "fields": fields},
        language_block(conv.id, conv.buyer_language, conv.language_source),
        {"type": "context", "elements": [{"type": "plain_text", "emoji": True,
                                          "text": f"Last: {conv.last_summary or '—'}"}]},
        *_flags_and_others(conv, others),
        *sections,
        {"type": "actions", "block_id": f"card:{conv.id}", "elements": [
            {"type": "button", "action_id": "assign_to_me", "value": str(conv.id),
             "text": {"type": "plain_text", "text": "Assign to me"}},
            {"type": "button", "action_id": "transfer_open", "value": str(conv.id),
             "text": {"type": "plain_text", "text": "Transfer"}},
            {"type": "button", "action_id": "template_open", "value": str(conv.id),
             "text": {"type": "plain_text", "text": "Reply with template"}},
            {"type": "button", "action_id": "card_open", "value": str(conv.id),
             "text": {"type": "plain_text", "text": "🛍 Product or order"}},
            {"type": "button", "action_id": "translate_toggle", "value": str(conv.id),
             "text": {"type": "plain_text", "text": "🌐 Translate my replies: "
                      + ("on" if conv.translate_replies else "off")}},
            {"type": "button", "action_id": toggle["action_id"], "value": str(conv.id),
             "text": {"type": "plain_text", "text": toggle["text"]}},
        ]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Ref `{conv.ref}`"}]},
    ]
    fallback = (f"{flag(site)} {site} · {platform_name(platform)} · {store_name} — "
                f"{escape_untrusted(conv.buyer_name)} · {conv.unread} unread · {conv.ref}")
    return fallback, blocks


def _flags_and_others(conv: Conversation, others: Sequence[tuple[str, str, str | None]]
                      ) -> list[dict[str, Any]]:
    """Priority flags, and the same buyer's conversations with other stores."""
    lines = []
    if conv.flags:
        lines.append("🚩 *Priority:* " + ", ".join(conv.flags))
    for store_name, ref, link in others:
        target = f"<{link}|{ref}>" if link else f"`{ref}`"
        lines.append(f"🔗 Also talking to *{store_name}*: {target}")
    if not lines:
        return []
    return [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]

