"""Who gets a conversation: an online member of the store's group, preferring
whoever last served this buyer, otherwise the least loaded."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.slack_work import SlackWork
from bot.store import Conversation, Store
from bot.team.roster import Roster

log = logging.getLogger(__name__)


class Assigner:
    def __init__(self, store: Store, roster: Roster, *, ops_channel: str | None,
                 wake_slack: Callable[[str], None]) -> None:
        self.store = store
        self.roster = roster
        self.ops_channel = ops_channel
        self.wake_slack = wake_slack

    async def pick(self, group: str | None, buyer_id: str, store_key: str, *,
             exclude: str | None = None) -> str | None:
        online = await self.roster.online_members(group, exclude=exclude)
        if not online:
            return None
        previous = await self.store.team.last_agent_for_buyer(buyer_id, store_key.split(":", 1)[0])
        if previous in online:
            return previous
        load = await self.store.team.open_load(online)
        # Ties go to the first listed member, so the order in the config decides.
        return min(online, key=lambda u: (load[u], online.index(u)))

    async def assign_new(self, conversation_id: int) -> str | None:
        """A new conversation, or a reopened one nobody owns."""
        conv = await self.store.conversations.get(conversation_id)
        if conv is None or conv.assignee:
            return conv.assignee if conv else None
        group = self.roster.group_of_store(conv.store_key)
        if group is None:
            return None  # a store without a team: the channel answers
        user = await self.pick(group, conv.buyer_id, conv.store_key)
        if user is None:
            await self._nobody_online(conv, group)
            return None
        await self.store.team.assign(conv.id, user, actor=None, kind="assigned")
        self.wake_slack(conv.channel_ref)
        return user

    async def _nobody_online(self, conv: Conversation, group: str) -> None:
        await self.store.team.event(conv.id, "unassigned", None, {"group": group})
        if not self.ops_channel:
            return
        text = (f"👥 Nobody in *{group}* is online: conversation `{conv.ref}` is waiting "
                "unassigned. Use *Assign to me* on its card.")
        await self.store.ops.enqueue(self.ops_channel, SlackWork.POST_CHANNEL,
                                     payload={"text": text})
        self.wake_slack(self.ops_channel)
