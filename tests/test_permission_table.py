"""The README's permission table, row by row: for each action, everyone allowed
does it and everyone denied is refused privately, with nothing changed.

People (``two_teams=True``): Mai, member of the Shopee SG store's group "team";
Bo, its manager; Ada, admin; An, member of the other group (Lazada MY); Vic, the
visitor, in every channel but in no group. Every action is tried on the SG store.
Translation fixes are the translation tests' (tests/test_translation_scope.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.store import Conversation
from tests.harness import Bridge, running_bridge
from tests.test_authz import card, conversation, order
from tests.test_team_home_panel import open_home
from tests.test_templates_support import add_template

MEMBER, MANAGER, ADMIN, OTHER_TEAM, VISITOR = "member", "manager", "admin", "other", "visitor"
EVERYONE = (MEMBER, MANAGER, ADMIN, OTHER_TEAM, VISITOR)
STORE_TEAM = (MEMBER, MANAGER, ADMIN)


def who(b: Bridge, role: str) -> str:
    return {MEMBER: b.agent, MANAGER: b.manager, ADMIN: b.admin, OTHER_TEAM: b.agents[1],
            VISITOR: b.outsider}[role]


async def settled(b: Bridge, user: str, effect: Callable[[], Awaitable[bool]]) -> bool:
    """Wait for the action's effect, or for a private answer to the user (a refusal);
    True if it took effect. After a refusal, the effect is checked once more, late."""
    for _ in range(80):
        if await effect():
            return True
        if b.slack.ephemerals(user):
            await b.settle()
            return await effect()
        await asyncio.sleep(0.1)
    raise AssertionError(f"{user}: neither an effect nor a private answer")


Row = Callable[[Bridge, str, dict[str, Any]], Awaitable[bool]]


async def reply(b: Bridge, user: str, ctx: dict[str, Any]) -> bool:
    text = f"reply from {user}"
    await b.agent_replies(ctx["conv"], text, user=user)

    async def sent() -> bool:
        return text in b.sent_texts()
    return await settled(b, user, sent)


def clicking(action: str, effect: Callable[[Bridge, str, Conversation], Awaitable[bool]],
             prepare: Callable[[Bridge, Conversation], Awaitable[None]] | None = None) -> Row:
    async def row(b: Bridge, user: str, ctx: dict[str, Any]) -> bool:
        conv = ctx["conv"]
        if prepare:
            await prepare(b, conv)
        await b.slack.user_clicks(user, conv.channel_id, ctx.get("ts", conv.thread_ts), action)

        async def done() -> bool:
            return await effect(b, user, conv)
        return await settled(b, user, done)
    return row


async def assigned_to(b: Bridge, user: str, conv: Conversation) -> bool:
    return (await b.store.conversations.get(conv.id)).assignee == user


async def status_is(status: str, b: Bridge, conv: Conversation) -> bool:
    return (await b.store.conversations.get(conv.id)).status == status


async def view_open(b: Bridge, user: str, conv: Conversation) -> bool:
    return bool(b.slack.open_views(user))


async def set_status(b: Bridge, conv: Conversation, status: str) -> None:
    await b.store.conversations.set_status(conv.id, status)
    b.service.outbox.kick(conv.channel_ref)
    want = "conversation_close" if status == "open" else "conversation_reopen"
    await b.wait(lambda: want in card(b, conv))


async def failed_reply(b: Bridge, ctx: dict[str, Any], text: str) -> str:
    """Mai's reply ``text``, refused by the marketplace; the ts of its notice."""
    used = ctx.setdefault("notices", set())
    b.market.fail_next_send("blocked")
    await b.agent_replies(ctx["conv"], text)
    notice = await b.wait(lambda: next((m for m in b.replies(ctx["conv"]) if m["ts"] not in used
                                        and "reply_retry" in json.dumps(m["blocks"])), None))
    used.add(notice["ts"])
    return str(notice["ts"])


async def retry_row(b: Bridge, user: str, ctx: dict[str, Any]) -> bool:
    text = f"Parcel sent ({user})"
    ts = await failed_reply(b, ctx, text)
    await b.slack.user_clicks(user, ctx["conv"].channel_id, ts, "reply_retry")

    async def sent() -> bool:
        return text in b.sent_texts()
    return await settled(b, user, sent)


async def edit_resend_row(b: Bridge, user: str, ctx: dict[str, Any]) -> bool:
    text = f"Parcel sent ({user})"
    ts = await failed_reply(b, ctx, text)
    await b.slack.user_clicks(user, ctx["conv"].channel_id, ts, "reply_edit_resend")

    async def shown() -> bool:
        return any(text in json.dumps(v) for v in b.slack.open_views(user))
    return await settled(b, user, shown)


async def orders_row(b: Bridge, user: str, ctx: dict[str, Any]) -> bool:
    conv = ctx["conv"]
    await b.wait(lambda: "orders_open" in card(b, conv))
    await b.slack.user_clicks(user, conv.channel_id, conv.thread_ts, "orders_open")

    async def shown() -> bool:
        return any("Secret Mug" in json.dumps(v) for v in b.slack.open_views(user))
    return await settled(b, user, shown)


async def retry_sync_row(b: Bridge, user: str, ctx: dict[str, Any]) -> bool:
    if "banner" not in ctx:
        b.market.set_down(True)
        await b.service.repair("shopee:sg-1")
        channel = b.channels["cs-shopee-sg"]
        ctx["banner"] = await b.wait(lambda: next(
            (m for m in b.slack.messages(channel)
             if "store_retry_sync" in json.dumps(m.get("blocks"))), None))
        ctx["runs"] = runs = []
        real = b.service.repair

        async def counted(key: str, full: bool = False) -> int:
            runs.append(key)
            return await real(key, full)
        b.service.repair = counted  # type: ignore[method-assign]
    await b.store.database.run("DELETE FROM leases WHERE name LIKE 'retry_sync:%'")
    before = len(ctx["runs"])
    await b.slack.user_clicks(user, b.channels["cs-shopee-sg"], ctx["banner"]["ts"],
                              "store_retry_sync")

    async def ran() -> bool:
        return len(ctx["runs"]) > before
    return await settled(b, user, ran)


async def command_row(command: str, text: str, sees: str, b: Bridge, user: str,
                      ctx: dict[str, Any]) -> bool:
    """``sees``: what the answer shows when allowed ('' : a modal opens instead)."""
    b.slack.responses.clear()
    answer = await b.slack.user_runs_command(user, ctx["conv"].channel_id, command, text)
    if not sees:
        opened = bool(b.slack.open_views(user))
        assert opened or "Only managers" in answer.text
        return opened
    payload = json.dumps((await b.wait(lambda: [r for r in b.slack.responses
                                               if r.user_id == user]))[-1].payload)
    return sees in payload


async def home_row(b: Bridge, user: str, ctx: dict[str, Any]) -> bool:
    return ctx["conv"].ref in json.dumps(await open_home(b, user))


async def template_row(b: Bridge, user: str, ctx: dict[str, Any]) -> bool:
    conv = ctx["conv"]
    await b.slack.user_clicks(user, conv.channel_id, conv.thread_ts, "template_open")

    async def opened() -> bool:
        return bool(b.slack.open_views(user))
    return await settled(b, user, opened)


async def reopen_prepare(b: Bridge, conv: Conversation) -> None:
    await set_status(b, conv, "closed")


async def close_prepare(b: Bridge, conv: Conversation) -> None:
    await set_status(b, conv, "open")


async def reassign(b: Bridge, conv: Conversation) -> None:
    await b.store.team.assign(conv.id, None, actor=None, kind="released")


#: (action as the README names it, row, who may)
TABLE: list[tuple[str, Row, tuple[str, ...]]] = [
    ("Reply in the thread", reply, STORE_TEAM),
    ("Assign to me", clicking("assign_to_me", assigned_to, reassign), STORE_TEAM),
    ("Transfer", clicking("transfer_open", view_open), STORE_TEAM),
    ("Close", clicking("conversation_close",
                       lambda b, u, c: status_is("closed", b, c), close_prepare), STORE_TEAM),
    ("Reopen", clicking("conversation_reopen",
                        lambda b, u, c: status_is("open", b, c), reopen_prepare), STORE_TEAM),
    ("Retry a failed reply", retry_row, STORE_TEAM),
    ("Edit & resend", edit_resend_row, STORE_TEAM),
    ("Orders", orders_row, STORE_TEAM),
    ("Reply with template", template_row, STORE_TEAM),
    ("Retry sync", retry_sync_row, STORE_TEAM),
    ("/cs order", lambda b, u, c: command_row("/cs", "order SG-ORDER-1", "Secret Mug", b, u, c),
     STORE_TEAM),
    ("/cs stats", lambda b, u, c: command_row("/cs", "stats", "Kopi", b, u, c), STORE_TEAM),
    ("App Home", home_row, STORE_TEAM),
    ("Manage templates (/templates)",
     lambda b, u, c: command_row("/templates", "", "", b, u, c), (MANAGER, ADMIN)),
]


@pytest.mark.parametrize(("action", "row", "allowed"), TABLE, ids=[t[0] for t in TABLE])
async def test_permission_table(tmp_path: Path, action: str, row: Row,
                                allowed: tuple[str, ...]) -> None:
    async with running_bridge(tmp_path, agents=2, two_teams=True) as b:
        await order(b, "shopee:sg-1", "b-rachel", "SG-ORDER-1", "Secret Mug")
        await add_template(b, "Greetings", "Hello", "Hello {buyer_name}!")
        ctx: dict[str, Any] = {"conv": await conversation(b)}
        # The denied first: nothing they try may change what the allowed then see.
        for role in sorted(EVERYONE, key=lambda r: r in allowed):
            user = who(b, role)
            b.slack.ephemerals(user).clear()
            took = await row(b, user, ctx)
            outcome = "got through" if took else "was refused"
            assert took is (role in allowed), f"{action}: {role} {outcome}"
