"""Who is on which team, who manages, and who is online."""

from __future__ import annotations

from bot.config import Settings
from bot.store import Store


class Roster:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.away: set[str] = set()  # filled by Presence when presence_idle is on

    def group_of_store(self, store_key: str) -> str | None:
        return self.settings.store(store_key).group

    def members(self, group: str | None) -> list[str]:
        """Who takes ``group``'s conversations: its members (managers watch; they
        are picked only in a group that has no members)."""
        g = self.settings.group(group)
        if g is None:
            return []
        return list(g.members or g.managers)

    def is_manager(self, user: str) -> bool:
        return any(user in g.managers for g in self.settings.groups)

    def groups_of(self, user: str) -> list[str]:
        return [g.name for g in self.settings.groups if user in g.members or user in g.managers]

    def is_agent(self, user: str) -> bool:
        return bool(self.groups_of(user))

    async def online(self, user: str) -> bool:
        return await self.store.team.status(user) == "online" and user not in self.away

    async def online_members(self, group: str | None, *, exclude: str | None = None) -> list[str]:
        return [u for u in self.members(group) if u != exclude and await self.online(u)]
