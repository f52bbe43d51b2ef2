"""First-response SLA: remind the assignee in the thread, escalate to ops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.config import Settings
from bot.render.labels import duration
from bot.slack_work import SlackWork
from bot.store import Conversation, Store
from bot.team.hours import business_seconds

log = logging.getLogger(__name__)

BATCH = 500  # conversations read per query; a tick reads batches until none is due
MIN_RECHECK = 30.0  # seconds: never look at one conversation more often than the tick


class SlaWatch:
    def __init__(self, store: Store, settings: Settings, *, clock: Callable[[], float],
                 wake_slack: Callable[[str], None]) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.wake_slack = wake_slack

    async def tick(self) -> list[tuple[str, str]]:
        """Look at the conversations whose next SLA check is due (an index range, not
        every waiting conversation); returns (ref, "reminder"|"escalation"). Each
        one looked at gets its next check time, or none when nothing is left."""
        now = self.clock()
        done: list[tuple[str, str]] = []
        while True:
            due = await self.store.team.sla_due(now, BATCH)
            next_checks: list[tuple[float | None, int]] = []
            for i, conv in enumerate(due):
                if i % 100 == 0:
                    await asyncio.sleep(0)  # a batch's arithmetic in slices, not one step
                outcome, next_at = await self._check(conv, now)
                next_checks.append((next_at, conv.id))
                if outcome:
                    done.append((conv.ref, outcome))
            # One trip for the batch: a first tick after start-up at full size had
            # 31k conversations due, one writer hop each, ahead of every push.
            await self.store.team.set_sla_next_many(next_checks)
            if len(due) < BATCH:
                return done

    async def _check(self, conv: Conversation, now: float) -> tuple[str | None, float | None]:
        """What is due for ``conv`` (reminded or escalated now, if anything) and
        when to look at it next (None: never, until it waits again)."""
        try:
            sla = self.settings.sla_for(conv.store_key)
        except KeyError:
            sla = None  # the store left the configuration
        if sla is None or conv.status != "open" or conv.waiting_since is None:
            return None, None
        since = conv.waiting_since
        waited = business_seconds(since, now, sla.business_hours)
        escalated = conv.sla_escalated_at is not None and conv.sla_escalated_at >= since
        reminded = conv.sla_reminded_at is not None and conv.sla_reminded_at >= since
        outcome = None
        if waited >= sla.escalation_minutes * 60 and not escalated:
            await self._escalate(conv, waited)
            escalated, outcome = True, "escalation"
        elif waited >= sla.reminder_minutes * 60 and not reminded and not escalated:
            await self._remind(conv, waited)
            reminded, outcome = True, "reminder"
        if escalated:
            return outcome, None
        # Business seconds never run faster than the clock: the next threshold
        # cannot be reached before this, so nothing is missed by sleeping till then.
        target = (sla.escalation_minutes if reminded else sla.reminder_minutes) * 60
        return outcome, now + max(target - waited, MIN_RECHECK)

    async def _remind(self, conv: Conversation, waited: float) -> None:
        who = f"<@{conv.assignee}>" if conv.assignee else "Nobody owns this conversation yet:"
        text = (f"⏰ {who} the buyer has been waiting {duration(waited)} for a first answer "
                f"(SLA reminder).")
        await self.store.ops.enqueue(conv.channel_ref, SlackWork.POST_THREAD_NOTE,
                                     conversation_id=conv.id, payload={"text": text})
        await self.store.team.mark_sla(conv.id, "sla_reminded_at")
        await self.store.team.event(conv.id, "sla_reminder", None, {"waited": round(waited)})
        self.wake_slack(conv.channel_ref)

    async def _escalate(self, conv: Conversation, waited: float) -> None:
        await self.store.team.mark_sla(conv.id, "sla_escalated_at")
        await self.store.team.event(conv.id, "sla_escalation", None, {"waited": round(waited)})
        ops = self.settings.ops_channel
        if not ops:
            return
        owner = f"<@{conv.assignee}>" if conv.assignee else "unassigned"
        text = (f"🚨 SLA escalation: `{conv.ref}` has waited {duration(waited)} without an "
                f"answer ({owner}).")
        await self.store.ops.enqueue(ops, SlackWork.POST_CHANNEL, conversation_id=conv.id,
                               payload={"text": text, "link_conversation": conv.id})
        self.wake_slack(ops)

