"""Slack listeners for sending a template: the message shortcut, the card button,
``/reply``, the picker's options, and the modal's actions and submission."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.store import Conversation
from bot.store.template_model import Template
from bot.store.templates import Templates
from bot.templates import modal
from bot.templates.compose import Draft, draft, may_reply, with_back_translation
from bot.templates.placeholders import unfilled
from bot.text_safety import escape_untrusted

if TYPE_CHECKING:
    from bot.feature_api import Services

log = logging.getLogger(__name__)

SHORTCUT = "reply_with_template"
CARD_BUTTON = "template_open"
COMMAND = "/reply"
_REF = re.compile(r"^[A-Za-z]{2}-[A-Za-z]{2,3}-\d+$")
NOT_AGENT = ("You are not an agent of this store's team, so you cannot reply to this "
             "buyer.")
NOT_A_THREAD = ("“Reply with template” works on messages in a buyer conversation thread; "
                "this message is not in one.")


def register_reply(app: AsyncApp, service: Services, repo: Templates) -> None:
    flow = _ReplyFlow(service, repo)

    @app.shortcut(SHORTCUT)
    async def on_shortcut(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                          respond: AsyncRespond) -> None:
        await ack()
        message = body.get("message") or {}
        conv = await service.store.conversations.by_thread(
            body["channel"]["id"], message.get("thread_ts") or body.get("message_ts") or "")
        problem = NOT_A_THREAD if conv is None else await flow.open(
            client, body["trigger_id"], conv, body["user"]["id"])
        if problem:
            await respond(text=problem, response_type="ephemeral")

    @app.action(CARD_BUTTON)
    async def on_card_button(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                             client: AsyncWebClient, respond: AsyncRespond) -> None:
        await ack()
        conv = await service.store.conversations.get(int(action["value"]))
        problem = "This conversation no longer exists." if conv is None else await flow.open(
            client, body["trigger_id"], conv, body["user"]["id"])
        if problem:
            await respond(text=problem, response_type="ephemeral", replace_original=False)

    @app.command(COMMAND)
    async def on_command(ack: AsyncAck, command: dict[str, Any],
                         client: AsyncWebClient) -> None:
        problem = await flow.command(client, command)
        if problem:
            await ack(text=problem)
        else:
            await ack()

    @app.options(modal.PICK_ACTION)
    async def on_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        # The picker lists templates only to someone who may reply in the modal's
        # conversation (as stored): the library is the teams', not the workspace's.
        conv = await service.store.conversations.get(
            int(modal.metadata(body.get("view") or {}).get("c") or 0))
        if conv is None or not may_reply(service, body["user"]["id"], conv):
            await ack(options=[])
            return
        found = await repo.search(body.get("value") or "", limit=100)
        if found:
            await ack(option_groups=modal.option_groups(found))
        else:
            await ack(options=[])

    @app.action(modal.PICK_ACTION)
    async def on_pick(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                      client: AsyncWebClient) -> None:
        await ack()
        picked = (action.get("selected_option") or {}).get("value")
        template = await repo.get(int(picked)) if picked and picked.isdigit() else None
        await flow.refresh(client, body, template, keep_text=False)

    @app.action(modal.PREVIEW_ACTION)
    async def on_preview(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        meta = modal.metadata(body["view"])
        template = await repo.get(int(meta["t"])) if meta.get("t") else None
        await flow.refresh(client, body, template, keep_text=True)

    @app.view(modal.CALLBACK_ID)
    async def on_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        # A replayed submission of the same modal (same view id) sends nothing again.
        block_id, errors = await flow.send(view, body["user"]["id"])
        if errors:
            await ack(response_action="errors", errors={block_id: errors})
        else:
            await ack()


class _ReplyFlow:
    def __init__(self, service: Services, repo: Templates) -> None:
        self.service = service
        self.repo = repo

    async def open(self, client: AsyncWebClient, trigger_id: str, conv: Conversation,
                   user: str, template: Template | None = None,
                   hint: str | None = None) -> str | None:
        """Open the modal for ``conv``; returns what to tell the user instead, if anything."""
        if not may_reply(self.service, user, conv):
            return NOT_AGENT
        # Acting in a conversation makes it the agent's current one (for `/reply`).
        await self.service.store.books.set_current(user, conv.id)
        d = await draft(self.service, conv, user, template, hint=hint)
        try:
            resp = await client.views_open(trigger_id=trigger_id, view=modal.reply_view(d))
        except SlackApiError as e:
            log.warning("views.open failed: %s", e.response.get("error"))
            return "Slack did not let StoreBridge open the reply window in time; try again."
        self._back_translate_later(client, d, resp["view"])
        return None

    async def command(self, client: AsyncWebClient, command: dict[str, Any]) -> str | None:
        """``/reply [template] [conversation-ref]``, from any channel."""
        user, words = command["user_id"], (command.get("text") or "").split()
        at = next((i for i, w in enumerate(words) if _REF.match(w)), None)
        ref = words.pop(at) if at is not None else None
        query = " ".join(words)
        if ref:
            conv = await self.service.store.conversations.by_ref(ref)
            if conv is None:
                return (f"There is no conversation {ref.upper()}. The reference is at the "
                        "bottom of the conversation's card, e.g. `SP-SG-0001`.")
        else:
            current = await self.service.store.books.current(user)
            conv = await self.service.store.conversations.get(current) if current else None
            if conv is None:
                return ("You have no current conversation yet. Add its reference "
                        "(`/reply shipping SP-SG-0001`), or use “Reply with template” on a "
                        "message in the conversation's thread.")
        cards = self.service.slots.reply_cards  # the actions feature's, when it is there
        if cards is not None and words and words[0].lower() in ("product", "order"):
            return await cards(client, command["trigger_id"], conv, user, words[0].lower(),
                               " ".join(words[1:]))
        template, hint = None, None
        if query:
            matches = await self.repo.by_name(query) or await self.repo.search(query, limit=20)
            if not matches:
                return (f"No template matches “{escape_untrusted(query)}”. Run `/reply` "
                        "without a name to browse them all.")
            if len(matches) == 1:
                template = matches[0]
            else:
                hint = f"{len(matches)} templates match “{query}”: pick one."
        return await self.open(client, command["trigger_id"], conv, user, template, hint)

    async def refresh(self, client: AsyncWebClient, body: dict[str, Any],
                      template: Template | None, *, keep_text: bool) -> None:
        """Re-render the open modal: a new pick fills its text in; "Update preview"
        previews what the agent has typed."""
        view, user = body["view"], body["user"]["id"]
        conv = await self.service.store.conversations.get(int(modal.metadata(view).get("c") or 0))
        if conv is None or not may_reply(self.service, user, conv):
            return
        text = modal.edited_text(view)[1] if keep_text else None
        d = await draft(self.service, conv, user, template, text=text)
        try:
            resp = await client.views_update(view_id=view["id"], hash=view.get("hash"),
                                             view=modal.reply_view(d))
        except SlackApiError as e:  # hash_conflict: a newer update won; nothing to do
            log.info("views.update of the reply modal: %s", e.response.get("error"))
            return
        self._back_translate_later(client, d, resp["view"])

    async def send(self, view: dict[str, Any], user: str) -> tuple[str, str | None]:
        """Queue the reply; returns the text block's id and an error for the agent."""
        block_id, text = modal.edited_text(view)
        block_id, text = block_id or f"{modal.TEXT_BLOCK_PREFIX}0", text or ""
        meta = modal.metadata(view)
        store = self.service.store
        conv = await store.conversations.get(int(meta.get("c") or 0))
        if conv is None:
            return block_id, "This conversation no longer exists."
        if not may_reply(self.service, user, conv):
            return block_id, NOT_AGENT
        if not meta.get("t"):
            return block_id, "Pick a template first (or type your reply in the thread)."
        if not text.strip():
            return block_id, "Write the reply to send."
        left = unfilled(text)
        if left:
            names = ", ".join("{" + n + "}" for n in left)
            return block_id, (f"Replace {names} before sending: the buyer would see it as is.")
        template_id = int(meta["t"])
        template = await self.repo.get(template_id)
        team_language = self.service.settings.team_language
        language = (template.text_for(conv.buyer_language, team_language)[1]
                    if template else None) or team_language
        async with store.database.tx():
            # Claimed with the reply it sends: a replay of this modal finds it taken.
            if not await store.books.claim_event(f"view_submission:{view.get('id')}"):
                return block_id, None
            # Through the approval gate like a typed reply (bot/relay.py).
            await self.service.relay.queue_reply(
                conv, user, text, lambda held: store.replies.record_from_bot(
                    conv, user, text, source="template", template_id=template_id,
                    language=language, held=held))
            await self.repo.mark_used(template_id, store.database.clock())
        await store.books.set_current(user, conv.id)
        return block_id, None

    def _back_translate_later(self, client: AsyncWebClient, d: Draft,
                              view: dict[str, Any]) -> None:
        """The modal opens at once; the back-translation follows in an update."""
        if d.back_state != "pending":
            return

        async def update() -> None:
            done = await with_back_translation(self.service, d)
            try:
                await client.views_update(view_id=view["id"], hash=view.get("hash"),
                                          view=modal.reply_view(done))
            except SlackApiError as e:  # the agent moved on (hash_conflict) or closed it
                log.info("back-translation update skipped: %s", e.response.get("error"))

        self.service.spawn(update())
