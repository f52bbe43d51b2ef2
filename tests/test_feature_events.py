"""The seam between the core and the features (bot/events.py, bot/feature_api.py),
driven by real pushes and pulls of the sandbox marketplace: what a listener hears,
when (after the claim committed, push or pull), how often (once), and that a failing
listener costs neither the core nor the other listeners."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot.events import (
    ConversationOpened,
    EventBus,
    MessageClaimed,
    OrdersChanged,
    ReplyDelivered,
    on,
)
from bot.feature_api import Feature, FeatureBuilder, Services, Slots
from bot.team import feature as team_feature
from tests.harness import BUYER, running_bridge

Heard = list[tuple[object, bool]]


def recording(heard: Heard) -> FeatureBuilder:
    """A feature that notes each event, and whether a transaction was open around it:
    ``Database.defer`` runs its callback at once only outside one."""
    def build(service: Services) -> Feature:
        async def hear(event: Any) -> None:
            outside: list[bool] = []
            service.store.database.defer(lambda: outside.append(True))
            heard.append((event, bool(outside)))
        return Feature("recorder", listeners=(on(ConversationOpened, hear),
                                              on(MessageClaimed, hear)))
    return build


def broken(service: Services) -> Feature:
    async def fail(event: MessageClaimed) -> None:
        raise RuntimeError("a feature's bug")
    return Feature("broken", listeners=(on(MessageClaimed, fail),))


def bridge(tmp_path: Path, *features: FeatureBuilder, **kw: Any) -> Any:
    return running_bridge(tmp_path, service_kwargs={"features": list(features)}, **kw)


def events(heard: Heard) -> list[object]:
    return [e for e, _ in heard]


async def test_a_push_publishes_the_claims_facts_once_after_commit(tmp_path: Path) -> None:
    heard: Heard = []
    async with bridge(tmp_path, recording(heard)) as b:
        b.market.duplicate_next_push()  # the platform delivers the first push twice
        await b.buyer_says("Hi, has my order shipped?")
        conv = await b.thread()
        await b.settle()
        msg_id = await b.store.database.value("SELECT id FROM messages")
        opened, claimed = events(heard)
        assert opened == ConversationOpened(conv.store_key, conv.id, msg_id, reopened=False)
        assert isinstance(claimed, MessageClaimed)
        assert (claimed.store_key, claimed.channel_ref, claimed.conversation_id,
                claimed.message_id) == (conv.store_key, conv.channel_ref, conv.id, msg_id)
        assert claimed.new_conversation and not claimed.reopened
        assert claimed.message.text == "Hi, has my order shipped?"
        assert all(committed for _, committed in heard)

        await b.buyer_says("It was due yesterday")
        await b.wait(lambda: len(heard) == 3)
        later = events(heard)[2]
        assert isinstance(later, MessageClaimed)  # no ConversationOpened: it was open
        assert not later.new_conversation and not later.reopened
        # A full catch-up pulls both messages again: already claimed, nothing published.
        await b.service.repair(conv.store_key, True)
        await b.settle()
        assert len(heard) == 3


async def test_a_pull_publishes_after_its_transaction(tmp_path: Path) -> None:
    """A repair pull claims a page in one transaction; listeners used to run inside
    it, where a task they start could look before the claim is visible."""
    heard: Heard = []
    async with bridge(tmp_path, recording(heard)) as b:
        b.market.pushes_enabled = False
        await b.buyer_says("Only a pull will bring this")
        await b.buyer_says("Another buyer, also pulled", buyer="b-daniel")
        key = next(iter(b.service.hub.stores))
        assert await b.service.repair(key) == 2
        assert [type(e) for e in events(heard)] == [ConversationOpened, MessageClaimed] * 2
        assert all(committed for _, committed in heard)
        assert {e.message.text for e in events(heard) if isinstance(e, MessageClaimed)} == {
            "Only a pull will bring this", "Another buyer, also pulled"}


async def test_a_buyer_reopening_a_closed_conversation(tmp_path: Path) -> None:
    heard: Heard = []
    async with bridge(tmp_path, recording(heard)) as b:
        await b.buyer_says("Hello")
        conv = await b.thread()
        await b.store.conversations.set_status(conv.id, "closed", b.agent)
        await b.buyer_says("Me again", buyer=BUYER)
        await b.wait(lambda: len(heard) == 4)
        opened, claimed = events(heard)[2:]
        assert isinstance(opened, ConversationOpened) and opened.reopened
        assert isinstance(claimed, MessageClaimed)
        assert claimed.reopened and not claimed.new_conversation


def deliveries(heard: Heard) -> FeatureBuilder:
    """Notes each ReplyDelivered, and whether the delivery was committed when it was
    heard: no transaction open around the listener, and the reply ``delivered`` when
    read afresh (on PostgreSQL another connection sees only what is committed)."""
    def build(service: Services) -> Feature:
        async def hear(event: ReplyDelivered) -> None:
            outside: list[bool] = []
            service.store.database.defer(lambda: outside.append(True))
            state = await service.store.database.value(
                "SELECT state FROM messages WHERE id = ?", event.reply_id)
            heard.append((event, bool(outside) and state == "delivered"))
        return Feature("deliveries", listeners=(on(ReplyDelivered, hear),))
    return build


async def test_each_delivered_reply_is_published_once_after_commit(tmp_path: Path) -> None:
    heard: Heard = []
    async with bridge(tmp_path, deliveries(heard)) as b:
        await b.buyer_says("Is this in stock?")
        conv = await b.thread()
        b.market.fail_next_send("permanent")  # not delivered: nothing to hear
        await b.agent_replies(conv, "This one the platform refuses")
        await b.agent_replies(conv, "Yes, it is!")
        await b.agent_replies(conv, "Anything else?")
        await b.wait(lambda: len(heard) == 2)
        b.service.sender.kick(conv.store_key)  # a second look finds nothing to deliver
        await b.settle()
        assert len(heard) == 2
        rows = await b.store.database.all(
            "SELECT id, author, delivered_at, state FROM messages WHERE direction = 'out' "
            "ORDER BY id")
        assert [r[3] for r in rows] == ["failed", "delivered", "delivered"]
        assert events(heard) == [
            ReplyDelivered(conv.store_key, conv.channel_ref, conv.id, r[0], b.agent, r[2])
            for r in rows[1:]]
        assert all(committed for _, committed in heard)


async def test_a_failing_listener_costs_nothing_else(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    heard: Heard = []
    with caplog.at_level(logging.ERROR, logger="bot.events"):
        async with bridge(tmp_path, broken, recording(heard)) as b:
            await b.buyer_says("Is anyone there?")
            conv = await b.thread()
            # The core went on: the message is in its thread; the next listener heard it.
            await b.wait(lambda: any("Is anyone there?" in str(m.get("blocks"))
                                     for m in b.replies(conv)))
            await b.wait(lambda: any(isinstance(e, MessageClaimed) for e in events(heard)))
    assert "MessageClaimed listener" in caplog.text and "a feature's bug" in caplog.text


async def test_order_facts_must_be_persisted_before_the_push_is_acknowledged() -> None:
    """``deliver`` (OrdersChanged) runs every listener, then fails the push with the
    first error so the platform redelivers; ``publish`` only logs."""
    ran: list[str] = []

    async def fails(event: OrdersChanged) -> None:
        ran.append("fails")
        raise OSError("database is locked")

    async def persists(event: OrdersChanged) -> None:
        ran.append("persists")

    bus = EventBus([on(OrdersChanged, fails), on(OrdersChanged, persists)])
    with pytest.raises(OSError):
        await bus.deliver(OrdersChanged("shopee:1", ()))
    assert ran == ["fails", "persists"]
    await bus.publish(OrdersChanged("shopee:1", ()))
    assert ran == ["fails", "persists"] * 2


def offers_open_orders(service: Services) -> Feature:
    async def open_orders(conversation_id: int) -> str | None:
        return f"`ORDER-{conversation_id}` (to ship)"
    return Feature("orders-stand-in", provides=Slots(open_orders_text=open_orders))


async def test_a_feature_uses_an_offer_from_one_listed_after_it(tmp_path: Path) -> None:
    """The team feature is built before the feature offering open orders, and its
    hand-over notes still show them: offers are shared once every feature is built."""
    async with bridge(tmp_path, team_feature, offers_open_orders, agents=2) as b:
        mai, an = b.agents
        await b.buyer_says("Where is my parcel?")
        conv = await b.thread()
        await b.store.team.assign(conv.id, mai, actor=None, kind="test")
        await b.slack.user_runs_command(mai, b.channels["cs-shopee-sg"], "/cs",
                                        f"handover <@{an}>")
        note = await b.wait(lambda: [m["text"] for m in b.replies(conv)
                                     if "hand-over" in m.get("text", "")])
        assert f"Open orders: `ORDER-{conv.id}` (to ship)" in note[0]


def test_two_offers_of_one_slot_are_refused() -> None:
    async def text(conversation_id: int) -> str | None:
        return None
    shared = Slots()
    shared.take("orders", Slots(open_orders_text=text))
    with pytest.raises(ValueError, match="open_orders_text"):
        shared.take("other", Slots(open_orders_text=text))
    assert shared.open_orders_text is text
