"""Team workflow: status, assignment, transfer, hand-over, SLA, priority words."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.slack_work import SlackWork
from bot.team.assignment import Assigner
from bot.team.handoffs import Handoffs
from bot.team.priority import PriorityWords
from bot.team.roster import Roster
from bot.team.sla import SlaWatch
from bot.text_safety import escape_untrusted

if TYPE_CHECKING:
    from bot.service import Service

log = logging.getLogger(__name__)

Command = Callable[[str, list[str]], Awaitable[str | list[dict[str, Any]]]]
SLA_EVERY_SECONDS = 30


class TeamFeature:
    def __init__(self, service: Service) -> None:
        self.service = service
        store, settings = service.store, service.settings
        wake = service.outbox.kick
        self.roster = Roster(settings, store)
        self.assigner = Assigner(store, self.roster, ops_channel=settings.ops_channel,
                                 wake_slack=wake)
        self.handoffs = Handoffs(store, self.roster, self.assigner, wake_slack=wake,
                                 open_orders=getattr(service, "open_orders_text", None))
        self.sla = SlaWatch(store, settings, clock=service.clock, wake_slack=wake)
        self.priority = PriorityWords(settings.priority_keywords)
        self.commands: dict[str, Command] = {
            "online": self._online, "idle": self._idle, "handover": self._handover,
            "stats": self._stats, "help": self._help,
        }
        orders = getattr(service, "orders", None)
        if orders is not None:
            self.commands["order"] = orders.order_command

    # -- hooks ------------------------------------------------------------------
    async def on_new_message(self, message_id: int) -> None:
        """A buyer wrote: assign a new/reopened conversation, flag priority words."""
        store = self.service.store
        msg = await store.conversations.message(message_id)
        if msg is None:
            return
        conv = await store.conversations.get(msg.conversation_id)
        if conv is None:
            return
        if not conv.assignee and await self._opened_by(conv.id, msg):
            await self.assigner.assign_new(conv.id)
        words = self.priority.find(msg.text) if msg.text else []
        if words:
            flags, first = await store.team.add_flags(conv.id, words)
            self.service.outbox.kick(conv.channel_ref)
            if first and self.service.settings.ops_channel:
                ops = self.service.settings.ops_channel
                text = (f"🚩 Priority ({', '.join(flags)}): `{conv.ref}` — "
                        f"{escape_untrusted(conv.buyer_name)}: “"
                        f"{escape_untrusted(' '.join(msg.text.split())[:200])}”")
                await store.ops.enqueue(ops, SlackWork.POST_CHANNEL, conversation_id=conv.id,
                                  payload={"text": text})
                self.service.outbox.kick(ops)

    async def _opened_by(self, conversation_id: int, msg: Any) -> bool:
        """Did this message open the conversation, or reopen it? Only then is it
        assigned: an unassigned conversation stays for someone to take."""
        first = await self.service.store.conversations.first_inbound_id(conversation_id)
        if first == msg.id:
            return True
        reopened = await self.service.store.team.last_event_at(conversation_id, "reopened")
        return reopened is not None and reopened >= msg.created_at - 1

    # -- actions -----------------------------------------------------------------
    async def set_status(self, user: str, status: str) -> None:
        await self.service.store.team.set_status(user, status)

    async def assign_to_me(self, conversation_id: int, user: str) -> None:
        store = self.service.store
        conv = await store.conversations.get(conversation_id)
        if conv is None:
            return
        if not self.service.relay.may_reply(user, conv.store_key):
            await self.service.relay.tell(conv, user, "Only agents of this store's team can take "
                                                "its conversations.")
            return
        if conv.assignee != user:
            await store.team.assign(conv.id, user, actor=user, kind="claimed",
                              detail={"from": conv.assignee})
            await store.books.set_current(user, conv.id)
            self.service.outbox.kick(conv.channel_ref)

    async def transfer_view(self, conversation_id: int, user: str) -> dict[str, Any]:
        from bot.team.views import transfer_view
        return await transfer_view(self, conversation_id, user)

    async def publish_home(self, user: str, filters: Any = None) -> None:
        from bot.team.views import publish_home
        await publish_home(self.service, user, filters)

    # -- /cs ------------------------------------------------------------------------
    async def _online(self, user: str, words: list[str]) -> str:
        await self.set_status(user, "online")
        return "You are *online*: new conversations can be assigned to you."

    async def _idle(self, user: str, words: list[str]) -> str:
        await self.set_status(user, "idle")
        return ("You are *idle*: no new conversations; the ones you have continue. "
                "`/cs online` to come back.")

    async def _handover(self, user: str, words: list[str]) -> str:
        from bot.team.member_lookup import directory_of, resolve_target
        target = await resolve_target(
            directory_of(self.service), words, is_agent=self.roster.is_agent,
            is_group=lambda name: self.service.settings.group(name) is not None)
        if target.error:
            return target.error
        if not target.user and not target.group:
            return "Usage: `/cs handover @member` or `/cs handover <group>`."
        outcome = await self.handoffs.handover(user, user=target.user, group=target.group)
        return outcome.message

    async def _stats(self, user: str, words: list[str]) -> list[dict[str, Any]]:
        from bot.team.stats import stats_blocks
        return await stats_blocks(self.service, user, self.service.clock())

    async def _help(self, user: str, words: list[str]) -> str:
        from bot.team.slack import HELP
        return HELP


def install(service: Service) -> Callable[[Any], None]:
    team = TeamFeature(service)
    service.team = team  # type: ignore[attr-defined]
    service.ingest.on_new_message.append(team.on_new_message)
    from bot.team.home_cache import HomeCache
    service.home_cache = HomeCache()  # type: ignore[attr-defined]
    service.store.ops.card_listeners.append(service.home_cache.conversation_changed)
    service.scheduler.add_job(team.sla.tick, "interval", seconds=SLA_EVERY_SECONDS, id="sla",
                              max_instances=1, coalesce=True)
    from bot.team.home_refresh import schedule as schedule_home_refresh
    team.home_refresh = schedule_home_refresh(service)  # type: ignore[attr-defined]
    from bot.team.digest import schedule_digest
    hour, minute = (int(x) for x in service.settings.digest_time.split(":"))
    schedule_digest(service, hour, minute, service.settings.timezone)
    if service.settings.presence_idle:
        from bot.team.presence import PRESENCE_EVERY_SECONDS, Presence
        team.presence = Presence(service.slack, team.roster)
        team.roster.away = team.presence.away
        service.scheduler.add_job(team.presence.refresh, "interval",
                                  seconds=PRESENCE_EVERY_SECONDS, id="presence",
                                  max_instances=1, coalesce=True)
        service.spawn(team.presence.refresh())

    def register(app: Any) -> None:
        from bot.team.slack import register as register_listeners
        register_listeners(app, team)

    return register
