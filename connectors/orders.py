"""The order side of a connector: what crosses the boundary, and the protocol.

Pushes for orders arrive on the same webhook as chat (one callback URL per app),
so ``Connector.verify_push`` returns them in ``PushBatch.order_events``. Events
are thin on every platform (ids, status, time): the bot always fetches details.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType, Protocol, runtime_checkable

from connectors.models import ShopId, StoreAccount

OrderId = NewType("OrderId", str)


class OrderStatus(enum.StrEnum):
    """Our normalised status; ``Order.platform_status`` keeps the platform's word."""

    UNPAID = "unpaid"
    TO_SHIP = "to_ship"  # paid / confirmed, waiting for the seller to ship
    SHIPPED = "shipped"  # handed to the carrier, in transit
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class OrderItem:
    name: str
    quantity: int  # Lazada and TikTok report one row per unit: summed per SKU
    sku: str = ""
    price: str = ""  # a decimal string in the order's currency
    image_url: str | None = None


@dataclass(frozen=True)
class CancelRequest:
    """A buyer's cancellation request awaiting (or past) the seller's answer."""

    state: str  # "pending" | "accepted" | "rejected" | "withdrawn"
    reason: str = ""
    requested_at: datetime | None = None
    respond_by: datetime | None = None  # None where the platform gives no deadline


@dataclass(frozen=True)
class ReturnRequest:
    return_id: str
    state: str  # "pending" (awaiting the seller) | "in_progress" | "closed"
    kind: str = "return"  # "return" | "refund"
    reason: str = ""
    amount: str = ""
    requested_at: datetime | None = None
    respond_by: datetime | None = None
    platform_status: str = ""


@dataclass(frozen=True)
class Order:
    shop_id: ShopId
    order_id: OrderId
    #: The buyer's id as the *chat* side knows it, so a conversation finds its
    #: orders (Shopee buyer_user_id = to_id; Lazada item buyer_id; TikTok user_id,
    #: which the chat connector reports as attributes["buyer_user_id"]).
    buyer_id: str
    status: OrderStatus
    platform_status: str
    amount: str
    currency: str
    created_at: datetime
    updated_at: datetime
    items: tuple[OrderItem, ...] = ()
    ship_by: datetime | None = None
    tracking_no: str | None = None
    cancellation: CancelRequest | None = None
    returns: tuple[ReturnRequest, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class OrderEvent:
    """One order push: which order changed and what kind of change it was."""

    shop_id: ShopId
    order_id: OrderId
    kind: str  # "status" | "tracking" | "cancellation" | "return" | "ship_by"
    platform_status: str = ""
    at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class OrderPage:
    """Orders updated since a cursor (a persisted, opaque watermark with overlap)."""

    orders: tuple[Order, ...]
    cursor: str | None
    more: bool = False


@runtime_checkable
class OrderSource(Protocol):
    async def fetch_orders_since(self, store: StoreAccount, cursor: str | None) -> OrderPage:
        """Orders created or updated since ``cursor`` (None: the platform's window, at
        most the last 15 days), with details, cancellation and return state."""
        ...

    async def get_orders(self, store: StoreAccount, order_ids: list[str]) -> list[Order]:
        """Details for the given orders (batched by the platform's limit)."""
        ...

    async def orders_of_buyer(self, store: StoreAccount, buyer_id: str) -> list[Order] | None:
        """Where the platform can search by buyer (TikTok), that buyer's recent
        orders; None where it cannot (Shopee, Lazada: the bot keeps an index)."""
        ...


@runtime_checkable
class OrderActor(Protocol):
    """Answers to buyer requests (types in :mod:`connectors.order_actions`). Both
    raise ``ActionRefused`` with the platform's words when it says no, and the usual
    TransientError / OutcomeUnknown otherwise."""

    def allowed_actions(self, order: Order, return_id: str | None = None) -> frozenset[Any]:
        """Which ``OrderAction`` the platform allows on ``order`` now (no I/O)."""
        ...

    async def refusal_reasons(self, store: StoreAccount, request_id: str, kind: str
                              ) -> list[Any]:
        """``Reason`` choices for rejecting a cancellation (kind "cancel", ``request_id``
        = order id) or refusing a return (kind "return", ``request_id`` = return id);
        empty where the platform takes none."""
        ...

    async def answer_cancellation(self, store: StoreAccount, order_id: str, accept: bool,
                                  reason: str | None = None) -> Any:
        """Accept or reject the buyer's pending cancellation; returns ``ActionResult``."""
        ...

    async def answer_return(self, store: StoreAccount, order_id: str, return_id: str,
                            decision: Any, *, reason: str | None = None,
                            amount: str | None = None, comment: str = "") -> Any:
        """Accept, refuse (with ``reason``) or offer a partial refund of ``amount``."""
        ...
