"""Bolt listeners for translation: the Fix translation modal and the reply toggle.

They acknowledge at once and hand on to :mod:`bot.translation.actions`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.store.rows import Message
from bot.text_safety import plain_for_buyer
from bot.translation.actions import TranslationActions

CALLBACK_ID = "translation_fix"
INPUT_LIMIT = 3000  # plain_text_input's maximum length
SECTION_LIMIT = 2900
MAX_ORIGINAL_SECTIONS = 4


def fix_view(msg: Message, team_language: str) -> dict[str, Any]:
    """The modal: the buyer's words as plain text (never parsed), the translation editable."""
    original = plain_for_buyer(msg.text)
    chunks = [original[i:i + SECTION_LIMIT]
              for i in range(0, len(original), SECTION_LIMIT)][:MAX_ORIGINAL_SECTIONS]
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value",
                               "multiline": True, "max_length": INPUT_LIMIT}
    if msg.translation:
        element["initial_value"] = msg.translation[:INPUT_LIMIT]
    return {
        "type": "modal", "callback_id": CALLBACK_ID, "private_metadata": str(msg.id),
        "title": {"type": "plain_text", "text": "Fix translation"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "context", "elements": [
                {"type": "plain_text", "text": "What the buyer wrote"}]},
            *({"type": "section", "text": {"type": "plain_text", "emoji": True, "text": c}}
              for c in chunks or ["(empty)"]),
            {"type": "input", "block_id": "translation", "element": element,
             "label": {"type": "plain_text", "text": f"Translation ({team_language})"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text":
                "Saved for the whole team: this text is shown with your translation "
                "from now on."}]},
        ],
    }


def listeners(actions: TranslationActions) -> Callable[[AsyncApp], None]:
    def register(app: AsyncApp) -> None:
        @app.action("translation_fix")
        async def on_fix(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                         client: AsyncWebClient) -> None:
            await ack()
            found = await actions.fixable(int(action["value"]), body["user"]["id"])
            if found is None:
                return
            msg, _conv = found
            await client.views_open(trigger_id=body["trigger_id"],
                                    view=fix_view(msg, actions.translator.team_language))

        @app.view(CALLBACK_ID)
        async def on_fix_submit(ack: AsyncAck, body: dict[str, Any],
                                view: dict[str, Any]) -> None:
            text = view["state"]["values"]["translation"]["value"]["value"] or ""
            problem = await actions.save_correction(int(view["private_metadata"]),
                                              body["user"]["id"], text)
            if problem:
                await ack(response_action="errors", errors={"translation": problem})
                return
            await ack()

        @app.action("translate_toggle")
        async def on_toggle(ack: AsyncAck, body: dict[str, Any],
                            action: dict[str, Any]) -> None:
            await ack()
            await actions.toggle_replies(int(action["value"]), body["user"]["id"])

    return register
