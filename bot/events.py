"""What the core tells features: typed events carrying the facts it already computed.

Ingest (and the sender, for a delivered reply) publishes them once the transaction
that produced them has committed, so a listener reads what the event names (and never
a row about to be rolled back). Listeners are
awaited in turn; one that raises is logged and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from connectors.models import InboundMessage
from connectors.orders import OrderEvent

log = logging.getLogger(__name__)

E = TypeVar("E")


@dataclass(frozen=True)
class ConversationOpened:
    """A conversation began with this message (either side's), or a buyer's message
    reopened it. Published before that message's :class:`MessageClaimed`."""

    store_key: str
    conversation_id: int
    message_id: int
    reopened: bool


@dataclass(frozen=True)
class MessageClaimed:
    """A buyer message stored for the first time (a duplicate push or pull publishes
    nothing). ``message`` is what the platform sent; the row is ``message_id``."""

    store_key: str
    channel_ref: str
    conversation_id: int
    message_id: int
    message: InboundMessage
    new_conversation: bool
    reopened: bool


@dataclass(frozen=True)
class ReplyDelivered:
    """Every part of an agent's reply reached the buyer, and the delivery is committed
    (the response time recorded, the wait ended). Published once per reply, by the
    worker that delivered it, after the commit."""

    store_key: str
    channel_ref: str
    conversation_id: int
    reply_id: int
    author: str | None
    delivered_at: float


@dataclass(frozen=True)
class OrdersChanged:
    """A verified push named orders of one store that changed. Delivered before the
    push is acknowledged: a listener persists what it needs and fetches later; if it
    fails, the push fails and the platform redelivers."""

    store_key: str
    events: tuple[OrderEvent, ...]


@dataclass(frozen=True)
class Listener(Generic[E]):
    event: type[E]
    handle: Callable[[E], Awaitable[None]]


def on(event: type[E], handle: Callable[[E], Awaitable[None]]) -> Listener[E]:
    """A feature's listener for one event type (type-checked against the event)."""
    return Listener(event, handle)


class EventBus:
    def __init__(self, listeners: Iterable[Listener[Any]] = ()) -> None:
        self._by_type: dict[type, list[Callable[[Any], Awaitable[None]]]] = {}
        for listener in listeners:
            self.subscribe(listener)

    def subscribe(self, listener: Listener[Any]) -> None:
        self._by_type.setdefault(listener.event, []).append(listener.handle)

    def listens(self, event: type) -> bool:
        return bool(self._by_type.get(event))

    async def publish(self, *events: object) -> None:
        """Each listener of each event, once, in order; a failure is logged only."""
        for event in events:
            await self._run(event)

    async def deliver(self, event: object) -> None:
        """Like :meth:`publish`, then re-raises the first failure: for facts that must
        be persisted before the sender is answered."""
        failure = await self._run(event)
        if failure is not None:
            raise failure

    async def _run(self, event: object) -> Exception | None:
        first: Exception | None = None
        for handle in self._by_type.get(type(event), ()):
            try:
                await handle(event)
            except Exception as e:  # noqa: BLE001 - one feature's bug must not stop the core
                log.exception("%s listener %s failed", type(event).__name__,
                              getattr(handle, "__qualname__", handle))
                first = first or e
        return first
