"""Socket Mode on the Slack emulator, driven by a real bolt app over real websockets.

The app is what production runs: ``AsyncApp`` + ``AsyncSocketModeHandler`` (slack_sdk's
aiohttp ``SocketModeClient``), its Web API client pointed at the emulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.slack_standin.slack_api import SlackEmulator

BOT_TOKEN, APP_TOKEN = "xoxb-test", "xapp-test"
BUTTONS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Order #42"}},
    {"type": "actions", "block_id": "order_actions", "elements": [
        {"type": "button", "action_id": "refund", "value": "order-42",
         "text": {"type": "plain_text", "text": "Refund"}},
    ]},
]
MODAL = {
    "type": "modal", "callback_id": "reply_modal",
    "title": {"type": "plain_text", "text": "Reply to buyer"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [{"type": "input", "block_id": "reply", "label": {"type": "plain_text", "text": "R"},
                "element": {"type": "plain_text_input", "action_id": "reply_text"}}],
}


@dataclass
class Bolt:
    """The app under test and what its listeners saw."""

    app: AsyncApp
    handler: AsyncSocketModeHandler
    client: AsyncWebClient
    messages: list[dict[str, Any]] = field(default_factory=list)
    clicks: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as emulator:
        emulator.configure_app(socket_mode=True)
        yield emulator


@pytest.fixture
def world(emu: SlackEmulator) -> dict[str, str]:
    ids = {"general": emu.add_channel("general", bot_member=True),
           "alice": emu.add_user("alice", real_name="Alice Tan")}
    emu.join(ids["general"], ids["alice"])
    return ids


def build_app(emu: SlackEmulator, *, own_web_client: bool = True) -> Bolt:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=emu.api_url)
    app = AsyncApp(client=client)  # no signing secret: Socket Mode messages are not signed
    # The SocketModeClient calls apps.connections.open with the handler's web_client,
    # by default app.client (already pointed at the emulator); the app token goes in
    # the Authorization header of that one call.
    web_client = AsyncWebClient(base_url=emu.api_url) if own_web_client else None
    handler = AsyncSocketModeHandler(app, APP_TOKEN, web_client=web_client)
    bolt = Bolt(app, handler, client)

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        bolt.messages.append(event)

    @app.action("refund")
    async def on_refund(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        bolt.clicks.append(body)
        await client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.view("reply_modal")
    async def on_submit(ack: AsyncAck, view: dict[str, Any]) -> None:
        text = view["state"]["values"]["reply"]["reply_text"]["value"]
        if text == "bad":
            await ack(response_action="errors", errors={"reply": "Too short"})
        else:
            await ack()

    @app.command("/storebridge")
    async def on_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(f"status for {command['user_id']}: {command['text']}")

    return bolt


@pytest.fixture
async def bolt(emu: SlackEmulator) -> AsyncIterator[Bolt]:
    app = build_app(emu)
    await app.handler.connect_async()
    await emu.wait_for(lambda: emu.socket_connections)
    yield app
    await emu.settle()
    await app.handler.close_async()


def sent(emu: SlackEmulator, kind: str) -> list[dict[str, Any]]:
    return [f.data for f in emu.socket_log if f.direction == "sent" and f.data.get("type") == kind]


async def test_connect_hello_and_message_event(emu, world, bolt) -> None:
    opened = emu.calls_to("apps.connections.open")
    assert [c.ok for c in opened] == [True]
    url = opened[0].response["url"]
    assert url.startswith(f"ws://127.0.0.1:{emu.port}/link/?ticket=")
    assert url.endswith("&app_id=A0SANDBOX")
    hello = sent(emu, "hello")[0]
    assert hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": "A0SANDBOX"}
    assert {"host", "build_number", "approximate_connection_time"} <= set(hello["debug_info"])

    ts = await emu.user_posts(world["alice"], world["general"], "is my order shipped?")
    delivery = emu.deliveries[-1]
    assert (delivery.ok, delivery.status, delivery.error) == (True, 200, None)
    assert delivery.url == emu.socket_connections[0].url
    assert [(m["ts"], m["text"]) for m in bolt.messages] == [(ts, "is my order shipped?")]

    envelope = emu.envelopes()[-1]
    assert envelope["type"] == "events_api"
    assert (envelope["accepts_response_payload"], envelope["retry_attempt"],
            envelope["retry_reason"]) == (False, 0, "")
    assert envelope["payload"]["type"] == "event_callback"
    assert envelope["payload"]["event_id"] == delivery.event_id
    acks = [f.data for f in emu.socket_log if f.direction == "received"]
    assert {"envelope_id": envelope["envelope_id"]} in acks


async def test_block_action_modal_and_command_are_acked(emu, world, bolt) -> None:
    posted = await bolt.client.chat_postMessage(channel=world["general"], text="Order #42",
                                                blocks=BUTTONS)
    click = await emu.user_clicks(world["alice"], world["general"], posted["ts"], "refund")
    assert (click.ok, click.json, click.text) == (True, None, "")
    assert bolt.clicks[0]["actions"][0]["value"] == "order-42"
    envelope = emu.envelopes()[-1]
    assert (envelope["type"], envelope["accepts_response_payload"]) == ("interactive", False)
    assert envelope["payload"]["type"] == "block_actions" and "retry_attempt" not in envelope

    view_id = (await emu.wait_for(lambda: emu.open_views(world["alice"])))[0]["id"]
    rejected = await emu.user_submits_view(world["alice"], view_id, {"reply_text": "bad"})
    assert rejected.json == {"response_action": "errors", "errors": {"reply": "Too short"}}
    assert emu.envelopes()[-1]["accepts_response_payload"] is True
    assert [v["id"] for v in emu.open_views(world["alice"])] == [view_id]
    accepted = await emu.user_submits_view(world["alice"], view_id, {"reply_text": "on its way"})
    assert accepted.ok and emu.open_views(world["alice"]) == []

    command = await emu.user_runs_command(world["alice"], world["general"], "/storebridge", "now")
    envelope = emu.envelopes()[-1]
    assert (envelope["type"], envelope["accepts_response_payload"]) == ("slash_commands", True)
    assert envelope["payload"]["command"] == "/storebridge"
    assert command.json == {"text": f"status for {world['alice']}: now"}
    assert emu.ephemerals(world["alice"])[-1]["text"] == f"status for {world['alice']}: now"
    await emu.settle()
    assert all(d.ok for d in emu.deliveries), [d.error for d in emu.deliveries]


async def test_app_level_token_rules(emu) -> None:
    web = AsyncWebClient(base_url=emu.api_url)
    for token, error in (("xoxb-test", "not_allowed_token_type"), ("xapp-nope", "invalid_auth")):
        with pytest.raises(SlackApiError) as info:
            await web.apps_connections_open(app_token=token)
        assert info.value.response["error"] == error
    with pytest.raises(SlackApiError) as info:
        await AsyncWebClient(token=APP_TOKEN, base_url=emu.api_url).auth_test()
    assert info.value.response["error"] == "not_allowed_token_type"
    assert (await web.apps_connections_open(app_token=APP_TOKEN))["ok"]
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as handshake:
            await session.ws_connect(f"ws://127.0.0.1:{emu.port}/link/?ticket=forged")
    assert handshake.value.status == 401


async def test_reconnects_after_disconnect(emu, world, bolt) -> None:
    first = emu.socket_connections[0].id
    assert await emu.disconnect_socket() == 1  # Slack's "refresh_requested", then close
    assert sent(emu, "disconnect")[0]["reason"] == "refresh_requested"
    await emu.wait_for(lambda: [c for c in emu.socket_connections if c.id != first])
    await emu.user_posts(world["alice"], world["general"], "still there?")
    assert emu.deliveries[-1].ok and bolt.messages[-1]["text"] == "still there?"

    second = emu.socket_connections[0].id
    assert await emu.disconnect_socket(reason=None) == 1  # dropped without notice
    await emu.wait_for(lambda: [c for c in emu.socket_connections if c.id != second])
    assert len(emu.calls_to("apps.connections.open")) == 3
    await emu.user_posts(world["alice"], world["general"], "hello again")
    assert emu.deliveries[-1].ok and bolt.messages[-1]["text"] == "hello again"


async def test_unacked_envelope_times_out_and_is_retried(emu, world, bolt) -> None:
    emu.delivery_timeout = 0.3
    emu.scopes = (*emu.scopes, "reactions:read")
    msg = await bolt.client.chat_postMessage(channel=world["general"], text="Order #42")
    await emu.settle()
    # No reaction_added listener: bolt answers 404 and sends no ack, so Slack would retry.
    missed = await emu.user_reacts(world["alice"], world["general"], msg["ts"], "eyes")
    assert (missed.status, missed.error) == (None, "timeout")
    retry = await emu.redeliver(missed.event_id or "")
    assert retry.error == "timeout"
    envelope = emu.envelopes()[-1]
    assert (envelope["retry_attempt"], envelope["retry_reason"]) == (1, "timeout")
    assert envelope["payload"]["event_id"] == missed.event_id

    await bolt.handler.close_async()
    await emu.wait_for(lambda: not emu.socket_connections)
    await emu.user_posts(world["alice"], world["general"], "anyone?")
    assert emu.deliveries[-1].error.startswith("no_socket_connection")


async def test_default_handler_construction(emu, world) -> None:
    """``AsyncSocketModeHandler(app, app_token)`` as bot/cli.py builds it: uses app.client."""
    bolt = build_app(emu, own_web_client=False)
    await bolt.handler.connect_async()
    try:
        await emu.wait_for(lambda: emu.socket_connections)
        await emu.user_posts(world["alice"], world["general"], "hi")
        assert emu.deliveries[-1].ok and [m["text"] for m in bolt.messages] == ["hi"]
    finally:
        await bolt.handler.close_async()
