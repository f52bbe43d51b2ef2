"""Modals and the Home tab of the team workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.text_safety import escape_untrusted

if TYPE_CHECKING:
    from bot.team import TeamFeature


async def transfer_view(team: TeamFeature, conversation_id: int, user: str
                        ) -> dict[str, Any]:
    """Members of the store's group (idle ones marked, and refused on submit) and
    the groups; one of them plus an optional note for the recipient."""
    conv = await team.service.store.conversations.get(conversation_id)
    assert conv is not None  # the caller checked the conversation and the user
    access = team.handoffs.access
    group = team.roster.group_of_store(conv.store_key)
    members = [u for u in team.roster.members(group) if u != conv.assignee
               and access.may_receive(u, conv.store_key)]
    member_options = [{"text": {"type": "plain_text", "text": await _label(team, u)},
                       "value": u} for u in members][:100]
    group_options = [{"text": {"type": "plain_text", "text": g}, "value": g}
                     for g in access.groups_serving(conv.store_key)][:100]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text":
            f"Transfer `{conv.ref}` ({escape_untrusted(conv.buyer_name)}). Only online members "
            "can take it; a group picks an online member itself."}},
    ]
    if member_options:
        blocks.append({"type": "input", "block_id": "member", "optional": True,
                       "label": {"type": "plain_text", "text": "To a member"},
                       "element": {"type": "static_select", "action_id": "member",
                                   "options": member_options}})
    if group_options:
        blocks.append({"type": "input", "block_id": "group", "optional": True,
                       "label": {"type": "plain_text", "text": "Or to a group"},
                       "element": {"type": "static_select", "action_id": "group",
                                   "options": group_options}})
    blocks.append({"type": "input", "block_id": "note", "optional": True,
                   "label": {"type": "plain_text", "text": "Note for the recipient"},
                   "element": {"type": "plain_text_input", "action_id": "note",
                               "multiline": True, "max_length": 1000}})
    return {"type": "modal", "callback_id": "transfer_submit",
            "private_metadata": str(conversation_id),
            "title": {"type": "plain_text", "text": "Transfer"},
            "submit": {"type": "plain_text", "text": "Transfer"},
            "close": {"type": "plain_text", "text": "Cancel"}, "blocks": blocks}


async def _label(team: TeamFeature, user: str) -> str:
    name = await team.service.outbox.directory.user_name(user)
    state = "online" if await team.roster.online(user) else "idle"
    return f"{name} ({state})"[:75]
