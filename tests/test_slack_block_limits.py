"""The Slack stand-in refuses what the real Slack refuses in Block Kit: duplicate
block_ids in a message or view, duplicate action_ids in a block, too many blocks,
and texts over their limits, answering in Slack's error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.slack_standin.slack_api import SlackEmulator


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    return {**block, "block_id": block_id} if block_id else block


def button(action_id: str, text: str = "Go") -> dict[str, Any]:
    return {"type": "button", "action_id": action_id,
            "text": {"type": "plain_text", "text": text}}


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def client(emu: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=emu.api_url, retry_handlers=[])


@pytest.fixture
def world(emu: SlackEmulator) -> dict[str, str]:
    ids = {"ops": emu.add_channel("ops", bot_member=True), "alice": emu.add_user("alice")}
    emu.join(ids["ops"], ids["alice"])
    return ids


async def refused(coro: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as info:
        await coro
    return dict(info.value.response.data)


MESSAGE_CASES = [
    ("duplicate block_id", [section("a", "conv:1"), section("b", "conv:1")],
     "/blocks/1/block_id"),
    ("duplicate action_id in a block",
     [{"type": "actions", "elements": [button("go"), button("go")]}],
     "/blocks/0/elements/1/action_id"),
    ("51 blocks", [section(str(i)) for i in range(51)], "no more than 50 items"),
    ("section text 3001", [section("x" * 3001)], "must be less than 3001 characters "
                                                  "[json-pointer:/blocks/0/text/text]"),
    ("empty section text", [section("")], "/blocks/0/text/text"),
    ("header 151", [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
     "must be less than 151 characters"),
    ("header in mrkdwn", [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
     "/blocks/0/text/type"),
    ("button text 76", [{"type": "actions", "elements": [button("go", "b" * 76)]}],
     "must be less than 76 characters"),
    ("context text 3001", [{"type": "context", "elements": [
        {"type": "plain_text", "text": "c" * 3001}]}], "/blocks/0/elements/0/text"),
    ("11 context elements", [{"type": "context", "elements": [
        {"type": "mrkdwn", "text": "c"}] * 11}], "no more than 10 items"),
    ("block_id 256", [section("a", "b" * 256)], "/blocks/0/block_id"),
    ("option text 76", [{"type": "actions", "elements": [
        {"type": "static_select", "action_id": "s", "options": [
            {"text": {"type": "plain_text", "text": "o" * 76}, "value": "v"}]}]}],
     "/blocks/0/elements/0/options/0/text/text"),
]


@pytest.mark.parametrize(("case", "blocks", "needle"), MESSAGE_CASES,
                         ids=[c[0] for c in MESSAGE_CASES])
async def test_messages_breaking_a_block_kit_rule_are_refused(
        client, world, case: str, blocks: list[dict[str, Any]], needle: str) -> None:
    for call in (client.chat_postMessage(channel=world["ops"], text="t", blocks=blocks),
                 client.chat_postEphemeral(channel=world["ops"], user=world["alice"],
                                           text="t", blocks=blocks)):
        answer = await refused(call)
        assert answer["error"] == "invalid_blocks"
        messages = answer["response_metadata"]["messages"]
        assert all(m.startswith("[ERROR] ") for m in messages)
        assert any(needle in m for m in messages), messages
        assert answer["errors"] == [m.removeprefix("[ERROR] ") for m in messages]


async def test_updates_are_checked_too_and_the_same_ids_in_two_messages_are_fine(
        client, world) -> None:
    first = await client.chat_postMessage(channel=world["ops"], text="t",
                                          blocks=[section("a", "card")])
    await client.chat_postMessage(channel=world["ops"], text="t", blocks=[section("b", "card")])
    answer = await refused(client.chat_update(channel=world["ops"], ts=first["ts"], text="t",
                                              blocks=[section("a", "x"), section("b", "x")]))
    assert answer["error"] == "invalid_blocks"


async def test_the_same_action_id_in_two_blocks_is_allowed(client, world) -> None:
    """Slack's rule is per block ("unique among all other action_ids in the
    containing block"): two rows each with their own Open button are fine."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": str(i)},
               "accessory": button("open")} for i in range(2)]
    assert (await client.chat_postMessage(channel=world["ops"], text="t", blocks=blocks))["ok"]


async def test_views_answer_invalid_arguments_with_view_pointers(client, world) -> None:
    home = {"type": "home", "blocks": [section("mine", "conv:7"), section("waiting", "conv:7")]}
    answer = await refused(client.views_publish(user_id=world["alice"], view=home))
    assert answer["error"] == "invalid_arguments"
    assert any("[json-pointer:/view/blocks/1/block_id]" in m
               for m in answer["response_metadata"]["messages"])
    too_many = {"type": "home", "blocks": [section(str(i)) for i in range(101)]}
    answer = await refused(client.views_publish(user_id=world["alice"], view=too_many))
    assert "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]" in \
        answer["response_metadata"]["messages"]
    hundred = {"type": "home", "blocks": [section(str(i)) for i in range(100)]}
    assert (await client.views_publish(user_id=world["alice"], view=hundred))["ok"]


async def test_long_text_is_cut_at_40000_characters_not_refused(emu, client, world) -> None:
    posted = await client.chat_postMessage(channel=world["ops"], text="x" * 40_001)
    assert len(emu.message(world["ops"], posted["ts"])["text"]) == 40_000


async def test_option_lists_are_limited_each_on_its_own(client, world) -> None:
    def select(options: int, groups: int = 0) -> list[dict[str, Any]]:
        opts = [{"text": {"type": "plain_text", "text": str(i)}, "value": str(i)}
                for i in range(options)]
        element: dict[str, Any] = {"type": "static_select", "action_id": "s"}
        if groups:
            element["option_groups"] = [{"label": {"type": "plain_text", "text": str(g)},
                                         "options": opts} for g in range(groups)]
        else:
            element["options"] = opts
        return [{"type": "actions", "elements": [element]}]

    answer = await refused(client.chat_postMessage(channel=world["ops"], text="t",
                                                   blocks=select(101)))
    assert "[ERROR] no more than 100 items allowed [json-pointer:/blocks/0/elements/0/options]" \
        in answer["response_metadata"]["messages"]
    assert (await client.chat_postMessage(channel=world["ops"], text="t",
                                          blocks=select(100, groups=3)))["ok"]


def test_the_projects_own_rule_sees_an_action_id_in_two_blocks() -> None:
    from tests.block_ids import repeated_ids

    rows = [{"type": "section", "block_id": f"r{i}", "text": {"type": "mrkdwn", "text": "x"},
             "accessory": button("open")} for i in range(2)]
    assert repeated_ids(rows) == ["action_id open"]
    assert repeated_ids([section("a", "x"), section("b", "x")]) == ["block_id x"]


async def test_the_bot_keeps_slacks_words_on_a_refused_message(client, world) -> None:
    from bot.slack_errors import Fault, classify

    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel=world["ops"], text="t",
                                      blocks=[section("a", "x"), section("b", "x")])
    failure = classify(info.value)
    # Refused content is its own kind (the card goes out as plain text, bot/card_fallback.py).
    assert failure.kind is Fault.REJECTED and failure.error == "invalid_blocks"
    assert "[json-pointer:/blocks/1/block_id]" in failure.detail
