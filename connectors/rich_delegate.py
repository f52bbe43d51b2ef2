"""A mixin that gives a connector class the RichSender and OrderActor methods by
delegating to per-platform helpers, so the connector classes change by two lines.
(``find_sent_image`` is the connector's own: it reads the chat like ``find_sent``.)"""

from __future__ import annotations

from typing import Protocol

from connectors.models import SentMessage, StoreAccount
from connectors.order_actions import (
    ActionNeeds,
    ActionResult,
    OrderAction,
    Reason,
    ReturnDecision,
)
from connectors.orders import Order
from connectors.rich import CardSupport, ChatTarget, Product, SentCard, UploadedImage


class RichHelper(Protocol):
    """A platform's media and cards helper."""

    @property
    def cards(self) -> CardSupport: ...

    async def send_image(self, store: StoreAccount, target: ChatTarget, data: bytes,
                         content_type: str, filename: str) -> SentMessage: ...

    async def search_products(self, store: StoreAccount, query: str) -> list[Product]: ...

    async def send_product_card(self, store: StoreAccount, target: ChatTarget,
                                product_id: str, *, text_fallback: bool = False
                                ) -> SentCard: ...

    async def send_order_card(self, store: StoreAccount, target: ChatTarget, order_id: str,
                              *, text_fallback: bool = False) -> SentCard: ...


class TracedRichHelper(RichHelper, Protocol):
    """A media helper that uploads and sends in two steps (``TracedImages``)."""

    async def upload_image(self, store: StoreAccount, data: bytes, content_type: str,
                           filename: str) -> UploadedImage: ...

    async def send_uploaded_image(self, store: StoreAccount, target: ChatTarget,
                                  image: UploadedImage) -> SentMessage: ...


class ActionsHelper(Protocol):
    """A platform's order-actions helper."""

    def allowed_actions(self, order: Order, return_id: str | None = None
                        ) -> frozenset[OrderAction]: ...

    async def refusal_reasons(self, store: StoreAccount, request_id: str, kind: str
                              ) -> list[Reason]: ...

    async def answer_cancellation(self, store: StoreAccount, order_id: str, accept: bool,
                                  reason: str | None = None) -> ActionResult: ...

    async def answer_return(self, store: StoreAccount, order_id: str, return_id: str,
                            decision: ReturnDecision, *, reason: str | None = None,
                            amount: str | None = None, comment: str = "") -> ActionResult: ...


class RichAndActions:
    rich: RichHelper
    actions: ActionsHelper

    @property
    def cards(self) -> CardSupport:
        return self.rich.cards

    async def send_image(self, store: StoreAccount, target: ChatTarget, data: bytes,
                         content_type: str, filename: str) -> SentMessage:
        return await self.rich.send_image(store, target, data, content_type, filename)

    async def search_products(self, store: StoreAccount, query: str) -> list[Product]:
        return await self.rich.search_products(store, query)

    async def send_product_card(self, store: StoreAccount, target: ChatTarget,
                                product_id: str, *, text_fallback: bool = False) -> SentCard:
        return await self.rich.send_product_card(store, target, product_id,
                                                 text_fallback=text_fallback)

    async def send_order_card(self, store: StoreAccount, target: ChatTarget, order_id: str,
                              *, text_fallback: bool = False) -> SentCard:
        return await self.rich.send_order_card(store, target, order_id,
                                               text_fallback=text_fallback)

    def allowed_actions(self, order: Order, return_id: str | None = None
                        ) -> frozenset[OrderAction]:
        return self.actions.allowed_actions(order, return_id)

    def missing_for(self, store: StoreAccount, action: OrderAction) -> str | None:
        return (self.actions.missing_for(store, action)
                if isinstance(self.actions, ActionNeeds) else None)

    async def refusal_reasons(self, store: StoreAccount, request_id: str, kind: str
                              ) -> list[Reason]:
        return await self.actions.refusal_reasons(store, request_id, kind)

    async def answer_cancellation(self, store: StoreAccount, order_id: str, accept: bool,
                                  reason: str | None = None) -> ActionResult:
        return await self.actions.answer_cancellation(store, order_id, accept, reason)

    async def answer_return(self, store: StoreAccount, order_id: str, return_id: str,
                            decision: ReturnDecision, *, reason: str | None = None,
                            amount: str | None = None, comment: str = "") -> ActionResult:
        return await self.actions.answer_return(store, order_id, return_id, decision,
                                                reason=reason, amount=amount, comment=comment)


class TracedRichAndActions(RichAndActions):
    """Also the two steps of a traced image, for connectors whose helper has them
    (with their own ``find_sent_image`` they are :class:`~connectors.rich.TracedImages`)."""

    rich: TracedRichHelper

    async def upload_image(self, store: StoreAccount, data: bytes, content_type: str,
                           filename: str) -> UploadedImage:
        return await self.rich.upload_image(store, data, content_type, filename)

    async def send_uploaded_image(self, store: StoreAccount, target: ChatTarget,
                                  image: UploadedImage) -> SentMessage:
        return await self.rich.send_uploaded_image(store, target, image)
