"""Optional: Slack presence drives status (``away`` counts as idle)."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.team.roster import Roster

log = logging.getLogger(__name__)

PRESENCE_EVERY_SECONDS = 60


class Presence:
    """Polls users.getPresence for every agent; Slack sends bots no presence events
    over the Events API, so polling is the only way."""

    def __init__(self, client: AsyncWebClient, roster: Roster) -> None:
        self.client = client
        self.roster = roster
        self.away: set[str] = set()

    async def refresh(self) -> None:
        users = {u for g in self.roster.settings.groups for u in (*g.members, *g.managers)}
        for user in sorted(users):
            try:
                resp = await self.client.users_getPresence(user=user)
            except Exception as e:  # noqa: BLE001 - keep the last known state
                log.debug("presence of %s unknown: %s", user, e)
                continue
            if resp.get("presence") == "away":
                self.away.add(user)
            else:
                self.away.discard(user)
