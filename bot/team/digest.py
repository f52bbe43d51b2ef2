"""The daily checklist, automated: posted in the ops channel at a set time.

``digest_blocks`` is pure over the database at a given ``now`` (so tests pin the
clock); ``digest_job`` is the cron job that enqueues it as a durable
``post_channel`` op, so a Slack outage at 09:00 delays the digest, never loses it.
Other features add sections (``Feature.digest_sections``: ``(now) -> blocks``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.feature_api import Job
from bot.slack_work import SlackWork
from bot.store.digest import (
    DAY,
    agents_responding,
    breaches,
    failed_sends,
    waiting_per_store,
)
from bot.team.checklist import checklist_blocks
from bot.team.home_render import fit

if TYPE_CHECKING:
    from bot.feature_api import Services

log = logging.getLogger(__name__)

MAX_MESSAGE_BLOCKS = 50  # Slack's limit for a message (the digest, the /cs stats answer)
LINES = 15  # lines per list before "and N more"


async def digest_blocks(service: Services, now: float, *, names: Mapping[str, str] | None = None
                  ) -> list[dict[str, Any]]:
    """The digest message. Agents are named (``names``) or shown by id, never
    mentioned: a daily post must not ping the whole team."""
    head: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": "📋 Daily checklist"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text":
             f"<!date^{int(now)}^{{date_long}} {{time}}|{int(now)}> · figures over the last "
             "24 hours"}]}]
    return fit(head + await checklist_blocks(service, now, names=names, mention=False),
               MAX_MESSAGE_BLOCKS)


async def digest_text(service: Services, now: float) -> str:
    """The notification / fallback line."""
    db = service.store.database
    waiting = await waiting_per_store(db)
    failed = sum(sum(v.values()) for v in (await failed_sends(db)).values())
    return (f"Daily checklist: {sum(w.waiting for w in waiting)} waiting, "
            f"{sum(w.unread for w in waiting)} unread, {failed} failed sends, "
            f"{len(await breaches(db, now - DAY, now))} SLA breaches in 24 h")


async def post_digest(service: Services) -> bool:
    """Enqueue today's digest for the ops channel (False when there is none)."""
    from bot.team.home import learn_workspace, user_names
    ops = service.settings.ops_channel
    if not ops:
        log.warning("no ops_channel configured: the daily digest is not posted")
        return False
    now = service.clock()
    db = service.store.database
    await service.store.counters.prune(now - 8 * DAY)  # the daily job keeps the table small
    people = await agents_responding(db, now - DAY)
    try:
        await learn_workspace(service)  # for links to the escalated threads
        names = await user_names(service, people)
    except Exception:  # noqa: BLE001 - Slack down: ids instead of names, the digest still goes
        names = {}
    await service.store.ops.enqueue(ops, SlackWork.POST_CHANNEL, payload={
        "text": await digest_text(service, now), "blocks": await digest_blocks(service, now,
                                                                               names=names)})
    service.outbox.kick(ops)
    return True


def digest_job(service: Services, hour: int, minute: int, tz: str | tzinfo) -> Job:
    """Every day at hour:minute in ``tz``. A missed run (the process was down) still
    posts if it is less than an hour late; several missed runs post once."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz

    async def run() -> bool:
        return await daily_digest(service, zone)
    return Job("daily_digest", run, CronTrigger(hour=hour, minute=minute, timezone=tz),
               misfire_grace=3600)


async def daily_digest(service: Services, zone: tzinfo) -> bool:
    """The scheduled run: one digest per local day, even with several workers."""
    day = datetime.fromtimestamp(service.clock(), zone).date().isoformat()
    if not await service.store.books.claim_period("daily_digest", day):
        return False
    return await post_digest(service)
