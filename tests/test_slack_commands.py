"""The Slack stand-in sends slash-command text the way each command's
``should_escape`` says, and only for the app's own commands."""

from __future__ import annotations

import pytest

from bot.demo.slack_standin.slack_api import SlackEmulator
from bot.demo.slack_standin.slack_commands import SlashCommand, as_sent


def test_escaped_and_plain_text_for_people_channels_and_links() -> None:
    emu = SlackEmulator()
    ws = emu.workspace
    mai = emu.add_user("mai", real_name="Mai Tran", display_name="Mai")
    vic = emu.add_user("vic", real_name="Vic Visitor")
    ops = emu.add_channel("cs-ops")
    composed = f"to <@{mai}> and <@{vic}> in <#{ops}> see <https://x.example/a|a> @mai"
    assert as_sent(ws, composed, should_escape=False) == \
        "to @Mai and @Vic Visitor in #cs-ops see https://x.example/a @mai"
    assert as_sent(ws, "<!here> and <!subteam^S1|@night>", should_escape=False) == \
        "@here and @night"
    assert as_sent(ws, composed, should_escape=True) == \
        (f"to <@{mai}|mai> and <@{vic}|vic> in <#{ops}|cs-ops> see <https://x.example/a|a> "
         f"<@{mai}|mai>")


async def test_only_declared_commands_exist() -> None:
    async with SlackEmulator() as emu:
        alice = emu.add_user("alice")
        general = emu.add_channel("general", bot_member=True)
        emu.join(general, alice)
        emu.configure_app("http://127.0.0.1:9/slack/events",
                          slash_commands={"/cs": SlashCommand("/cs")})
        with pytest.raises(ValueError, match="not one of the app's slash commands"):
            await emu.user_runs_command(alice, general, "/unknown", "x")
