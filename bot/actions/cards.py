"""Product and order cards: an agent picks one of the store's products (searched
through the platform) or one of this buyer's orders, sees a preview, and sends it
(the modal: :mod:`bot.actions.card_flow`; here what the sender needs too).

Sent like any reply: a row in ``messages`` (``attributes["card"]``) posted in the
thread under the agent's name, with the same ⏳ ✅ ❌ ⚠️ reactions. The agent may add a
message: it goes first, as the row's text, through the approval gate like any reply
(the card itself is the platform's facts, not a promise). Where the platform cannot
send that card, its text fallback goes, and the preview says so first.
"""

from __future__ import annotations

from connectors.errors import RuleViolation
from connectors.models import SentMessage, StoreAccount
from connectors.rich import ChatTarget, RichSender

CARD_PART = "\x00card"
VIEW, SEARCH, PICK, ORDER = "card_send", "card_search", "card_pick", "card_order"
MESSAGE = "card_message"


async def send_card(connector: object, account: StoreAccount, target: ChatTarget,
                    card: dict[str, str]) -> SentMessage:
    if not isinstance(connector, RichSender):
        raise RuleViolation("no cards", code="cards_unsupported", user_message=(
            "This marketplace connection cannot send product or order cards."))
    if card["kind"] == "product":
        sent = await connector.send_product_card(account, target, card["id"],
                                                 text_fallback=True)
    else:
        sent = await connector.send_order_card(account, target, card["id"], text_fallback=True)
    return sent.message
