"""Slack users acting inside an open modal or their published App Home tab.

Clicking a button or picking a value in a select of a view is a ``block_actions``
request whose ``container`` is ``{"type": "view", "view_id": ...}``; instead of a
``message`` and ``response_url`` it carries the ``view``, with the current
``state.values`` of its inputs (what the user has typed so far).  As with message
clicks, the element must really be in the view, a fresh ``trigger_id`` is issued
(so the app can push a modal), and the signed payload goes to the app's
interactivity URL (or its Socket Mode connection).
"""

from __future__ import annotations

from typing import Any

from .slack_blocks import block_elements, element_state, find_element
from .slack_interactions import SlackInteractions
from .slack_payloads import Delivery, element_action, view_block_actions
from .slack_state import User
from .slack_web_chat import public


def typed_state(view: dict[str, Any], typed: dict[str, Any] | None) -> dict[str, Any]:
    """``state.values`` of a view from ``{block_id: value}`` (one input per block)."""
    state: dict[str, Any] = {}
    for block_id, value in (typed or {}).items():
        block = next((bl for bl in view["blocks"] if bl.get("block_id") == block_id), None)
        inputs = [el for el in block_elements(block or {}) if el["type"] != "button"]
        if len(inputs) != 1:
            raise ValueError(f"view {view['id']} has no single input in block {block_id!r}")
        element = inputs[0]
        state[block_id] = {element["action_id"]: element_state(element, value)}
    return state


class SlackViewActions(SlackInteractions):
    """``block_actions`` from views (mixed into the emulator with the other interactions)."""

    async def _act_in(self, user: User, view: dict[str, Any], action_id: str, value: Any,
                      typed: dict[str, Any] | None, where: str) -> Delivery:
        found = find_element(view["blocks"], action_id)
        if found is None:
            present = [e.get("action_id") for b in view["blocks"] for e in block_elements(b)]
            raise ValueError(f"{where} has no element {action_id!r}; has {present}")
        action = element_action(*found, value)
        shown = {**public(view), "state": {"values": typed_state(view, typed)}}
        payload = view_block_actions(self.workspace, user, shown, action,
                                     token=self.verification_token,
                                     trigger_id=self.workspace.issue_trigger(user.id))
        return await self._post_payload(payload)

    async def user_acts_in_view(self, user_id: str, view_id: str, action_id: str,
                                value: Any = None, typed: dict[str, Any] | None = None
                                ) -> Delivery:
        """Click a button (or pick ``value`` in a select/overflow) of an open modal.

        ``typed`` is what the user has typed into the modal's inputs so far, by
        block id (``{"reply": "Hello"}``); it is sent as the view's ``state.values``.
        Raises ``ValueError`` if the view is not open for the user or has no such
        element.  The app's answer is the returned :class:`Delivery`; modal changes
        it makes go through ``views.update``/``views.push`` as usual.
        """
        user = self._human(user_id)
        view = self._open_view(user, view_id)
        return await self._act_in(user, view, action_id, value, typed, f"view {view_id}")

    async def user_acts_in_home(self, user_id: str, action_id: str, value: Any = None
                                ) -> Delivery:
        """Click a button (or pick ``value`` in a select) of the user's published Home tab.

        Uses the view last published for the user with ``views.publish``; raises
        ``ValueError`` if there is none or it has no such element.
        """
        user = self._human(user_id)
        view = self.workspace.home_views.get(user.id)
        if view is None:
            raise ValueError(f"no Home tab published for {user.id}")
        return await self._act_in(user, view, action_id, value, None, f"the Home tab of {user.id}")
