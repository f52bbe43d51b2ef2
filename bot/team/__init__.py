"""Team workflow: status, assignment, transfer, hand-over, SLA, priority words."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger

from bot.feature_api import (
    ConversationOpened,
    Feature,
    Job,
    MessageClaimed,
    Register,
    Services,
    SlashCommand,
    on,
)
from bot.slack_work import SlackWork
from bot.team.assignment import Assigner
from bot.team.digest import digest_job
from bot.team.handoffs import Handoffs
from bot.team.home import HomePanel
from bot.team.home_cache import HomeCache
from bot.team.home_refresh import EVERY_SECONDS as HOME_REFRESH_SECONDS
from bot.team.home_refresh import HomeRefresher
from bot.team.member_lookup import MemberDirectory
from bot.team.presence import PRESENCE_EVERY_SECONDS, Presence
from bot.team.priority import PriorityWords
from bot.team.roster import Roster
from bot.team.sla import SlaWatch
from bot.text_safety import escape_untrusted

log = logging.getLogger(__name__)

SLA_EVERY_SECONDS = 30


class TeamFeature:
    def __init__(self, service: Services) -> None:
        self.service = service
        store, settings = service.store, service.settings
        wake = service.outbox.kick
        self.roster = Roster(settings, store)
        self.assigner = Assigner(store, self.roster, ops_channel=settings.ops_channel,
                                 wake_slack=wake)
        self.handoffs = Handoffs(store, self.roster, self.assigner, wake_slack=wake,
                                 open_orders=self._open_orders)
        self.sla = SlaWatch(store, settings, clock=service.clock, wake_slack=wake)
        self.priority = PriorityWords(settings.priority_keywords)
        self.members = MemberDirectory(service.slack)  # /cs handover @name
        self.home_cache = HomeCache()
        self.panel = HomePanel.of(service, self.home_cache)
        self.home_refresh = HomeRefresher(service, self.panel)
        self.presence: Presence | None = None
        if settings.presence_idle:
            self.presence = Presence(service.slack, self.roster)
            self.roster.away = self.presence.away
        self.commands: dict[str, SlashCommand] = {
            "online": self._online, "idle": self._idle, "handover": self._handover,
            "stats": self._stats, "help": self._help,
        }

    def command(self, verb: str) -> SlashCommand | None:
        """``/cs <verb>``: the team's own, or ``order`` when the orders feature is there."""
        return self.commands.get(verb) or (
            self.service.slots.order_command if verb == "order" else None)

    async def _open_orders(self, conversation_id: int) -> str | None:
        """For hand-over notes, from the orders feature when there is one."""
        offer = self.service.slots.open_orders_text
        return await offer(conversation_id) if offer is not None else None

    # -- listeners ----------------------------------------------------------------
    async def on_opened(self, event: ConversationOpened) -> None:
        """Only a new or reopened conversation is assigned: an unassigned one whose
        buyer writes again stays for someone to take."""
        await self.assigner.assign_new(event.conversation_id)

    async def on_message(self, event: MessageClaimed) -> None:
        """A buyer wrote: flag priority words."""
        text = event.message.text
        words = self.priority.find(text) if text else []
        if not words:
            return
        store = self.service.store
        flags, first = await store.team.add_flags(event.conversation_id, words)
        self.service.outbox.kick(event.channel_ref)
        ops = self.service.settings.ops_channel
        conv = await store.conversations.get(event.conversation_id) if first and ops else None
        if ops and conv is not None:
            text = (f"🚩 Priority ({', '.join(flags)}): `{conv.ref}` — "
                    f"{escape_untrusted(conv.buyer_name)}: “"
                    f"{escape_untrusted(' '.join(text.split())[:200])}”")
            await store.ops.enqueue(ops, SlackWork.POST_CHANNEL, conversation_id=conv.id,
                                    payload={"text": text})
            self.service.outbox.kick(ops)

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
        from bot.team.home import publish_home
        await publish_home(self.service, self.panel, user, filters)

    # -- /cs ------------------------------------------------------------------------
    async def _online(self, user: str, words: list[str]) -> str:
        await self.set_status(user, "online")
        return "You are *online*: new conversations can be assigned to you."

    async def _idle(self, user: str, words: list[str]) -> str:
        await self.set_status(user, "idle")
        return ("You are *idle*: no new conversations; the ones you have continue. "
                "`/cs online` to come back.")

    async def _handover(self, user: str, words: list[str]) -> str:
        from bot.team.member_lookup import resolve_target
        target = await resolve_target(
            self.members, words, is_agent=self.roster.is_agent,
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


def feature(service: Services) -> Feature:
    team = TeamFeature(service)
    every = IntervalTrigger
    hour, minute = (int(x) for x in service.settings.digest_time.split(":"))
    jobs = [Job("sla", team.sla.tick, every(seconds=SLA_EVERY_SECONDS)),
            Job("home_refresh", team.home_refresh.tick, every(seconds=HOME_REFRESH_SECONDS)),
            digest_job(service, hour, minute, service.settings.timezone)]
    if team.presence is not None:
        jobs.append(Job("presence", team.presence.refresh,
                        every(seconds=PRESENCE_EVERY_SECONDS)))
    return Feature(
        "team", team,
        listeners=(on(ConversationOpened, team.on_opened), on(MessageClaimed, team.on_message)),
        jobs=jobs, card_changed=(team.home_cache.conversation_changed,),
        startup=(team.presence.refresh,) if team.presence is not None else (),
        slack=_listeners(team))


def _listeners(team: TeamFeature) -> Register:
    def register(app: Any) -> None:
        from bot.team.slack import register as register_listeners
        register_listeners(app, team)

    return register
