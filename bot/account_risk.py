"""Account risk: what the platforms report about each store's standing, checked
every few hours and listed in the daily digest.

Shopee reports penalty points and punishments, Lazada performance indicators below
target (connectors/account_health.py). TikTok Shop has no such API, and the digest
says so instead of staying silent. Authorization problems and expiries are the
digest's own "stores" section.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger

from bot.feature_api import Feature, Job, Services
from bot.render.labels import platform_name, slack_date
from bot.store.account_notices import Notice
from bot.store.digest import store_labels
from bot.team.checklist import section
from bot.team.home_render import store_label
from bot.text_safety import escape_untrusted
from connectors.account_health import AccountHealthSource

log = logging.getLogger(__name__)

CHECK_HOURS = 6  # penalty points change daily at most; a few calls per store and day
FIRST_CHECK_AFTER = 60.0  # seconds: after start-up's catch-up, not in its way


def _ts(when: datetime | None) -> float | None:
    return when.timestamp() if when else None


async def check_all(service: Services) -> dict[str, int | None]:
    """Ask every store whose platform can tell; returns notices per store (None:
    the check failed, and the notices known before stay)."""
    out: dict[str, int | None] = {}
    for key in service.hub.stores:
        connector, account = service.hub.for_store(key)
        if not isinstance(connector, AccountHealthSource):
            continue
        try:
            found = await connector.account_notices(account)
        except Exception as e:  # noqa: BLE001 - one store's failure must not hide the others
            log.warning("account health of %s could not be read: %s", key, e)
            out[key] = None
            continue
        rows = [Notice(key, n.kind, n.key, n.summary, n.severity, _ts(n.issued_at),
                       _ts(n.ends_at), 0.0) for n in found]
        for n in await service.store.account_notices.replace(key, rows):
            log.info("new account notice for %s: %s", key, n.summary)
        out[key] = len(rows)
    return out


async def digest_section(service: Services, now: float) -> list[dict[str, Any]]:
    stores = await store_labels(service.store.database)
    lines = []
    for n in await service.store.account_notices.current():
        mark = "⛔" if n.severity == "critical" else "⚠️"
        until = f" until {slack_date(n.ends_at)}" if n.ends_at else ""
        lines.append(f"{store_label(stores.get(n.store_key), n.store_key)} — {mark} "
                     f"{escape_untrusted(n.summary)[:300]}{until}")
    # Which real platforms cannot tell (the sandbox is no platform: nothing to say).
    blind = sorted({platform_name(s.connector) for key, s in service.hub.stores.items()
                    if s.connector != "sandbox"
                    and not isinstance(service.hub.for_store(key)[0], AccountHealthSource)})
    blocks = section("🛡 Account risk — penalties and warnings the platforms report", lines,
                     "No penalty, punishment or indicator below target reported.")
    if blind:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f"{', '.join(blind)}: no API reports penalties or violations; "
                       "check the seller center."}]})
    return blocks


def feature(service: Services) -> Feature:
    async def check() -> None:
        await check_all(service)

    async def section(now: float) -> list[dict[str, Any]]:
        return await digest_section(service, now)

    return Feature("account_risk", digest_sections=(section,), jobs=(
        Job("account_health", check, IntervalTrigger(hours=CHECK_HOURS),
            first_run_after=FIRST_CHECK_AFTER),))
