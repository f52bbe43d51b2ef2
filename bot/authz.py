"""Who may do what: the one authorization rule every Slack entry point asks.

The rule is decided from the store as configured for the conversation as stored
(its ``store_key`` read from the database), never from what a button or a modal
carries: a ``value`` or ``private_metadata`` only says which conversation, and the
conversation's own row says which store, hence which group.

* **Members** of a store's group, and its **managers**, act in that store's
  conversations: reply, assign, transfer, close/reopen, retry, edit & resend, open
  orders, use templates, fix translations, retry the store's sync.
* **Managers** additionally manage templates and settings, approve or reject replies
  held by the approval gate (their own replies are never held), and answer buyers'
  cancellation and return requests (with ``order_actions: members`` on the group, its
  members answer those too).
* **Admins** (``admins:`` in storebridge.yml) are managers of every store.
* A store without a group is open to everyone in its channel (a one-team setup);
  its manager-only actions are for admins (templates: and the managers of any group).
  Money moves on orders and held replies, so there nobody but an admin decides them.

Refusals are worded here once, so every entry point says the same plain thing.
"""

from __future__ import annotations

from bot.config import GroupConfig, Settings

NOT_AGENT = ("You are not an agent of this store's team, so you cannot do that in this "
             "conversation. Ask a member of the store's team, or an admin.")
NOT_MANAGER = "Only managers can change templates and settings."
NOT_APPROVER = "Only this store's managers can approve or reject held replies."
NOT_ORDER_ACTOR = ("Only this store's managers can answer cancellation and return requests "
                   "(set `order_actions: members` on the group to let its members do it).")
GONE = "That conversation no longer exists."
MAX_REMEMBERED = 10_000  # users whose visible stores are kept


class Access:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        #: visible_stores per user: 500 stores walked on each Home open and card
        #: showed in profiles. Settings never change under an Access (a reload
        #: builds a new service), so the answer cannot go stale.
        self._visible: dict[str, tuple[str, ...]] = {}

    def is_admin(self, user: str) -> bool:
        return user in self.settings.admins

    def group_of(self, store_key: str) -> str | None:
        """The store's group; a store no longer configured belongs to nobody."""
        try:
            return self.settings.store(store_key).group
        except KeyError:
            return None

    def _configured(self, store_key: str) -> bool:
        try:  # by key: visible_stores asks this for each of 500 stores per Home open
            self.settings.store(store_key)
        except KeyError:
            return False
        return True

    def may_act(self, user: str, store_key: str) -> bool:
        """Reply and every conversation action in ``store_key``'s conversations."""
        if not user or not self._configured(store_key):
            return False
        if self.is_admin(user):
            return True
        group = self.settings.group(self.group_of(store_key))
        if group is None:
            return True  # no group: everyone in the channel (see the module's note)
        return user in group.members or user in group.managers

    def may_manage(self, user: str, store_key: str | None = None) -> bool:
        """Templates (shared by every store: ``store_key`` None) and settings."""
        if not user:
            return False
        if self.is_admin(user):
            return True
        if store_key is None:
            return any(user in g.managers for g in self.settings.groups)
        group = self.settings.group(self.group_of(store_key))
        return group is not None and user in group.managers

    def _group(self, store_key: str) -> GroupConfig | None:
        return self.settings.group(self.group_of(store_key))

    def may_approve(self, user: str, store_key: str) -> bool:
        """Approve or reject a reply held for approval; such a user's own replies pass."""
        if not user or not self._configured(store_key):
            return False
        group = self._group(store_key)
        return self.is_admin(user) or (group is not None and user in group.managers)

    def approvers(self, store_key: str) -> tuple[str, ...]:
        """Who a held reply waits for (mentioned in the thread): the group's managers,
        else the admins. Empty: nobody could approve, so nothing is held."""
        group = self._group(store_key) if self._configured(store_key) else None
        if group is not None and group.managers:
            return group.managers
        return self.settings.admins if self._configured(store_key) else ()

    def may_act_on_orders(self, user: str, store_key: str) -> bool:
        """Answer a buyer's cancellation or return request (money moves)."""
        if not user or not self._configured(store_key):
            return False
        if self.is_admin(user):
            return True
        group = self._group(store_key)
        if group is None:
            return False  # no group: admins only (see the module's note)
        return user in group.managers or (group.order_actions == "members"
                                          and user in group.members)

    def order_actions_on(self, store_key: str) -> bool:
        """Someone may answer this store's buyer requests from Slack."""
        group = self._group(store_key) if self._configured(store_key) else None
        return bool(self.settings.admins) or (group is not None and bool(
            group.managers or (group.order_actions == "members" and group.members)))

    def is_agent(self, user: str) -> bool:
        """May act in at least one store (e.g. may see the shared template library)."""
        return bool(self.visible_stores(user))

    def visible_stores(self, user: str) -> tuple[str, ...]:
        """The stores whose conversations, orders and figures ``user`` may see."""
        found = self._visible.get(user)
        if found is None:
            found = tuple(s.key for s in self.settings.stores if self.may_act(user, s.key))
            if len(self._visible) < MAX_REMEMBERED:  # user ids come from Slack payloads
                self._visible[user] = found
        return found

    def may_receive(self, user: str, store_key: str) -> bool:
        """A transfer target must be able to reply, or the chat would be stuck."""
        return self.may_act(user, store_key)

    def groups_serving(self, store_key: str) -> tuple[str, ...]:
        """Groups a conversation of ``store_key`` may be transferred to."""
        group = self.group_of(store_key)
        if group is not None:
            return (group,)
        return tuple(g.name for g in self.settings.groups)

    def team_scope(self, store_key: str | None) -> str | None:
        """Whose translation corrections a store reads and writes: its group's,
        or the store's own when it has no group (None: no store, e.g. a preview)."""
        if store_key is None:
            return None
        group = self.group_of(store_key)
        return f"group:{group}" if group else f"store:{store_key}"
