"""Buyer text can never ping or inject; agent markup becomes plain text."""

from __future__ import annotations

from bot.text_safety import escape_mrkdwn, escape_untrusted, slack_to_plain


def test_buyer_text_cannot_mention_or_link() -> None:
    evil = "<!channel> <@U123> <https://evil.example|click> @here @Channel & co"
    out = escape_untrusted(evil)
    assert "<" not in out and ">" not in out
    assert "&lt;!channel&gt;" in out and "&amp; co" in out
    assert "@here" not in out and "@Channel" not in out  # broken by a word joiner
    assert "here" in out


def test_mrkdwn_escape_neutralises_formatting() -> None:
    out = escape_mrkdwn("*bold* _it_ `code`")
    assert "*bold*" not in out and "_it_" not in out and "`code`" not in out


async def names(uid: str) -> str:
    return {"U1": "Mai Tran"}.get(uid, "someone")


async def test_agent_markup_becomes_plain() -> None:
    text = ("Hi <@U1>, see <https://shop.example/p/1|the product> and <https://x.example>. "
            "*Bold* _soft_ ~gone~ `code` in <#C1|general> &lt;3 &amp; :truck: <!here>")
    out = await slack_to_plain(text, names)
    assert out == ("Hi @Mai Tran, see the product (https://shop.example/p/1) and "
                   "https://x.example. Bold soft gone code in #general <3 & 🚚 @here")


async def test_code_block_and_quote() -> None:
    out = await slack_to_plain("&gt; quoted\n```line1\nline2```", names)
    assert out == "quoted\nline1\nline2"
