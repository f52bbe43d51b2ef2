"""``/cs stats``: the daily checklist on demand, privately, with the caller's own figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.store.digest import DAY, response_times
from bot.store.service_time import service_times
from bot.team.checklist import checklist_blocks, human
from bot.team.digest import MAX_MESSAGE_BLOCKS
from bot.team.home_render import fit

if TYPE_CHECKING:
    from bot.feature_api import Services


async def stats_blocks(service: Services, user_id: str, now: float, *,
                 names: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Blocks for an ephemeral answer (Slack's 50-block message limit applies).
    Mentions are fine here: an ephemeral message notifies nobody. Only the stores
    the person may act in are shown (bot/authz.py)."""
    db = service.store.database
    mine, waiting = await service.store.team.my_counts(user_id)
    idle = await service.store.team.status(user_id) == "idle"
    overall, _, _ = await response_times(db, now - DAY, now, agent=user_id)
    figures = (f"your first response in the last 24 h: median *{human(overall.median)}*, "
               f"p90 *{human(overall.p90)}* ({overall.count} replies)" if overall
               else "you gave no first response in the last 24 h")
    served = (await service_times(db, now - DAY, now)).per_agent.get(user_id)
    closes = (f"your service time (open to close): median *{human(served.median)}*, "
              f"p90 *{human(served.p90)}* ({served.count} closed)" if served
              else "you closed no conversation")
    you = (f"*You* ({'🌙 idle' if idle else '🟢 online'}): "
           f"{mine} open conversations assigned, {waiting} waiting for you; {figures}; "
           f"{closes}.")
    head: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "📋 Checklist right now"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
         f"Only you can see this · <!date^{int(now)}^{{date_long}} {{time}}|{int(now)}> · "
         "figures over the last 24 hours"}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": you}},
        {"type": "divider"},
    ]
    access = service.relay.access
    visible = access.visible_stores(user_id)
    if not visible:  # their own line only: no store's figures
        return head + [{"type": "section", "text": {"type": "mrkdwn", "text":
                        "You are not on any store's team, so no store's figures are shown."}}]
    everything = len(visible) == len(service.settings.stores)
    return fit(head + await checklist_blocks(service, now, names=names, mention=True,
                                             only=None if everything else visible),
               MAX_MESSAGE_BLOCKS)
