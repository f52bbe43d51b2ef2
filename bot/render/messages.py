"""Buyer and seller-centre messages as thread replies; delivery notices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.render.author_name import buyer_username
from bot.render.labels import KIND_ICONS, summarize
from bot.store.rows import Conversation, Message
from bot.text_safety import escape_untrusted, plain_for_buyer

SECTION_LIMIT = 2900  # Slack's section text limit is 3000
MAX_SHOWN = 12000  # longer text is kept whole in the database, shown cut


def _plain_sections(text: str) -> list[dict[str, Any]]:
    text = plain_for_buyer(text)
    cut = len(text) > MAX_SHOWN
    text = text[:MAX_SHOWN]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "plain_text", "emoji": True,
                                     "text": text[i:i + SECTION_LIMIT]}}
        for i in range(0, len(text), SECTION_LIMIT)]
    if cut:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f"_Message cut at {MAX_SHOWN} characters; the full text is stored._"}]})
    return blocks


def _content(msg: Message) -> list[dict[str, Any]]:
    a = msg.attributes
    icon = KIND_ICONS.get(msg.kind, "❓")
    if msg.kind == "text":
        return _plain_sections(msg.text) or _plain_sections("(empty message)")
    if msg.kind == "image":
        url = str(a.get("url") or "")
        blocks = _plain_sections(f"{icon} Image" + (f": {msg.text}" if msg.text else ""))
        if url.startswith(("https://", "http://")):
            blocks.append({"type": "image", "image_url": url, "alt_text": "image from buyer"})
        return blocks
    lines = {
        "sticker": f"{icon} Sticker: {a.get('label') or a.get('sticker_id') or ''}",
        "product": f"{icon} Product: {a.get('name', '')} — {a.get('price', '')} "
                   f"{a.get('currency', '')}\n{a.get('url', '')}",
        "order": f"{icon} Order {a.get('order_sn', '')} — {a.get('status', '')} "
                 f"{a.get('amount', '')} {a.get('currency', '')}",
        "voucher": f"{icon} Voucher {a.get('code', '')} {a.get('discount', '')}",
        "video": f"{icon} Video ({a.get('duration', '?')} s): {a.get('url', '')}",
    }
    if msg.kind in lines:
        text = lines[msg.kind].strip()
        return _plain_sections(text + (f"\n{msg.text}" if msg.text else ""))
    kind = a.get("platform_type") or msg.kind
    return _plain_sections(f"{icon} Unsupported message type “{kind}”. StoreBridge kept the "
                           f"raw message; open the seller centre to see it."
                           + (f"\n{msg.text}" if msg.text else ""))


def _clock(at: float) -> str:
    """A time each reader sees in their own timezone (the fallback is UTC)."""
    fallback = datetime.fromtimestamp(at, UTC).strftime("%H:%M UTC")
    return f"<!date^{int(at)}^{{time}}|{fallback}>"


def late_note(msg: Message) -> dict[str, Any]:
    """Shown on a message posted after newer ones of its thread (it reached
    StoreBridge late): when the buyer sent it, and when it arrived."""
    sent = msg.platform_at if msg.platform_at is not None else msg.created_at
    return {"type": "context", "elements": [{"type": "mrkdwn", "text":
            f"🕘 sent {_clock(sent)}, arrived {_clock(msg.created_at)} · "
            "older than the messages above it"}]}


def thread_message(msg: Message, conv: Conversation, *, customize: bool,
                   late: bool = False) -> dict[str, Any]:
    """Arguments for chat.postMessage (without channel/thread_ts)."""
    seller = msg.direction == "seller"
    who = "Seller centre" if seller else conv.buyer_name
    blocks = _content(msg)
    if late:
        blocks.insert(0, late_note(msg))
    args: dict[str, Any] = {}
    if customize:
        args["username"] = f"{who} · {conv.ref}" if seller else buyer_username(who)
        if not seller and conv.buyer_avatar:
            args["icon_url"] = conv.buyer_avatar
        else:
            args["icon_emoji"] = ":shopping_bags:" if seller else ":bust_in_silhouette:"
    else:
        label = "↩️ Sent from the seller centre" if seller else f"👤 {buyer_username(who)}"
        blocks.insert(0, {"type": "context", "elements": [
            {"type": "plain_text", "emoji": True, "text": label}]})
    if seller and customize:
        blocks.insert(0, {"type": "context", "elements": [
            {"type": "mrkdwn", "text": "↩️ Sent from the seller centre, not through Slack"}]})
    blocks.extend(_translation(msg))
    summary = summarize(msg.kind, msg.text, msg.attributes)
    args["text"] = escape_untrusted(f"{who}: {summary}")
    args["blocks"] = blocks
    args["unfurl_links"] = False
    args["unfurl_media"] = False
    return args


def _translation(msg: Message) -> list[dict[str, Any]]:
    """Beneath a buyer's message: its translation, or that it is on its way."""
    if msg.direction != "in" or not msg.translation_state or msg.translation_state == "none":
        return []
    if msg.translation_state == "done" and msg.translation:
        # Plain text: the corrector's name (and the translation) can never format or ping.
        by = f" · ✏️ corrected by {msg.translation_by[:80]}" if msg.translation_by else ""
        return [
            {"type": "context", "elements": [{"type": "plain_text", "emoji": True,
                                              "text": f"🌐 {msg.translation[:2900]}{by}"}]},
            {"type": "actions", "block_id": f"translation:{msg.id}", "elements": [
                {"type": "button", "action_id": "translation_fix", "value": str(msg.id),
                 "text": {"type": "plain_text", "text": "Fix translation"}}]},
        ]
    words = ("🌐 Translation pending…" if msg.translation_state == "pending"
             else "🌐 Translation failed for now; StoreBridge will try again.")
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text": f"_{words}_"}]}]


def card_line(card: dict[str, str]) -> str:
    """How the thread shows a product or order card an agent sent."""
    return (f"🛍 Product: {card.get('label', '')}" if card.get("kind") == "product"
            else f"🧾 Order {card.get('id', '')}")


def agent_copy(msg: Message, agent_name: str, *, customize: bool) -> dict[str, Any]:
    """A reply composed in StoreBridge (template), shown in the thread under the
    agent's name; it then carries the delivery reactions."""
    label = "template reply" if msg.source == "template" else "reply"
    card = msg.attributes.get("card")
    # A card's row holds the agent's message; one from before cards carried a message
    # holds the card's line instead.
    shown = "\n".join(x for x in (msg.text, card_line(card) if card and "label" in card
                                  else "") if x)
    blocks: list[dict[str, Any]] = _plain_sections(shown)
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"✉️ {label} sent by <@{msg.author}>"}]})
    args: dict[str, Any] = {"text": escape_untrusted(shown[:300]), "blocks": blocks,
                            "unfurl_links": False, "unfurl_media": False}
    if customize:
        args["username"] = agent_name[:80]
        args["icon_emoji"] = ":speech_balloon:"
    return args


def sent_translation(msg: Message) -> tuple[str, list[dict[str, Any]]]:
    text = f"🌐 The buyer received ({msg.translation_lang}): {msg.sent_text or ''}"
    return escape_untrusted(text[:300]), [{"type": "context", "elements": [
        {"type": "plain_text", "emoji": True, "text": text[:2900]}]}]


REACTIONS = {"queued": "hourglass_flowing_sand", "sending": "hourglass_flowing_sand",
             "delivered": "white_check_mark", "failed": "x", "unknown": "warning",
             "note": "memo", "cancelled": None, "refused": "x",
             "held": "hourglass_flowing_sand", "rejected": "no_entry_sign",
             "unconfirmed": "hourglass_flowing_sand"}


def delivery_notice(msg: Message, buyer_name: str) -> tuple[str, list[dict[str, Any]]]:
    """The thread message that explains a failed (or recovered) reply."""
    who = escape_untrusted(buyer_name)
    if msg.state == "failed":
        reason = escape_untrusted(msg.error or "The marketplace rejected the message.")
        text = f"❌ Not delivered to {who}: {reason}"
        return text, [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"❌ *Not delivered* to "
                                         f"{who}.\n{reason}"}},
            {"type": "actions", "block_id": f"delivery:{msg.id}", "elements": [
                {"type": "button", "action_id": "reply_retry", "value": str(msg.id),
                 "style": "primary", "text": {"type": "plain_text", "text": "Retry"}},
                {"type": "button", "action_id": "reply_edit_resend", "value": str(msg.id),
                 "text": {"type": "plain_text", "text": "Edit & resend"}},
            ]},
        ]
    words = {
        "queued": "⏳ Sending again…",
        "sending": "⏳ Sending again…",
        "unknown": "⚠️ The marketplace did not answer in time; checking whether it arrived "
                   "before trying again.",
        "delivered": "✅ Delivered after retry.",
        "cancelled": "🚫 Not sent: the reply was deleted.",
        "held": "⏳ The new text awaits a manager's approval.",
        "rejected": "🚫 Not sent: a manager rejected the new text.",
    }
    text = words.get(msg.state, msg.state)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if msg.state == "delivered" and msg.sent_text:
        blocks.append({"type": "context", "elements": [{"type": "plain_text", "emoji": True,
                       "text": f"The buyer received: {msg.sent_text[:2900]}"}]})
    return text, blocks
