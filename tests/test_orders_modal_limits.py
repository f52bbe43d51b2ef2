"""The Orders modal stays within what Slack accepts even for orders with many items
and long product names (Slack refuses the whole modal if one section is over 3000
characters): checked by the Slack stand-in's own Block Kit rules."""

from __future__ import annotations

import time

from bot.demo.slack_standin.slack_blocks import MAX_MESSAGE_BLOCKS, normalise_blocks
from bot.demo.slack_standin.slack_web_views import checked_view
from bot.orders.render import orders_modal


def order(n: int, items: int) -> dict:
    name = "Áo thun cotton & lụa <cao cấp> " * 9  # ~280 characters, grows when escaped
    return {"order_id": f"2311{n:010d}", "status": "to_ship", "amount": "259000",
            "currency": "VND", "ship_by": time.time() + 3600, "tracking_no": "SPX123",
            "items": [{"name": f"{name} {i}", "quantity": 1, "sku": "SKU-" + "9" * 60}
                      for i in range(items)],
            "returns": [{"kind": "return", "return_id": f"R{n}", "state": "pending"}]}


def test_long_item_lists_are_cut_and_the_modal_is_accepted() -> None:
    modal = orders_modal([order(n, 20) for n in range(10)], time.time(), "minh")
    checked_view(modal)  # raises SlackError like Slack's invalid_arguments if not
    first = modal["blocks"][0]["text"]["text"]
    assert len(first) <= 3000 and "more item(s)" in first
    assert "&amp;" in first and "<cao" not in first  # escaped: no markup from buyers' shops
    # /cs order shows the same blocks in an ephemeral message (50 blocks at most)
    normalise_blocks(modal["blocks"][:MAX_MESSAGE_BLOCKS])


def test_a_short_order_shows_every_item() -> None:
    modal = orders_modal([order(1, 2)], time.time(), "minh")
    text = modal["blocks"][0]["text"]["text"]
    assert text.count("• ") == 2 and "more item" not in text
