"""The App Home tab as the team's aggregated panel, and how it is published.

``home_view`` is a pure function of the database (and the viewer's filters);
``publish_home`` adds what needs Slack (workspace URL for links, agents' names)
and calls ``views.publish``. Filters live in the view's ``private_metadata``, so
each person keeps theirs without any table, and Slack hands them back with every
action and every ``app_home_opened``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.authz import Access
from bot.config import Settings
from bot.store import Store
from bot.store.digest import DAY
from bot.store.home import UNASSIGNED, HomeFilters, HomeQueries, Section
from bot.store.service_time import service_times
from bot.team.home_cache import HomeCache
from bot.team.home_filters import apply_action, filter_blocks
from bot.team.home_render import (
    context,
    count_blocks,
    fit,
    row_block,
    service_block,
    status_block,
    totals,
    who,
)

if TYPE_CHECKING:
    from bot.feature_api import HomeSection, Register, Services, Workspace

log = logging.getLogger(__name__)

LIST_LIMIT = 10  # rows per list; the rest is "and N more"
MAX_BLOCKS = 100  # Slack's limit for a Home tab


@dataclass(frozen=True)
class HomePanel:
    """What the Home tab is drawn from: the store, and the team feature's cache and
    the other features' panels. Without ``access`` (a tool over a bare store) every
    store is visible."""

    store: Store
    settings: Settings
    clock: Callable[[], float]
    workspace: Workspace
    access: Access | None = None  # None: every store is visible
    cache: HomeCache | None = None
    #: Other features' panels, (viewer, now) -> blocks; read when drawn.
    sections: Sequence[HomeSection] = ()

    @classmethod
    def of(cls, service: Services, cache: HomeCache | None = None) -> HomePanel:
        return cls(service.store, service.settings, service.clock, service.workspace,
                   service.relay.access, cache, service.sections.home)

    def visible_stores(self, user_id: str) -> tuple[str, ...] | None:
        """The stores ``user_id`` may see (bot/authz.py); None when that is every store
        (admins: the unscoped queries are the fast ones)."""
        if self.access is None:
            return None
        visible = self.access.visible_stores(user_id)
        return None if len(visible) == len(self.settings.stores) else visible


# -- the view --------------------------------------------------------------------------
async def home_view(panel: HomePanel, user_id: str, filters: HomeFilters | None = None, *,
              names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The Home tab of ``user_id``: status, filters, counts, and the three lists."""
    f = filters or HomeFilters()
    q = HomeQueries(panel.store.database, panel.visible_stores(user_id))
    now = panel.clock()
    stores = {r["key"]: r for r in await q.stores()}
    status, current_id = await q.agent(user_id)
    agents = await _agents(panel.settings, q, user_id)

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "StoreBridge — conversations"}},
        status_block(status),
        *filter_blocks(f, list(stores.values()), agents, user_id, names or {}),
        {"type": "divider"},
    ]
    cache = panel.cache
    counts = (await cache.counts(f, lambda: q.store_counts(f)) if cache is not None
              else await q.store_counts(f))
    in_scope = [s for s in stores.values() if f.store in (None, s["key"])
                and f.site in (None, s["site"]) and f.platform in (None, s["platform"])]
    blocks += count_blocks(counts, in_scope, stores)
    blocks += service_block(await service_times(panel.store.database, now - DAY, now),
                            user_id, names)
    for extra in panel.sections:
        blocks += await extra(user_id, now)

    def rows(key: str, title: str, section: Section, empty: str, *, count: bool = True
             ) -> list[dict[str, Any]]:
        head = f"*{title}*" + (f" ({section.total})" if count else "")
        out: list[dict[str, Any]] = [{"type": "section",
                                      "text": {"type": "mrkdwn", "text": head}}]
        out += [row_block(panel.workspace, r, stores, now, current_id, names, section=key)
                for r in section.rows]
        if not section.rows:
            out.append(context(empty))
        elif section.total > len(section.rows):
            out.append(context(f"…and {section.total - len(section.rows)} more, narrow "
                                "them with the filters above."))
        return [*out, {"type": "divider"}]

    current = await q.conversation(current_id) if current_id else None
    if current and current.status == "open":
        blocks += rows("current", "📌 Your current conversation", Section([current], 1), "",
                       count=False)
    mine_for = f.assignee if f.assignee not in (None, UNASSIGNED) else user_id
    if f.assignee != UNASSIGNED:
        title = "My conversations" if mine_for == user_id else f"Assigned to {who(mine_for, names)}"
        blocks += rows("mine", title, await q.assigned_to(mine_for, f, LIST_LIMIT),
                       "Nothing open assigned here.")
    total = totals(counts.values())
    if f.assignee in (None, UNASSIGNED):
        blocks += rows("unassigned", "Unassigned", await q.unassigned(f, LIST_LIMIT,
                                                                      total["unassigned"]),
                       "Every open conversation has an owner.")
    blocks += rows("waiting", "Waiting longest", await q.waiting_longest(f, LIST_LIMIT,
                                                                         total["waiting"]),
                   "No buyer is waiting for an answer.")
    return {"type": "home", "private_metadata": f.to_json(), "callback_id": "home",
            "blocks": fit(blocks, MAX_BLOCKS)}


async def _agents(settings: Settings, q: HomeQueries, viewer: str) -> list[str]:
    people = {m for g in settings.groups for m in (*g.members, *g.managers)}
    people.update(await q.known_agents())
    people.discard(viewer)
    return [viewer, *sorted(people)]


# -- publishing ------------------------------------------------------------------------
async def publish_home(service: Services, panel: HomePanel, user_id: str,
                       filters: HomeFilters | None = None, *, looking: bool = True) -> None:
    """``looking``: the person opened or used the tab now, so it is kept up to date
    for them for a while (bot/team/home_refresh.py); the refresh itself passes False."""
    await learn_workspace(service)
    q = HomeQueries(service.store.database)
    cache = panel.cache
    # The viewer's status and pinned conversation are one primary-key read: part
    # of the cache key, so toggling either never shows a stale panel.
    state = "|".join(str(x) for x in await q.agent(user_id))
    view = cache.get(user_id, filters, state) if cache is not None else None
    if view is None:
        names = await user_names(service, await _agents(service.settings, q, user_id))
        view = await home_view(panel, user_id, filters, names=names)
        if cache is not None:
            cache.put(user_id, filters, state, view)
    await service.slack.views_publish(user_id=user_id, view=view)
    if looking:
        await service.store.home_viewers.seen(user_id, (filters or HomeFilters()).to_json())


async def learn_workspace(service: Services) -> None:
    """The workspace URL for permalinks: learnt by the Slack outbox (``auth.test``) at
    start and again when Slack comes back; asked here if it is still unknown."""
    if service.workspace.workspace_url:
        return
    await service.outbox.refresh_identity()


async def user_names(service: Services, users: list[str]) -> dict[str, str]:
    """Display names, from the service's one directory of Slack users."""
    return await service.directory.names(users)


def filters_from_view(view: Mapping[str, Any] | None) -> HomeFilters:
    return HomeFilters.from_json((view or {}).get("private_metadata"))


def listeners(service: Services, panel: HomePanel, *, home_opened: bool = True) -> Register:
    """Registers the filter actions (and ``app_home_opened`` unless the caller has its
    own) on a bolt app. Publishing runs in the background so Slack's acknowledgement
    (sent once the listener returns: ``process_before_response``) never waits on it."""
    def spawn_publish(user: str, filters: HomeFilters) -> None:
        async def run() -> None:
            try:
                await publish_home(service, panel, user, filters)
            except Exception:  # noqa: BLE001 - the next open of the tab tries again
                log.exception("publishing the Home tab of %s failed", user)
        service.spawn(run())

    def register(app: AsyncApp) -> None:
        if home_opened:
            @app.event("app_home_opened")
            async def on_home(event: dict[str, Any]) -> None:
                if event.get("tab") in (None, "home"):
                    spawn_publish(event["user"], filters_from_view(event.get("view")))

        @app.action(re.compile(r"^home_filter_"))
        async def on_filter(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            f = apply_action(filters_from_view(body.get("view")), action)
            spawn_publish(body["user"]["id"], f)
    return register
