"""`/cs handover @member` with what Slack really sends: the manifest declares the
commands with ``should_escape: false``, so a picked colleague arrives as ``@An``
(the name shown), a typed one as ``@an`` or ``@Lan Pham``; the escaped form
``<@U…|an>`` (should_escape: true) still works."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs

from bot.demo.slack_standin.slack_commands import SlashCommand, commands_from_manifest
from bot.team import TeamFeature
from bot.team.member_lookup import REFRESH_AFTER, MemberDirectory
from tests.harness import MANIFEST, Bridge, running_bridge


async def handover(b: Bridge, user: str, text: str) -> tuple[str, str]:
    """What the app received as the command's text, and what it answered."""
    delivery = await b.slack.user_runs_command(user, b.channels["cs-shopee-sg"], "/cs", text)
    sent = parse_qs(delivery.body)["text"][0]
    answer = await b.wait(lambda: [r for r in b.slack.responses if r.user_id == user])
    b.slack.responses.clear()
    return sent, json.dumps(answer[-1].payload, ensure_ascii=False)


async def one_open_conversation(b: Bridge) -> int:
    await b.buyer_says("Where is my parcel?")
    conv = await b.thread()
    assert (await b.store.conversations.get(conv.id)).assignee == b.agent
    return conv.id


def test_the_manifest_declares_unescaped_commands() -> None:
    commands = commands_from_manifest(MANIFEST)
    assert set(commands) == {"/cs", "/reply", "/templates"}
    assert not any(c.should_escape for c in commands.values())


async def test_a_picked_colleague_arrives_as_a_plain_name_and_is_resolved(
        tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        conv = await one_open_conversation(b)
        sent, answer = await handover(b, mai, f"handover <@{an}>")
        assert sent == "handover @An"  # what Slack sends with should_escape: false
        assert "Handed 1 conversation(s) over" in answer
        assert (await b.store.conversations.get(conv)).assignee == an


async def test_typed_handles_and_full_names_with_spaces(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        lan = b.slack.add_user("lan", real_name="Lan Pham", display_name="Lan Pham")
        conv = await one_open_conversation(b)
        sent, answer = await handover(b, mai, "handover @an")
        assert sent == "handover @an" and "Handed 1 conversation(s) over" in answer
        assert (await b.store.conversations.get(conv)).assignee == an
        # Without the @: a group if there is one by that name, else a person.
        await b.store.team.assign(conv, mai, actor=None, kind="test")
        _, answer = await handover(b, mai, "handover An")
        assert "Handed 1 conversation(s) over" in answer
        assert (await b.store.conversations.get(conv)).assignee == an
        await b.store.team.assign(conv, mai, actor=None, kind="test")
        _, answer = await handover(b, mai, "handover nightshift")
        assert "There is no group called nightshift" in answer
        # A name with a space: the longest run of words that is somebody's name.
        await b.store.team.assign(conv, mai, actor=None, kind="test")
        _, answer = await handover(b, mai, "handover @Lan Pham")
        assert f"<@{lan}> is not on this store's team" in answer  # found, then refused


async def test_unknown_and_ambiguous_names_are_explained(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        mai, an = b.agents
        conv = await one_open_conversation(b)
        _, answer = await handover(b, mai, "handover @nobody")
        assert "Nobody in this workspace is called *@nobody*" in answer
        kim1 = b.slack.add_user("kim.le", real_name="Kim Le", display_name="Kim")
        kim2 = b.slack.add_user("kim.ng", real_name="Kim Ng", display_name="Kim")
        b.service.feature(TeamFeature).members._read_at = None  # as if a minute had passed
        _, answer = await handover(b, mai, "handover @Kim")
        assert f"<@{kim1}> (Kim)" in answer and f"<@{kim2}> (Kim)" in answer
        assert "pick the person from the @ list" in answer
        assert (await b.store.conversations.get(conv)).assignee == mai  # nothing moved
        # A name shared with someone outside the teams means the team member.
        b.slack.add_user("an.visitor", real_name="An Visitor", display_name="An")
        b.service.feature(TeamFeature).members._read_at = None
        _, answer = await handover(b, mai, "handover @An")
        assert "Handed 1 conversation(s) over" in answer
        assert (await b.store.conversations.get(conv)).assignee == an
        # Untrusted echo: what was typed cannot ping anyone.
        _, answer = await handover(b, mai, "handover @here <!channel>")
        assert "<!channel>" not in answer and "Nobody in this workspace" in answer


async def test_escaped_commands_still_work(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        b.slack.configure_app(b.slack.commands_url,
                              slash_commands={"/cs": SlashCommand("/cs", should_escape=True)})
        mai, an = b.agents
        await one_open_conversation(b)
        sent, answer = await handover(b, mai, f"handover <@{an}>")
        assert sent == f"handover <@{an}|an>"
        assert "Handed 1 conversation(s) over" in answer


async def test_a_new_colleague_is_found_once_the_directory_may_be_read_again(
        tmp_path: Path) -> None:
    async with running_bridge(tmp_path, agents=2) as b:
        now = [1000.0]
        directory = MemberDirectory(b.service.slack, clock=lambda: now[0])
        assert await directory.find("@An")
        reads = len(b.slack.calls_to("users.list"))
        hoa = b.slack.add_user("hoa", real_name="Hoa Do", display_name="Hoa")
        assert await directory.find("Hoa") == set()  # read a moment ago: not again
        assert len(b.slack.calls_to("users.list")) == reads
        now[0] += REFRESH_AFTER
        assert await directory.find("hoa do") == {hoa}
        assert await directory.find("@HOA") == {hoa}
