"""Who `/cs handover @member` means.

The shipped manifest declares the commands with ``should_escape: false``, so when
an agent picks a colleague Slack sends ``@Mai`` (the name the client shows), not
``<@U0123|mai>``; an agent may also type a handle (``@mai``) or a full name with
spaces (``@Mai Tran``). Both forms are understood: the escaped one directly, the
plain one through ``users.list`` (users:read), read once and re-read when a name is
not found (someone joined), at most once a minute.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.text_safety import escape_mrkdwn

log = logging.getLogger(__name__)

_ESCAPED = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
REFRESH_AFTER = 60.0  # seconds between two users.list reads caused by an unknown name


@dataclass(frozen=True)
class Target:
    """A member (``user``), a group name (``group``), or why there is neither."""

    user: str | None = None
    group: str | None = None
    error: str | None = None


def _key(name: str) -> str:
    """Names compare without case, accents' composition, a leading @ or extra spaces."""
    text = unicodedata.normalize("NFKC", name).casefold().lstrip("@")
    return " ".join(text.split())


@dataclass
class MemberDirectory:
    """People of the workspace by every name they can be called: handle, display
    name and full name. Deleted accounts and bots are left out."""

    client: AsyncWebClient
    clock: Callable[[], float] = time.monotonic
    _by_name: dict[str, set[str]] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)  # user id -> shown name
    _read_at: float | None = None

    async def _read(self) -> None:
        by_name: dict[str, set[str]] = {}
        names: dict[str, str] = {}
        async for page in await self.client.users_list(limit=200):
            for user in page.get("members") or []:
                if user.get("deleted") or user.get("is_bot") or user.get("id") == "USLACKBOT":
                    continue
                profile = user.get("profile") or {}
                called = {user.get("name"), user.get("real_name"), profile.get("display_name"),
                          profile.get("real_name"), profile.get("display_name_normalized"),
                          profile.get("real_name_normalized")}
                for name in filter(None, called):
                    by_name.setdefault(_key(name), set()).add(user["id"])
                names[user["id"]] = (profile.get("display_name") or user.get("real_name")
                                     or user.get("name") or user["id"])
        self._by_name, self._names, self._read_at = by_name, names, self.clock()

    async def find(self, name: str) -> set[str]:
        """Ids of the people called ``name``; reads Slack when the name is unknown."""
        found = self._by_name.get(_key(name))
        stale = self._read_at is None or self.clock() - self._read_at >= REFRESH_AFTER
        if not found and stale:
            await self._read()
            found = self._by_name.get(_key(name))
        return set(found or ())

    def shown(self, user: str) -> str:
        return self._names.get(user, user)


async def resolve_target(directory: MemberDirectory, words: Sequence[str], *,
                         is_agent: Callable[[str], bool],
                         is_group: Callable[[str], bool] = lambda _: True) -> Target:
    """``<@U…>``/``<@U…|name>``, ``@name`` (one or more words), or a group name; a
    bare word that names no group is tried as a person ("handover an")."""
    if not words:
        return Target()
    escaped = _ESCAPED.match(words[0])
    if escaped:
        return Target(user=escaped.group(1))
    if not words[0].startswith("@"):
        group = " ".join(words)
        if is_group(group):
            return Target(group=group)
        found = await resolve_target(directory, [f"@{words[0]}", *words[1:]],
                                     is_agent=is_agent)
        return found if found.user else Target(group=group)  # "no group called …"
    # "@Mai Tran": the longest run of words that is somebody's name wins
    for end in range(len(words), 0, -1):
        name = " ".join(words[:end])
        try:
            ids = await directory.find(name)
        except SlackApiError as e:
            log.warning("users.list failed (%s): cannot resolve %s", e.response.get("error"),
                        name)
            return Target(error="Slack did not tell me who that is right now; try again, "
                                "or pick the person from the @ list.")
        if len(ids) > 1:  # a team member is the likelier meaning of a shared name
            ids = {u for u in ids if is_agent(u)} or ids
        if len(ids) == 1:
            return Target(user=ids.pop())
        if ids:
            who = ", ".join(f"<@{u}> ({directory.shown(u)})" for u in sorted(ids))
            return Target(error=f"{_plain(name)} could be {who}: pick the person from the "
                                "@ list, or use their full name.")
    return Target(error=f"Nobody in this workspace is called {_plain(' '.join(words))}. "
                        "Pick the person from the @ list, or name a group.")


def _plain(text: str) -> str:
    """Echo what was typed without letting it format, link or mention (@here too)."""
    return f"*{escape_mrkdwn(text[:80])}*"
