"""The Slack layer: bolt listeners that translate payloads and hand them on.

Listeners only persist and schedule (fast, well inside Slack's 3 s), so
``process_before_response`` is on: Slack gets its 200 only once the event is
safely in the database, and a crash before that makes Slack deliver it again.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.authz import NOT_AGENT
from bot.relay import Relay
from bot.slack_authorize import Identity, authorize_locally, without_token
from bot.slack_ingress import install_error_handler
from bot.store import Store

log = logging.getLogger(__name__)

#: Retry sync runs at most this often per store (Lazada revokes apps that poll).
RETRY_SYNC_EVERY = 60.0


def build_bolt_app(client: AsyncWebClient, signing_secret: str, store: Store, relay: Relay,
                   *, wake_slack: Callable[[str], None],
                   retry_sync: Callable[[str], object],
                   features: Sequence[Callable[[AsyncApp], None]] = (),
                   identity: Identity = lambda: (None, None)) -> AsyncApp:
    """``features`` register their own listeners (templates, translation, team).
    Requests are authorized without calling Slack (bot/slack_authorize.py)."""
    with _bolt_env_hidden():
        # Without a secret (Socket Mode) nothing is verified over HTTP: bot.http does
        # not mount /slack/events then, so the placeholder is never checked.
        app = AsyncApp(client=without_token(client), signing_secret=signing_secret or "unset",
                       authorize=authorize_locally(client.token or "", identity),
                       process_before_response=True, request_verification_enabled=True)
    install_error_handler(app)  # a malformed signed payload is 400, not 500 + traceback

    @app.event("message")
    async def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        outcome = await relay.on_message(event, body.get("event_id"))
        log.debug("message %s: %s", event.get("ts"), outcome)

    @app.action("reply_retry")
    async def on_retry(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        answer = await relay.retry(int(action["value"]), body["user"]["id"])
        if answer != "ok":
            await _tell_from_action(relay, store, body, int(action["value"]), answer)

    @app.action("reply_edit_resend")
    async def on_edit_resend(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                             client: AsyncWebClient) -> None:
        await ack()
        msg = await store.replies.get(int(action["value"]))
        conv = await store.conversations.get(msg.conversation_id) if msg else None
        if conv is not None and not relay.may_reply(body["user"]["id"], conv.store_key):
            await relay.tell(conv, body["user"]["id"], NOT_AGENT)  # never show the text
            return
        if msg is None or msg.state != "failed":
            await _tell_from_action(relay, store, body, int(action["value"]),
                              "Nothing to resend: the reply is no longer failed.")
            return
        await client.views_open(trigger_id=body["trigger_id"], view=_edit_view(msg.id, msg.text))

    @app.view("edit_resend")
    async def on_edit_submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = view["state"]["values"]["text"]["value"]["value"] or ""
        if not text.strip():
            await ack(response_action="errors", errors={"text": "Write the reply to send."})
            return
        answer = await relay.retry(int(view["private_metadata"]), body["user"]["id"], text=text)
        if answer != "ok":
            await ack(response_action="errors", errors={"text": answer})
            return
        await ack()

    @app.action("conversation_close")
    @app.action("conversation_reopen")
    async def on_status(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        status = "closed" if action["action_id"] == "conversation_close" else "open"
        was = await store.conversations.get(int(action["value"]))
        if was is None:
            return
        if not relay.may_reply(body["user"]["id"], was.store_key):
            await relay.tell(was, body["user"]["id"], NOT_AGENT)
            return
        conv = await store.conversations.set_status(was.id, status, actor=body["user"]["id"])
        if conv:
            wake_slack(conv.channel_ref)

    @app.action("store_retry_sync")
    async def on_retry_sync(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                            respond: AsyncRespond) -> None:
        await ack()
        key, user = str(action.get("value") or ""), body["user"]["id"]
        if not relay.access.may_act(user, key):
            await respond(text=NOT_AGENT, response_type="ephemeral", replace_original=False)
            return
        left = await store.leases.cooldown(f"retry_sync:{key}", RETRY_SYNC_EVERY)
        if left:
            await respond(text=f"A sync of this store started moments ago. Retry sync may run "
                               f"again in {math.ceil(left)} s.", response_type="ephemeral",
                          replace_original=False)
            return
        retry_sync(key)

    for register in features:
        register(app)

    return app


@contextlib.contextmanager
def _bolt_env_hidden() -> Iterator[None]:
    """AsyncApp falls back to $SLACK_BOT_TOKEN when given no token, then warns that
    the token is unused because a client was given. The client is what we use, so
    bolt must not see the variable while it is built (start-up, one thread)."""
    saved = os.environ.pop("SLACK_BOT_TOKEN", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["SLACK_BOT_TOKEN"] = saved


async def _tell_from_action(relay: Relay, store: Store, body: dict[str, Any], message_id: int,
                      text: str) -> None:
    msg = await store.replies.get(message_id)
    conv = await store.conversations.get(msg.conversation_id) if msg else None
    if conv:
        await relay.tell(conv, body["user"]["id"], text)


def _edit_view(message_id: int, text: str) -> dict[str, Any]:
    return {
        "type": "modal", "callback_id": "edit_resend", "private_metadata": str(message_id),
        "title": {"type": "plain_text", "text": "Edit & resend"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{
            "type": "input", "block_id": "text",
            "label": {"type": "plain_text", "text": "Reply to the buyer"},
            "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                        "initial_value": text[:3000]},
        }],
    }
