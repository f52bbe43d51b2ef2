"""The seam between the core and the optional features.

A feature is a builder ``(Services) -> Feature | None``. :class:`Services` is what
the core hands it; the :class:`Feature` it returns declares, in one place, what it
listens to (events of :mod:`bot.events`), the jobs it runs, the sections it adds to
the conversation card, the App Home and the daily digest, its Slack listeners, and
what it offers the core and the other features (:class:`Slots`).

The core builds every feature first, then fills the shared :class:`Slots` and
:class:`Sections`: a feature reads another's offer when it uses it, never while it
is being built, so the order of the list in ``bot/features.py`` does not matter.

Nothing here imports a feature, and no module the core imports imports this one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.events import (
    ConversationOpened,
    Listener,
    MessageClaimed,
    OrdersChanged,
    ReplyDelivered,
    on,
)

if TYPE_CHECKING:
    import aiohttp
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.base import BaseTrigger
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.actions.images import SlackFileFetcher
    from bot.config import Settings
    from bot.connector_hub import ConnectorHub
    from bot.relay import ApprovalHook, Relay, ReplyGuardHook
    from bot.sender import Sender
    from bot.slack_directory import SlackDirectory
    from bot.slack_outbox import SlackOutbox
    from bot.store import Conversation, Store
    from connectors.orders import Order

__all__ = ["ConversationOpened", "Feature", "FeatureBuilder", "Job", "Listener",
           "MessageClaimed", "OrdersChanged", "ReplyDelivered", "Sections", "Services", "Slots",
           "on"]

Block = dict[str, Any]
Blocks = list[Block]
#: Registers a feature's listeners on the bolt app.
Register = Callable[["AsyncApp"], None]
#: (conversation, now) -> blocks placed on the conversation card, above its buttons.
CardSection = Callable[["Conversation", float], Awaitable[Blocks]]
#: (viewer, now) -> blocks on that person's App Home.
HomeSection = Callable[[str, float], Awaitable[Blocks]]
#: (now) -> blocks of the ops channel's daily digest.
DigestSection = Callable[[float], Awaitable[Blocks]]
#: /cs <verb> words: (user, words) -> an answer for that person only.
SlashCommand = Callable[[str, list[str]], Awaitable[str | Blocks]]
#: (conversation id, assignee if known), once a change to the conversation committed.
CardChanged = Callable[[int, str | None], None]


class Translator(Protocol):
    """What the translation feature offers others (template previews)."""

    async def back_translate(self, text: str, lang: str) -> str | None: ...


class ReplyCards(Protocol):
    """``/reply product <name>`` and ``/reply order``: opens the card modal, or says
    why not."""

    async def __call__(self, client: AsyncWebClient, trigger_id: str, conv: Conversation,
                       user: str, kind: str, query: str) -> str | None: ...


class Workspace(Protocol):
    """Where thread links point: learnt from Slack (``auth.test``), None until then."""

    @property
    def workspace_url(self) -> str | None: ...

    @property
    def team_id(self) -> str | None: ...


@dataclass
class Slots:
    """Offers of which there is one: a feature's :attr:`Feature.provides` fills some;
    the core merges them into the one instance every feature shares."""

    #: Template placeholders from the conversation's latest order (orders).
    order_facts: Callable[[int], Awaitable[dict[str, str]]] | None = None
    #: The conversation's open orders in one line, for hand-over notes (orders).
    open_orders_text: Callable[[int], Awaitable[str | None]] | None = None
    #: ``/cs order <number>`` (orders).
    order_command: SlashCommand | None = None
    #: Fetch the queued order details of a store now (orders).
    refresh_orders: Callable[[str], Awaitable[int]] | None = None
    #: (store key, event kind, order, note text) -> blocks of that thread note (actions).
    order_note_blocks: Callable[[str, str, Order, str], Awaitable[Blocks | None]] | None = None
    translator: Translator | None = None
    #: The sender's hook: (conversation, text) -> (text to send, its language or None).
    translate_replies: Callable[[Conversation, str],
                                Awaitable[tuple[str, str | None]]] | None = None
    reply_cards: ReplyCards | None = None
    #: Downloads an agent's image from Slack for the sender (actions).
    fetch_file: SlackFileFetcher | None = None
    #: Holds risky replies for a manager (actions).
    approval: ApprovalHook | None = None
    #: Asks a reply's author about a likely slip before it is sent (actions).
    reply_guard: ReplyGuardHook | None = None

    def offered(self) -> dict[str, object]:
        return {name: value for name, value in vars(self).items() if value is not None}

    def take(self, feature: str, offer: Slots) -> None:
        """Fill this (shared) instance from one feature's offer; two offers of the
        same slot are a wiring mistake, refused at start."""
        mine = self.offered()
        for name, value in offer.offered().items():
            if name in mine:
                raise ValueError(f"feature {feature!r} offers {name}, already offered")
            setattr(self, name, value)


@dataclass
class Sections:
    """Every feature's sections, in the order the features are listed."""

    card: list[CardSection] = field(default_factory=list)
    home: list[HomeSection] = field(default_factory=list)
    digest: list[DigestSection] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """A periodic job. The core runs it on the one worker holding ``job:<id>``, one
    run at a time, a missed run coalesced."""

    id: str
    run: Callable[[], Awaitable[object]]
    trigger: BaseTrigger
    #: Seconds after start of the first run (None: as the trigger says).
    first_run_after: float | None = None
    #: How late a run may still start (None: APScheduler's default, one second).
    misfire_grace: int | None = None


@dataclass(frozen=True)
class Feature:
    """What one feature contributes. ``handle`` is its own object, found again with
    ``Service.feature(type)`` (tests and tools)."""

    name: str
    handle: object = None
    listeners: Sequence[Listener[Any]] = ()
    jobs: Sequence[Job] = ()
    card_sections: Sequence[CardSection] = ()
    home_sections: Sequence[HomeSection] = ()
    digest_sections: Sequence[DigestSection] = ()
    card_changed: Sequence[CardChanged] = ()
    slack: Register | None = None
    #: Run in the background once the service has started.
    startup: Sequence[Callable[[], Coroutine[Any, Any, object]]] = ()
    provides: Slots = field(default_factory=Slots)


@dataclass(frozen=True)
class Services:
    """What the core hands every feature."""

    settings: Settings
    store: Store
    slack: AsyncWebClient
    session: aiohttp.ClientSession
    hub: ConnectorHub
    outbox: SlackOutbox
    sender: Sender
    relay: Relay
    directory: SlackDirectory
    clock: Callable[[], float]
    spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]]
    #: For one-off runs at a given time (retries); periodic jobs are :class:`Job`.
    scheduler: AsyncIOScheduler
    slots: Slots
    sections: Sections

    @property
    def workspace(self) -> Workspace:
        return self.outbox.effects


FeatureBuilder = Callable[[Services], Feature | None]
