"""Resolving channel names to ids (and joining public ones) and user names."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_errors import Fault, classify
from bot.store.bookkeeping import Bookkeeping

log = logging.getLogger(__name__)


class ChannelNotFound(Exception):
    pass


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, books: Bookkeeping) -> None:
        self.client = client
        self.books = books
        self._names: dict[str, str] = {}
        self._gate = asyncio.Semaphore(8)  # a first Home with many agents: no users.info burst

    async def channel_id(self, ref: str) -> str:
        """The id of a configured channel, joining it when public; remembered in the
        database so a restart during a Slack outage still knows where to post."""
        known = await self.books.channel_id(ref)
        if known:
            return known
        if ref.startswith("#"):
            info = await self._find_by_name(ref[1:])
        else:
            try:
                info = (await self.client.conversations_info(channel=ref))["channel"]
            except SlackApiError as e:
                if classify(e).kind is Fault.CHANNEL_NOT_FOUND:
                    raise ChannelNotFound(ref) from None
                raise
        if not info.get("is_member") and not info.get("is_private"):
            await self.client.conversations_join(channel=info["id"])
        await self.books.remember_channel(ref, info["id"], info.get("name"),
                                    bool(info.get("is_private")))
        return str(info["id"])

    async def _find_by_name(self, name: str) -> dict[str, Any]:
        cursor = None
        while True:
            resp = await self.client.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=200,
                cursor=cursor)
            for ch in resp["channels"]:
                if ch.get("name") == name:
                    found: dict[str, Any] = ch  # Slack's channel object
                    return found
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise ChannelNotFound(f"#{name}")

    async def user_name(self, user_id: str) -> str:
        return (await self.names([user_id])).get(user_id) or "someone"

    async def names(self, users: list[str]) -> dict[str, str]:
        """Display names, asked of Slack once per person (the one cache of them: the
        agent copies of replies, App Home and the digest all read it). Someone Slack
        cannot tell us about now is left out and asked again next time."""
        async def one(user: str) -> None:
            async with self._gate:
                try:
                    info = (await self.client.users_info(user=user))["user"]
                except (SlackApiError, KeyError):
                    return
            profile = info.get("profile") or {}
            self._names[user] = (profile.get("display_name") or info.get("real_name")
                                 or info.get("name") or user)

        await asyncio.gather(*(one(u) for u in dict.fromkeys(users) if u not in self._names))
        return {u: self._names[u] for u in users if u in self._names}
