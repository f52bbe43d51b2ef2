"""The daily checklist, automated: posted in the ops channel at a set time.

``digest_blocks`` is pure over the database at a given ``now`` (so tests pin the
clock); ``digest_job`` is the cron job that enqueues it as a durable
``post_channel`` op, so a Slack outage at 09:00 delays the digest, never loses it.
Other features add sections (``Feature.digest_sections``: ``(now) -> blocks``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.feature_api import Job
from bot.slack_work import SlackWork
from bot.store.digest import (
    DAY,
    Figures,
    agents_responding,
    auth_expiring,
    breaches,
    failed_sends,
    response_times,
    stale_templates,
    store_labels,
    unhealthy_stores,
    waiting_per_store,
)
from bot.store.service_time import service_times
from bot.team.home_render import duration, fit, ref_link, store_label, who
from bot.text_safety import escape_mrkdwn, escape_untrusted

if TYPE_CHECKING:
    from bot.feature_api import DigestSection, Services

log = logging.getLogger(__name__)

MAX_MESSAGE_BLOCKS = 50  # Slack's limit for a message (the digest, the /cs stats answer)
LINES = 15  # lines per list before "and N more"


def human(seconds: float) -> str:
    """A response time: seconds under a minute, then minutes, then hours."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def section(title: str, lines: list[str], empty: str) -> list[dict[str, Any]]:
    """A titled list; at most LINES lines so a section stays under Slack's 3000 characters."""
    shown = lines[:LINES]
    body = "\n".join(shown) if shown else f"_{empty}_"
    if len(lines) > LINES:
        body += f"\n…and {len(lines) - LINES} more"
    return [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{body}"[:3000]}}]


def figures_line(label: str, f: Figures) -> str:
    return f"{label}: median *{human(f.median)}*, p90 *{human(f.p90)}* ({f.count} replies)"


def closes_line(label: str, f: Figures) -> str:
    return (f"{label}: median *{human(f.median)}*, p90 *{human(f.p90)}* "
            f"({f.count} closed)")


async def checklist_blocks(service: Services, now: float, *, names: Mapping[str, str] | None = None,
                     mention: bool = False, only: Collection[str] | None = None
                     ) -> list[dict[str, Any]]:
    """The checklist's sections (no header): what the digest and ``/cs stats`` share.
    ``only``: the stores the reader may see (None: every store, for the ops digest)."""
    db = service.store.database
    stores = await store_labels(db)

    def seen(key: str) -> bool:
        return only is None or key in only

    def label(key: str) -> str:
        return store_label(stores.get(key), key)

    waiting = [w for w in await waiting_per_store(db) if seen(w.store_key)]
    w_lines = [f"{label(w.store_key)} — {w.waiting} waiting"
               + (f" (longest {human(now - w.oldest)})" if w.oldest else "")
               + f", {w.unread} unread" for w in waiting]
    total_w, total_u = sum(w.waiting for w in waiting), sum(w.unread for w in waiting)
    blocks = section(f"⏳ Waiting and unread — {total_w} waiting, {total_u} unread", w_lines,
                     "Nobody is waiting.")

    failed = {k: v for k, v in (await failed_sends(db)).items() if seen(k)}
    f_lines = [f"{label(k)} — " + ", ".join(f"{n} {state}" for state, n in sorted(v.items()))
               for k, v in failed.items()]
    blocks += section(f"❌ Failed sends — {sum(sum(v.values()) for v in failed.values())}",
                      f_lines, "No reply is stuck failed.")

    s_lines = [f"{label(r['key'])} — ⚠️ {escape_untrusted(str(r['health']))}"
               + (f": {escape_untrusted(str(r['health_detail']))[:200]}"
                  if r["health_detail"] else "") for r in await unhealthy_stores(db)
               if seen(str(r["key"]))]
    for key, expires in await auth_expiring(db, now + 7 * DAY):
        if not seen(key):
            continue
        when = (f"expired {duration(now - expires)} ago" if expires <= now
                else f"expires in {duration(expires - now)}")
        s_lines.append(f"{label(key)} — 🔑 authorization {when} "
                       f"(<!date^{int(expires)}^{{date_short}}|{int(expires)}>)")
    blocks += section("🔌 Stores disconnected or authorization expiring within 7 days", s_lines,
                      "Every store is connected and authorized for more than 7 days.")

    stale = await stale_templates(db, now - 30 * DAY)
    blocks += section(f"🗂 Stale templates (unused for 30 days) — {len(stale)}",
                      [f"{escape_mrkdwn(topic)} — {escape_mrkdwn(name)}"
                       + (" (never used)" if not used else "") for topic, name, used in stale],
                      "Every template was used in the last 30 days.")

    overall, by_store, by_agent = await response_times(db, now - DAY, now, stores=only)
    r_lines = [figures_line("All", overall)] if overall else []
    r_lines += [figures_line(label(k), f) for k, f in by_store.items()]
    blocks += section("⏱ First response, last 24 h — per store", r_lines,
                      "No buyer got a first reply in the last 24 h.")
    blocks += section("⏱ First response, last 24 h — per agent",
                      [figures_line(who(k, names, mention=mention), f)
                       for k, f in by_agent.items()], "No agent replied in the last 24 h.")

    served = await service_times(db, now - DAY, now, stores=only)
    v_lines = [closes_line("All", served.overall)] if served.overall else []
    v_lines += [closes_line(label(k), f) for k, f in served.per_store.items()]
    v_lines += [closes_line(who(k, names, mention=mention), f)
                for k, f in served.per_agent.items()]
    blocks += section("🧾 Service time (open to close), last 24 h — per store, then per agent",
                      v_lines, "No conversation was closed in the last 24 h.")

    blocks += await translation_health(service, now)

    sla = [row for row in await breaches(db, now - DAY, now) if seen(row.store_key)]
    blocks += section(f"🚨 SLA breaches, last 24 h — {len(sla)}",
                      [f"{ref_link(service.workspace, row)} · {label(row.store_key)} · "
                       f"{who(row.assignee, names, mention=mention)}" for row in sla],
                      "No conversation was escalated.")
    # Other features' sections (orders…) cover every store: the ops digest only.
    for extra in service.sections.digest if only is None else []:
        blocks += await _extra(extra, now)
    return blocks


async def translation_health(service: Services, now: float) -> list[dict[str, Any]]:
    """The translation memory's hits, misses (provider calls) and failed calls."""
    from bot.translation.service import FAILURE, HIT, MISS
    if service.settings.translation.provider == "none":
        return section("🌐 Translation memory, last 24 h", [], "Translation is off.")
    n = await service.store.counters.totals((HIT, MISS, FAILURE), now - DAY, now)
    asked = n[HIT] + n[MISS]
    rate = f" — {100 * n[HIT] / asked:.0f} % from memory" if asked else ""
    lines = [f"{n[HIT]} hits (answered from memory) · {n[MISS]} misses (provider calls) · "
             f"{n[FAILURE]} failed calls"] if asked else []
    if n[FAILURE] and n[FAILURE] * 2 >= n[MISS]:
        lines.append("⚠️ Half or more of the provider calls failed: check the provider's "
                     "key, quota and the logs.")
    return section(f"🌐 Translation memory, last 24 h{rate}", lines,
                   "Nothing needed translating.")


async def _extra(extra: DigestSection, now: float) -> list[dict[str, Any]]:
    try:
        return list(await extra(now) or [])
    except Exception:  # noqa: BLE001 - one broken section must not cost the whole digest
        log.exception("digest section %r failed", extra)
        return [{"type": "context", "elements": [
            {"type": "mrkdwn", "text": "_One section could not be computed; see the logs._"}]}]


async def digest_blocks(service: Services, now: float, *, names: Mapping[str, str] | None = None
                  ) -> list[dict[str, Any]]:
    """The digest message. Agents are named (``names``) or shown by id, never
    mentioned: a daily post must not ping the whole team."""
    head = [{"type": "header", "text": {"type": "plain_text", "text": "📋 Daily checklist"}},
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
