"""Orders in Slack: card lines, the Orders modal, thread events and alerts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from bot.render.labels import duration, slack_date
from bot.text_safety import escape_untrusted

STATUS_WORDS = {"unpaid": "Unpaid", "to_ship": "To ship", "shipped": "Shipped",
                "delivered": "Delivered", "completed": "Completed", "cancelled": "Cancelled",
                "unknown": "Unknown"}


def money(order: dict[str, Any]) -> str:
    """``259,000 VND``: thousands grouped; the platform's decimals kept as given."""
    amount = str(order["amount"])
    try:
        value = Decimal(amount)
    except InvalidOperation:
        return f"{amount} {order['currency']}".strip()
    exponent = value.as_tuple().exponent  # a letter for NaN / infinity
    digits = max(0, -exponent) if isinstance(exponent, int) else 0
    return f"{value:,.{digits}f} {order['currency']}".strip()


def countdown(deadline: float | None, now: float) -> str:
    if deadline is None:
        return ""
    left = deadline - now
    if left < 0:
        return f"overdue by {duration(-left)}"
    return f"in {duration(left)}"



def status_line(order: dict[str, Any]) -> str:
    status = str(order["status"])
    words = STATUS_WORDS.get(status, status)
    cancel = order.get("cancellation") or {}
    if cancel.get("state") == "pending":
        words += " · cancellation requested"
    if any(r.get("state") == "pending" for r in order.get("returns") or []):
        words += " · return/refund requested"
    return words


def card_lines(orders: list[dict[str, Any]], now: float) -> str:
    """Up to three recent orders for the conversation card."""
    lines = []
    for o in orders:
        ship = ""
        if o["status"] == "to_ship" and o.get("ship_by"):
            ship = f" · ship by {countdown(o['ship_by'], now)}"
        lines.append(f"🧾 `{escape_untrusted(o['order_id'])}` · {status_line(o)} · "
                     f"{escape_untrusted(money(o))}{ship}")
    return "\n".join(lines)


def card_block(conversation_id: int, lines: str) -> dict[str, Any]:
    """The card's orders section, with the button to see them all."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": lines},
            "accessory": {"type": "button", "action_id": "orders_open",
                          "value": str(conversation_id),
                          "text": {"type": "plain_text", "text": "Orders"}}}


ITEMS_BUDGET = 2500  # of a section's 3000 characters, the rest is the order's head line


def _items(items: list[dict[str, Any]]) -> str:
    """Up to 15 item lines within the budget: marketplaces allow long product names
    (and escaping lengthens them), and Slack refuses the whole modal over 3000."""
    lines: list[str] = []
    used = 0
    for i in items[:15]:
        name = " ".join(str(i["name"]).split())
        sku = f" ({escape_untrusted(str(i['sku'])[:40])})" if i.get("sku") else ""
        line = f"• {escape_untrusted(name[:120] + ('…' if len(name) > 120 else ''))} " \
               f"× {i['quantity']}{sku}"
        if used + len(line) + 1 > ITEMS_BUDGET:
            break
        lines.append(line)
        used += len(line) + 1
    if len(lines) < len(items):
        lines.append(f"• …and {len(items) - len(lines)} more item(s)")
    return "\n".join(lines) or "• (no items reported)"


def orders_modal(orders: list[dict[str, Any]], now: float, buyer: str) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    for o in orders[:10]:
        items = _items(o["items"])
        extra = []
        if o.get("tracking_no"):
            extra.append(f"Tracking: `{escape_untrusted(o['tracking_no'])}`")
        if o.get("ship_by") and o["status"] == "to_ship":
            extra.append(f"Ship by {slack_date(o['ship_by'])} ({countdown(o['ship_by'], now)})")
        cancel = o.get("cancellation")
        if cancel:
            due = f", respond by {slack_date(cancel['respond_by'])}" if cancel.get(
                "respond_by") else ""
            extra.append(f"Cancellation: {cancel['state']}{due}")
        for r in o.get("returns") or []:
            due = f", respond by {slack_date(r['respond_by'])}" if r.get("respond_by") else ""
            extra.append(f"{r['kind'].title()} `{escape_untrusted(r['return_id'])}`: "
                         f"{r['state']}{due}")
        blocks += [
            {"type": "section", "text": {"type": "mrkdwn", "text":
                f"*`{escape_untrusted(o['order_id'])}`* · {status_line(o)} · "
                f"{escape_untrusted(money(o))}\n{items}"}},
            *([{"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(extra)}]}]
              if extra else []),
            {"type": "divider"},
        ]
    if not blocks:
        blocks = [{"type": "section", "text": {"type": "plain_text",
                                               "text": f"No orders known for {buyer}."}}]
    return {"type": "modal", "title": {"type": "plain_text", "text": "Orders"},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": blocks[:100]}


def event_text(kind: str, order: dict[str, Any], now: float) -> str:
    oid = f"`{escape_untrusted(order['order_id'])}`"
    if kind == "new":
        return f"🛒 New order {oid} · {escape_untrusted(money(order))} · {status_line(order)}"
    if kind == "cancel_requested":
        due = (order.get("cancellation") or {}).get("respond_by")
        when = f" Respond by {slack_date(due)} ({countdown(due, now)})." if due else ""
        return f"🛑 The buyer asked to cancel order {oid}.{when}"
    if kind.startswith("return_requested"):
        r: dict[str, Any] = next(
            (r for r in order.get("returns") or [] if r.get("state") == "pending"), {})
        due = r.get("respond_by")
        when = f" Respond by {slack_date(due)} ({countdown(due, now)})." if due else ""
        return (f"↩️ {str(r.get('kind', 'return')).title()} requested for order {oid}"
                f"{': ' + escape_untrusted(r['reason']) if r.get('reason') else ''}.{when}")
    words = {"shipped": "📦 Order {oid} has shipped",
             "delivered": "✅ Order {oid} was delivered",
             "cancelled": "❌ Order {oid} was cancelled"}[kind].format(oid=oid)
    if kind == "shipped" and order.get("tracking_no"):
        words += f" · tracking `{escape_untrusted(order['tracking_no'])}`"
    return words


def alert_text(kind: str, order: dict[str, Any], deadline: float | None, now: float,
               buyer: str | None) -> str:
    oid = f"`{escape_untrusted(order['order_id'])}`"
    who = f" ({escape_untrusted(buyer)})" if buyer else ""
    if kind == "ship_by":
        return (f"⏳ Order {oid}{who} must ship by {slack_date(deadline)} "
                f"({countdown(deadline, now)}).")
    if kind == "cancel":
        left = f" {countdown(deadline, now)}" if deadline else " (no deadline given)"
        return f"🛑 Cancellation request on order {oid}{who} awaits you:{left}."
    return f"↩️ Return/refund on order {oid}{who} awaits you: {countdown(deadline, now)}."
