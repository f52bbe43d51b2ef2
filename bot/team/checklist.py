"""The checklist's sections: what is waiting, failing, disconnected, stale, slow or
escalated, per store and per agent. The daily digest (:mod:`bot.team.digest`) and
``/cs stats`` (:mod:`bot.team.stats`) share them."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.render.labels import duration
from bot.store.db import Database
from bot.store.db import Row as DbRow
from bot.store.digest import (
    DAY,
    Figures,
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
from bot.team.home_render import ref_link, store_label, who
from bot.text_safety import escape_mrkdwn, escape_untrusted

if TYPE_CHECKING:
    from bot.feature_api import DigestSection, Services

log = logging.getLogger(__name__)

LINES = 15  # lines per list before "and N more"
Blocks = list[dict[str, Any]]


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
                           ) -> Blocks:
    """The checklist's sections (no header): what the digest and ``/cs stats`` share.
    ``only``: the stores the reader may see (None: every store, for the ops digest)."""
    c = _Checklist(service, now, await store_labels(service.store.database), names, mention, only)
    blocks = await c.waiting() + await c.failed() + await c.disconnected()
    blocks += await c.stale_templates() + await c.response_times() + await c.service_times()
    blocks += await translation_health(service, now)
    blocks += await c.escalated()
    # Other features' sections (orders…) cover every store: the ops digest only.
    for extra in service.sections.digest if only is None else []:
        blocks += await _extra(extra, now)
    return blocks


@dataclass
class _Checklist:
    service: Services
    now: float
    stores: dict[str, DbRow]
    names: Mapping[str, str] | None
    mention: bool
    only: Collection[str] | None

    @property
    def db(self) -> Database:
        return self.service.store.database

    def seen(self, key: str) -> bool:
        return self.only is None or key in self.only

    def label(self, key: str) -> str:
        return store_label(self.stores.get(key), key)

    def who(self, user: str | None) -> str:
        return who(user, self.names, mention=self.mention)

    async def waiting(self) -> Blocks:
        waiting = [w for w in await waiting_per_store(self.db) if self.seen(w.store_key)]
        lines = [f"{self.label(w.store_key)} — {w.waiting} waiting"
                 + (f" (longest {human(self.now - w.oldest)})" if w.oldest else "")
                 + f", {w.unread} unread" for w in waiting]
        total_w, total_u = sum(w.waiting for w in waiting), sum(w.unread for w in waiting)
        return section(f"⏳ Waiting and unread — {total_w} waiting, {total_u} unread", lines,
                       "Nobody is waiting.")

    async def failed(self) -> Blocks:
        failed = {k: v for k, v in (await failed_sends(self.db)).items() if self.seen(k)}
        lines = [f"{self.label(k)} — " + ", ".join(f"{n} {state}"
                                                  for state, n in sorted(v.items()))
                 for k, v in failed.items()]
        return section(f"❌ Failed sends — {sum(sum(v.values()) for v in failed.values())}",
                       lines, "No reply is stuck failed.")

    async def disconnected(self) -> Blocks:
        now = self.now
        lines = [f"{self.label(str(r['key']))} — ⚠️ {escape_untrusted(str(r['health']))}"
                 + (f": {escape_untrusted(str(r['health_detail']))[:200]}"
                    if r["health_detail"] else "") for r in await unhealthy_stores(self.db)
                 if self.seen(str(r["key"]))]
        for key, expires in await auth_expiring(self.db, now + 7 * DAY):
            if not self.seen(key):
                continue
            when = (f"expired {duration(now - expires)} ago" if expires <= now
                    else f"expires in {duration(expires - now)}")
            lines.append(f"{self.label(key)} — 🔑 authorization {when} "
                         f"(<!date^{int(expires)}^{{date_short}}|{int(expires)}>)")
        return section("🔌 Stores disconnected or authorization expiring within 7 days", lines,
                       "Every store is connected and authorized for more than 7 days.")

    async def stale_templates(self) -> Blocks:
        stale = await stale_templates(self.db, self.now - 30 * DAY)
        return section(f"🗂 Stale templates (unused for 30 days) — {len(stale)}",
                       [f"{escape_mrkdwn(topic)} — {escape_mrkdwn(name)}"
                        + (" (never used)" if not used else "") for topic, name, used in stale],
                       "Every template was used in the last 30 days.")

    async def response_times(self) -> Blocks:
        overall, by_store, by_agent = await response_times(
            self.db, self.now - DAY, self.now, stores=self.only)
        lines = [figures_line("All", overall)] if overall else []
        lines += [figures_line(self.label(k), f) for k, f in by_store.items()]
        return section("⏱ First response, last 24 h — per store", lines,
                       "No buyer got a first reply in the last 24 h.") + section(
            "⏱ First response, last 24 h — per agent",
            [figures_line(self.who(k), f) for k, f in by_agent.items()],
            "No agent replied in the last 24 h.")

    async def service_times(self) -> Blocks:
        served = await service_times(self.db, self.now - DAY, self.now, stores=self.only)
        lines = [closes_line("All", served.overall)] if served.overall else []
        lines += [closes_line(self.label(k), f) for k, f in served.per_store.items()]
        lines += [closes_line(self.who(k), f) for k, f in served.per_agent.items()]
        return section("🧾 Service time (open to close), last 24 h — per store, then per agent",
                       lines, "No conversation was closed in the last 24 h.")

    async def escalated(self) -> Blocks:
        sla = [row for row in await breaches(self.db, self.now - DAY, self.now)
               if self.seen(row.store_key)]
        return section(f"🚨 SLA breaches, last 24 h — {len(sla)}",
                       [f"{ref_link(self.service.workspace, row)} · {self.label(row.store_key)}"
                        f" · {self.who(row.assignee)}" for row in sla],
                       "No conversation was escalated.")


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
