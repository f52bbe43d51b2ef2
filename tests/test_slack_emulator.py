"""The Slack emulator, driven over HTTP by the real slack_sdk client and a signed receiver."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.slack_standin.slack_api import DEFAULT_SCOPES, SlackEmulator

TS = re.compile(r"^\d{10}\.\d{6}$")
BUTTONS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Order #42"}},
    {"type": "actions", "block_id": "order_actions", "elements": [
        {"type": "button", "action_id": "refund", "value": "order-42",
         "text": {"type": "plain_text", "text": "Refund"}, "style": "danger"},
    ]},
]
MODAL = {
    "type": "modal", "callback_id": "reply_modal", "private_metadata": "conv-7",
    "title": {"type": "plain_text", "text": "Reply to buyer"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [{"type": "input", "block_id": "reply", "label": {"type": "plain_text", "text": "R"},
                "element": {"type": "plain_text_input", "action_id": "reply_text"}}],
}


class Receiver:
    """A tiny app endpoint that verifies Slack signatures and records what arrives."""

    def __init__(self, secret: str) -> None:
        self.verifier = SignatureVerifier(secret)
        self.requests: list[dict[str, Any]] = []
        self.answer: Callable[[dict[str, Any]], web.Response] = lambda req: web.Response()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        if not self.verifier.is_valid_request(body, dict(request.headers)):
            return web.Response(status=401)
        record = {"headers": dict(request.headers), "body": body,
                  "content_type": request.content_type}
        if request.content_type == "application/json":
            record["json"] = json.loads(body)
        else:
            form = {k: v[0] for k, v in parse_qs(body).items()}
            record["form"] = form
            if "payload" in form:
                record["json"] = json.loads(form["payload"])
        self.requests.append(record)
        return self.answer(record)

    def events(self) -> list[dict[str, Any]]:
        return [r["json"]["event"] for r in self.requests if r.get("json", {}).get("event")]


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=emu.api_url, retry_handlers=[])


@pytest.fixture
def world(emu: SlackEmulator) -> dict[str, str]:
    ids = {"general": emu.add_channel("general", bot_member=True),
           "ops": emu.add_channel("ops", bot_member=True),
           "secret": emu.add_channel("secret", private=True),
           "alice": emu.add_user("alice", real_name="Alice Tan")}
    emu.join(ids["general"], ids["alice"])
    return ids


@pytest.fixture
async def app(emu: SlackEmulator) -> AsyncIterator[Receiver]:
    receiver = Receiver(emu.signing_secret)
    web_app = web.Application()
    web_app.router.add_post("/slack/events", receiver.handle)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{site.port}/slack/events"
    emu.configure_app(receiver.url)
    yield receiver
    await emu.settle()
    await runner.cleanup()


async def api_error(coro: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await coro
    return info.value


# -- Web API -------------------------------------------------------------------------------
async def test_token_checks_and_auth_test(emu: SlackEmulator) -> None:
    anonymous = AsyncWebClient(base_url=emu.api_url)
    assert (await api_error(anonymous.auth_test())).response["error"] == "not_authed"
    wrong = AsyncWebClient(token="xoxb-nope", base_url=emu.api_url)
    assert (await api_error(wrong.auth_test())).response["error"] == "invalid_auth"
    ok = await AsyncWebClient(token="xoxb-test", base_url=emu.api_url).auth_test()
    assert (ok["user_id"], ok["bot_id"], ok["team_id"]) == ("UBOT", "BBOT", "T0SANDBOX")
    assert ok.headers["x-oauth-scopes"] == ",".join(DEFAULT_SCOPES)
    unknown = await api_error(AsyncWebClient(token="xoxb-test", base_url=emu.api_url)
                              .api_call("chat.frobnicate"))
    assert unknown.response.status_code == 404
    assert unknown.response["error"] == "unknown_method"


async def test_token_placement_follows_slack(emu: SlackEmulator) -> None:
    """Header or form field: accepted.  JSON body field or query string: ignored."""
    url = emu.api_url + "auth.test"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data={"token": "xoxb-test"}) as res:
            assert (await res.json())["ok"]
        async with session.post(url, json={"token": "xoxb-test"}) as res:
            assert (await res.json())["error"] == "not_authed"
        async with session.get(url, params={"token": "xoxb-test"}) as res:
            assert (await res.json())["error"] == "not_authed"


async def test_post_message_shape_and_monotonic_ts(emu, client, world) -> None:
    stamps = []
    for i in range(4):
        res = await client.chat_postMessage(channel=world["general"], text=f"hello {i}",
                                            metadata={"event_type": "buyer_chat",
                                                      "event_payload": {"n": i}})
        stamps.append(res["ts"])
        msg = res["message"]
        assert (msg["user"], msg["bot_id"], msg["app_id"]) == ("UBOT", "BBOT", "A0SANDBOX")
        assert "subtype" not in msg
    assert all(TS.match(ts) for ts in stamps)
    assert stamps == sorted(stamps, key=lambda t: tuple(map(int, t.split(".")))) \
        and len(set(stamps)) == 4
    history = await client.conversations_history(channel=world["general"], limit=3)
    assert [m["ts"] for m in history["messages"]] == stamps[::-1][:3]
    assert history["has_more"] and "metadata" not in history["messages"][0]
    rest = await client.conversations_history(
        channel=world["general"], cursor=history["response_metadata"]["next_cursor"],
        include_all_metadata=True)
    assert [m["ts"] for m in rest["messages"]] == [stamps[0]]
    assert rest["messages"][0]["metadata"]["event_payload"] == {"n": 0}
    by_name = await client.chat_postMessage(channel="#ops", text="by name")
    assert by_name["channel"] == world["ops"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_post_message_errors(emu, client, world) -> None:
    cases = [
        ({"channel": "C404", "text": "x"}, "channel_not_found"),
        ({"channel": world["secret"], "text": "x"}, "channel_not_found"),
        ({"channel": world["ops"]}, "no_text"),
    ]
    for kwargs, error in cases:
        assert (await api_error(client.chat_postMessage(**kwargs))).response["error"] == error
    outside = emu.add_channel("outside")
    assert (await api_error(client.chat_postMessage(channel=outside, text="x"))
            ).response["error"] == "not_in_channel"
    emu.archive(world["ops"])
    assert (await api_error(client.chat_postMessage(channel=world["ops"], text="x"))
            ).response["error"] == "is_archived"


async def test_form_encoded_body_with_json_string_blocks(emu, world) -> None:
    form = {"token": "xoxb-test", "channel": world["general"], "text": "fallback",
            "blocks": json.dumps(BUTTONS)}
    async with aiohttp.ClientSession() as session:
        async with session.post(emu.api_url + "chat.postMessage", data=form) as res:
            body = await res.json()
    assert body["ok"] and body["message"]["blocks"][1]["block_id"] == "order_actions"
    assert body["message"]["blocks"][0]["block_id"]  # Slack fills in missing block ids
    assert emu.calls[-1].params["blocks"][1]["elements"][0]["action_id"] == "refund"


async def test_threads_reply_count_and_replies(emu, client, world) -> None:
    parent = (await client.chat_postMessage(channel=world["general"], text="parent"))["ts"]
    await client.chat_postMessage(channel=world["general"], text="r1", thread_ts=parent)
    user_reply = await emu.user_posts(world["alice"], world["general"], "r2", thread_ts=parent)
    stored = emu.message(world["general"], parent)
    assert stored["reply_count"] == 2 and stored["latest_reply"] == user_reply
    assert stored["reply_users"] == ["UBOT", world["alice"]]
    assert [m["ts"] for m in emu.messages(world["general"])] == [parent]
    thread = await client.conversations_replies(channel=world["general"], ts=parent)
    assert [m["ts"] for m in thread["messages"]][0] == parent and len(thread["messages"]) == 3
    assert all(m["thread_ts"] == parent for m in thread["messages"])
    assert thread["messages"][2]["parent_user_id"] == "UBOT"
    missing = await api_error(client.conversations_replies(channel=world["general"],
                                                           ts="1.000001"))
    assert missing.response["error"] == "thread_not_found"


async def test_update_delete_ephemeral_permalink(emu, client, world) -> None:
    ts = (await client.chat_postMessage(channel=world["general"], text="v1"))["ts"]
    updated = await client.chat_update(channel=world["general"], ts=ts, text="v2")
    assert updated["message"]["text"] == "v2" == emu.message(world["general"], ts)["text"]
    human = await emu.user_posts(world["alice"], world["general"], "mine")
    for call in (client.chat_update(channel=world["general"], ts=human, text="x"),
                 client.chat_update(channel=world["general"], ts="1.000001", text="x")):
        assert (await api_error(call)).response["error"] in {"cant_update_message",
                                                              "message_not_found"}
    link = await client.chat_getPermalink(channel=world["general"], message_ts=ts)
    assert link["permalink"].endswith(f"/archives/{world['general']}/p{ts.replace('.', '')}")
    eph = await client.chat_postEphemeral(channel=world["general"], user=world["alice"],
                                          text="only you")
    assert emu.ephemerals(world["alice"])[0]["ts"] == eph["message_ts"]
    assert all(m["text"] != "only you" for m in emu.messages(world["general"]))
    bob = emu.add_user("bob")
    assert (await api_error(client.chat_postEphemeral(channel=world["general"], user=bob,
                                                      text="x"))
            ).response["error"] == "user_not_in_channel"
    await client.chat_delete(channel=world["general"], ts=ts)
    assert emu.message(world["general"], ts) is None


async def test_reactions(emu, client, world) -> None:
    ts = (await client.chat_postMessage(channel=world["general"], text="react"))["ts"]
    await client.reactions_add(channel=world["general"], timestamp=ts, name="eyes")
    assert emu.reactions(world["general"], ts) == {"eyes": ["UBOT"]}
    for name, error in (("eyes", "already_reacted"), (":eyes:", "invalid_name"),
                        ("not_an_emoji_xyz", "invalid_name")):
        again = await api_error(client.reactions_add(channel=world["general"], timestamp=ts,
                                                     name=name))
        assert again.response["error"] == error
    gone = await api_error(client.reactions_add(channel=world["general"], timestamp="1.000001",
                                                name="eyes"))
    assert gone.response["error"] == "message_not_found"
    await client.reactions_remove(channel=world["general"], timestamp=ts, name="eyes")
    assert emu.reactions(world["general"], ts) == {}
    none = await api_error(client.reactions_remove(channel=world["general"], timestamp=ts,
                                                   name="eyes"))
    assert none.response["error"] == "no_reaction"


async def test_rate_limit_per_channel(emu, client, world) -> None:
    for i in range(4):  # the burst
        await client.chat_postMessage(channel=world["general"], text=f"burst {i}")
    limited = await api_error(client.chat_postMessage(channel=world["general"], text="one more"))
    assert limited.response.status_code == 429
    assert limited.response["error"] == "ratelimited"
    assert int(limited.response.headers["Retry-After"]) >= 1
    assert (await client.chat_postMessage(channel=world["ops"], text="other channel"))["ok"]
    emu.rate_limits = False
    assert (await client.chat_postMessage(channel=world["general"], text="unlimited"))["ok"]


async def test_optional_chat_update_limit(emu, client, world) -> None:
    ts = (await client.chat_postMessage(channel=world["general"], text="v0"))["ts"]
    for i in range(3):
        await client.chat_update(channel=world["general"], ts=ts, text=f"v{i}")  # off by default
    emu.set_method_limit("chat.update", per_minute=50, burst=1)
    await client.chat_update(channel=world["general"], ts=ts, text="tier 3")
    limited = await api_error(client.chat_update(channel=world["general"], ts=ts, text="again"))
    assert limited.response.status_code == 429


async def test_outage_and_recovery_keep_state(emu, client, world) -> None:
    ts = (await client.chat_postMessage(channel=world["general"], text="before"))["ts"]
    url = emu.api_url
    await emu.go_down()
    with pytest.raises(aiohttp.ClientConnectorError):
        await client.chat_postMessage(channel=world["general"], text="during")
    await emu.come_back()
    assert emu.api_url == url
    history = await client.conversations_history(channel=world["general"])
    assert [m["ts"] for m in history["messages"]] == [ts]


async def test_latency_trips_client_timeouts(emu, world) -> None:
    emu.set_latency(0.3)
    impatient = AsyncWebClient(token="xoxb-test", base_url=emu.api_url, timeout=0.05,
                               retry_handlers=[])
    with pytest.raises(TimeoutError):
        await impatient.auth_test()
    emu.set_latency(0)
    assert (await impatient.auth_test())["ok"]


async def test_answer_late_takes_effect_before_answering(emu, world) -> None:
    """What a crash after Slack's answer looks like: the post exists, the client
    never heard. Only the matching call (method, channel prefix) is held."""
    impatient = AsyncWebClient(token="xoxb-test", base_url=emu.api_url, timeout=0.2,
                               retry_handlers=[])
    emu.answer_late("chat.postMessage", 2.0, channel=world["ops"])
    assert (await impatient.chat_postMessage(channel=world["general"], text="now"))["ok"]
    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel=world["ops"], text="late")
    assert [m["text"] for m in emu.messages(world["ops"])] == ["late"]
    assert (await impatient.chat_postMessage(channel=world["ops"], text="again"))["ok"]


async def test_fail_next(emu, client, world) -> None:
    emu.fail_next("chat.postMessage", count=2)
    for _ in range(2):
        failed = await api_error(client.chat_postMessage(channel=world["general"], text="x"))
        assert failed.response.status_code == 200
        assert failed.response["error"] == "internal_error"
    emu.fail_next("chat.postMessage", status=429, retry_after=7)
    limited = await api_error(client.chat_postMessage(channel=world["general"], text="x"))
    assert (limited.response.status_code, limited.response.headers["Retry-After"]) == (429, "7")
    emu.fail_next("conversations.history", status=503)
    down = await api_error(client.conversations_history(channel=world["general"]))
    assert down.response.status_code == 503
    assert (await client.chat_postMessage(channel=world["general"], text="fine"))["ok"]


async def test_customize_scope_honoured_or_ignored() -> None:
    for scopes, customized in ((DEFAULT_SCOPES, True),
                               (tuple(s for s in DEFAULT_SCOPES if s != "chat:write.customize"),
                                False)):
        async with SlackEmulator(scopes=scopes) as emulator:
            channel = emulator.add_channel("general", bot_member=True)
            client = AsyncWebClient(token="xoxb-test", base_url=emulator.api_url)
            msg = (await client.chat_postMessage(channel=channel, text="hi", username="Shopee",
                                                 icon_emoji=":shopping_bags:"))["message"]
            assert (msg.get("username") == "Shopee") is customized
            assert (msg.get("subtype") == "bot_message") is customized
            assert msg["bot_id"] == "BBOT"


async def test_dm_history_with_metadata_needs_im_history() -> None:
    """Like Slack: a DM's history is read with im:history (the bot's own posts there,
    metadata included when asked for); without that scope, missing_scope."""
    for scopes, readable in ((DEFAULT_SCOPES, True),
                             (tuple(s for s in DEFAULT_SCOPES if s != "im:history"), False)):
        async with SlackEmulator(scopes=scopes) as emulator:
            alice = emulator.add_user("alice")
            client = AsyncWebClient(token="xoxb-test", base_url=emulator.api_url,
                                    retry_handlers=[])
            im = (await client.conversations_open(users=alice))["channel"]["id"]
            meta = {"event_type": "storebridge_post", "event_payload": {"op": 7}}
            ts = (await client.chat_postMessage(channel=im, text="hand-over", metadata=meta))["ts"]
            read = client.conversations_history(channel=im, include_all_metadata=True)
            if not readable:
                refused = await api_error(read)
                assert refused.response["error"] == "missing_scope"
                assert refused.response["needed"] == "im:history"
                continue
            messages = (await read)["messages"]
            assert [(m["ts"], m["text"], m["metadata"]) for m in messages] == \
                [(ts, "hand-over", meta)]
            plain = await client.conversations_history(channel=im)
            assert "metadata" not in plain["messages"][0]


async def test_conversations_join_info_list(emu, client, world) -> None:
    lobby = emu.add_channel("lobby")
    joined = await client.conversations_join(channel=lobby)
    assert joined["channel"]["is_member"] and "warning" not in joined
    again = await client.conversations_join(channel=lobby)
    assert again["warning"] == "already_in_channel"
    private = emu.add_channel("vip", private=True)
    refused = await api_error(client.conversations_join(channel=private))
    assert refused.response["error"] == "method_not_supported_for_channel_type"
    info = await client.conversations_info(channel=world["general"])
    assert info["channel"]["name"] == "general" and info["channel"]["is_member"]
    page = await client.conversations_list(types="public_channel,private_channel", limit=2)
    second = await client.conversations_list(types="public_channel,private_channel", limit=2,
                                             cursor=page["response_metadata"]["next_cursor"])
    names = [c["name"] for c in page["channels"] + second["channels"]]
    assert names == ["general", "ops", "lobby"]  # private channels the bot is not in stay hidden
    assert second["response_metadata"]["next_cursor"] == ""
    assert (await client.users_info(user=world["alice"]))["user"]["real_name"] == "Alice Tan"
    assert (await api_error(client.users_info(user="U404"))).response["error"] == "user_not_found"


# -- Slack toward the app ------------------------------------------------------------------
async def test_user_post_event_is_signed_and_redelivered(emu, client, world, app) -> None:
    ts = await emu.user_posts(world["alice"], world["general"], "Where is my order? <3")
    delivery = emu.deliveries[-1]
    assert delivery.status == 200 and delivery.event_id.startswith("Ev")
    envelope = app.requests[-1]["json"]
    event = envelope["event"]
    assert envelope["type"] == "event_callback" and envelope["team_id"] == "T0SANDBOX"
    assert envelope["authorizations"][0]["user_id"] == "UBOT"
    assert (event["type"], event["channel"], event["user"], event["ts"]) == \
        ("message", world["general"], world["alice"], ts)
    assert event["channel_type"] == "channel" and event["event_ts"] == ts
    assert event["text"] == "Where is my order? &lt;3" and event["client_msg_id"]
    assert event["blocks"][0]["type"] == "rich_text"
    again = await emu.redeliver(delivery.event_id)
    assert again.status == 200
    retry = app.requests[-1]
    assert retry["json"]["event_id"] == delivery.event_id and retry["body"] == delivery.body
    assert retry["headers"]["X-Slack-Retry-Num"] == "1"
    assert retry["headers"]["X-Slack-Retry-Reason"] == "http_timeout"


async def test_bot_messages_edits_and_deletes_reach_the_app(emu, client, world, app) -> None:
    posted = await client.chat_postMessage(channel=world["general"], text="bot says hi")
    await emu.wait_for(lambda: any(e.get("bot_id") == "BBOT" for e in app.events()))
    ts = await emu.user_posts(world["alice"], world["general"], "typo")
    await emu.user_edits(world["alice"], world["general"], ts, "fixed")
    await emu.user_deletes(world["alice"], world["general"], ts)
    await emu.settle()
    by_subtype = {e.get("subtype"): e for e in app.events()}
    changed, deleted = by_subtype["message_changed"], by_subtype["message_deleted"]
    assert changed["message"]["text"] == "fixed" and changed["previous_message"]["text"] == "typo"
    assert changed["message"]["edited"]["user"] == world["alice"] and changed["hidden"]
    assert deleted["deleted_ts"] == ts and deleted["previous_message"]["text"] == "fixed"
    quiet = emu.add_channel("quiet")  # the bot is not a member: Slack sends nothing
    emu.join(quiet, world["alice"])
    await emu.user_posts(world["alice"], quiet, "hello?")
    assert emu.deliveries[-1].status is None and "not a member" in emu.deliveries[-1].error
    assert posted["ok"]


async def test_user_clicks_button_and_response_url(emu, client, world, app) -> None:
    posted = await client.chat_postMessage(channel=world["general"], text="Order", blocks=BUTTONS)
    ts = posted["ts"]
    with pytest.raises(ValueError):
        await emu.user_clicks(world["alice"], world["general"], ts, "no_such_button")
    delivery = await emu.user_clicks(world["alice"], world["general"], ts, "refund")
    assert delivery.ok
    request = app.requests[-1]
    assert request["content_type"] == "application/x-www-form-urlencoded"
    payload = request["json"]
    assert payload["type"] == "block_actions" and payload["user"]["id"] == world["alice"]
    assert payload["container"] == {"type": "message", "message_ts": ts,
                                    "channel_id": world["general"], "is_ephemeral": False}
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"], action["type"]) == \
        ("refund", "order_actions", "order-42", "button")
    assert payload["message"]["blocks"][1]["elements"][0]["action_id"] == "refund"
    assert payload["channel"]["id"] == world["general"] and payload["trigger_id"]
    async with aiohttp.ClientSession() as session:
        await session.post(payload["response_url"], json={"text": "Refund queued"})
        await session.post(payload["response_url"],
                           json={"replace_original": True, "text": "Refunded"})
    assert [r.payload["text"] for r in emu.responses] == ["Refund queued", "Refunded"]
    assert emu.ephemerals(world["alice"])[-1]["text"] == "Refund queued"
    assert emu.message(world["general"], ts)["text"] == "Refunded"
    # the trigger opens a modal once, within its lifetime
    opened = await client.views_open(trigger_id=payload["trigger_id"], view=MODAL)
    assert opened["view"]["callback_id"] == "reply_modal"
    reused = await api_error(client.views_open(trigger_id=payload["trigger_id"], view=MODAL))
    assert reused.response["error"] == "exchanged_trigger_id"
    invalid = await api_error(client.views_open(trigger_id="123.456.abc", view=MODAL))
    assert invalid.response["error"] == "invalid_trigger_id"


async def test_view_submission_errors_then_close(emu, client, world, app) -> None:
    ts = (await client.chat_postMessage(channel=world["general"], text="o", blocks=BUTTONS))["ts"]
    await emu.user_clicks(world["alice"], world["general"], ts, "refund")
    trigger = app.requests[-1]["json"]["trigger_id"]
    view_id = (await client.views_open(trigger_id=trigger, view=MODAL))["view"]["id"]
    app.answer = lambda req: web.json_response(
        {"response_action": "errors", "errors": {"reply": "Too short"}})
    rejected = await emu.user_submits_view(world["alice"], view_id, {"reply_text": "hi"})
    assert rejected.json["errors"] == {"reply": "Too short"}
    submitted = app.requests[-1]["json"]
    assert submitted["type"] == "view_submission"
    assert submitted["view"]["state"]["values"] == {
        "reply": {"reply_text": {"type": "plain_text_input", "value": "hi"}}}
    assert submitted["view"]["private_metadata"] == "conv-7"
    assert [v["id"] for v in emu.open_views(world["alice"])] == [view_id]
    app.answer = lambda req: web.Response()
    assert (await emu.user_submits_view(world["alice"], view_id, {"reply_text": "hello"})).ok
    assert emu.open_views(world["alice"]) == []
    with pytest.raises(ValueError):
        await emu.user_submits_view(world["alice"], view_id, {"reply_text": "again"})


async def test_trigger_expires(emu, client, world, app) -> None:
    emu.trigger_ttl = 0.0
    ts = (await client.chat_postMessage(channel=world["general"], text="o", blocks=BUTTONS))["ts"]
    await emu.user_clicks(world["alice"], world["general"], ts, "refund")
    expired = await api_error(client.views_open(trigger_id=app.requests[-1]["json"]["trigger_id"],
                                                view=MODAL))
    assert expired.response["error"] == "expired_trigger_id"


async def test_slash_command_form(emu, world, app) -> None:
    app.answer = lambda req: web.json_response({"text": "Linked!"})
    delivery = await emu.user_runs_command(world["alice"], world["general"], "/storebridge",
                                           "link shopee")
    form = app.requests[-1]["form"]
    assert delivery.ok and form["command"] == "/storebridge" and form["text"] == "link shopee"
    assert (form["user_id"], form["channel_id"], form["channel_name"]) == \
        (world["alice"], world["general"], "general")
    assert form["response_url"].startswith(emu.base_url) and form["trigger_id"]
    assert emu.ephemerals(world["alice"])[-1]["text"] == "Linked!"


async def test_wait_for_and_call_log(emu, client, world) -> None:
    seen = []
    emu.on_call = seen.append
    await client.chat_postMessage(channel=world["general"], text="logged")
    assert seen[-1].method == "chat.postMessage" and seen[-1].ok
    assert "chat.postMessage" in seen[-1].summary()
    assert await emu.wait_for(lambda: emu.calls_to("chat.postMessage"))
    with pytest.raises(TimeoutError, match="still false"):
        await emu.wait_for(lambda: False, timeout=0.05)


async def test_message_shortcut_and_external_options(emu, client, world, app) -> None:
    ts = await emu.user_posts(world["alice"], world["general"], "I want a refund")
    await emu.user_uses_message_shortcut(world["alice"], world["general"], ts, "open_case")
    shortcut = app.requests[-1]["json"]
    assert (shortcut["type"], shortcut["callback_id"], shortcut["message_ts"]) == \
        ("message_action", "open_case", ts)
    assert shortcut["message"]["text"] == "I want a refund" and shortcut["response_url"]
    picker = {**MODAL, "blocks": [{"type": "input", "block_id": "shop",
                                   "label": {"type": "plain_text", "text": "Shop"},
                                   "element": {"type": "external_select", "action_id": "shop"}}]}
    opened = await client.views_open(trigger_id=shortcut["trigger_id"], view=picker)
    view_id = opened["view"]["id"]
    app.answer = lambda req: web.json_response(
        {"options": [{"text": {"type": "plain_text", "text": "Shopee MY"}, "value": "shopee-my"}]})
    options = await emu.user_searches_options(world["alice"], view_id, "shop", "sho")
    suggestion = app.requests[-1]["json"]
    assert (suggestion["type"], suggestion["action_id"], suggestion["value"]) == \
        ("block_suggestion", "shop", "sho")
    assert options.json["options"][0]["value"] == "shopee-my"


async def test_user_acts_in_view_sends_its_state_and_a_trigger(emu, client, world, app) -> None:
    ts = (await client.chat_postMessage(channel=world["general"], text="o", blocks=BUTTONS))["ts"]
    await emu.user_clicks(world["alice"], world["general"], ts, "refund")
    tools = {"type": "actions", "block_id": "tools", "elements": [
        {"type": "static_select", "action_id": "tone", "options": [
            {"text": {"type": "plain_text", "text": "Warm"}, "value": "warm"}]},
        {"type": "button", "action_id": "preview", "value": "p1",
         "text": {"type": "plain_text", "text": "Preview"}}]}
    editor = {**MODAL, "blocks": [*MODAL["blocks"], tools]}
    view_id = (await client.views_open(trigger_id=app.requests[-1]["json"]["trigger_id"],
                                       view=editor))["view"]["id"]
    with pytest.raises(ValueError, match="no element 'nope'"):
        await emu.user_acts_in_view(world["alice"], view_id, "nope")
    with pytest.raises(ValueError, match="not open"):
        await emu.user_acts_in_view(world["alice"], "VNOTOPEN", "preview")
    delivery = await emu.user_acts_in_view(world["alice"], view_id, "preview",
                                           typed={"reply": "Hello"})
    assert delivery.ok and delivery.kind == "block_actions"
    request = app.requests[-1]
    assert request["content_type"] == "application/x-www-form-urlencoded"
    payload = request["json"]
    assert payload["type"] == "block_actions" and payload["user"]["id"] == world["alice"]
    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert "message" not in payload and "response_url" not in payload
    assert payload["view"]["id"] == view_id and payload["view"]["private_metadata"] == "conv-7"
    assert payload["view"]["state"]["values"] == {
        "reply": {"reply_text": {"type": "plain_text_input", "value": "Hello"}}}
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["type"], action["value"]) == \
        ("preview", "tools", "button", "p1")
    # The trigger lets the app push a modal on top.
    pushed = await client.views_push(trigger_id=payload["trigger_id"], view=MODAL)
    assert [v["id"] for v in emu.open_views(world["alice"])] == [view_id, pushed["view"]["id"]]
    await emu.user_acts_in_view(world["alice"], view_id, "tone", "warm")
    picked = app.requests[-1]["json"]
    assert picked["actions"][0]["selected_option"]["value"] == "warm"
    assert picked["view"]["state"]["values"] == {}
    with pytest.raises(ValueError, match="no single input"):
        await emu.user_acts_in_view(world["alice"], view_id, "tone", "warm", typed={"x": "y"})


async def test_user_acts_in_home_uses_the_published_view(emu, client, world, app) -> None:
    with pytest.raises(ValueError, match="no Home tab"):
        await emu.user_acts_in_home(world["alice"], "filter")
    home = {"type": "home", "private_metadata": "page=1", "blocks": [
        {"type": "actions", "block_id": "filters", "elements": [
            {"type": "static_select", "action_id": "filter", "options": [
                {"text": {"type": "plain_text", "text": "Mine"}, "value": "mine"}]},
            {"type": "button", "action_id": "clear", "value": "all",
             "text": {"type": "plain_text", "text": "Clear"}}]}]}
    published = await client.views_publish(user_id=world["alice"], view=home)
    view_id = published["view"]["id"]
    with pytest.raises(ValueError, match="no element 'nope'"):
        await emu.user_acts_in_home(world["alice"], "nope")
    delivery = await emu.user_acts_in_home(world["alice"], "filter", "mine")
    assert delivery.ok
    payload = app.requests[-1]["json"]
    assert payload["type"] == "block_actions" and payload["user"]["id"] == world["alice"]
    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert payload["view"]["type"] == "home" and payload["view"]["private_metadata"] == "page=1"
    assert payload["view"]["state"] == {"values": {}} and payload["trigger_id"]
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["type"]) == \
        ("filter", "filters", "static_select")
    assert action["selected_option"]["value"] == "mine"
    await emu.user_acts_in_home(world["alice"], "clear")
    assert app.requests[-1]["json"]["actions"][0]["value"] == "all"
