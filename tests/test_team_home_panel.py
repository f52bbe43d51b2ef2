"""The App Home panel: counts, the three lists, links, the current conversation,
untrusted buyer names, and Slack's 100-block limit — published through the
emulator's ``views.publish`` after a signed ``app_home_opened``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.demo.slack_standin.slack_blocks import find_element
from bot.feature_api import Feature, Services
from bot.store.home import Row
from bot.team.home import HomePanel, listeners
from bot.team.home_render import ref_link, thread_url
from tests.harness import SHOP, Bridge, running_bridge

SG = "shopee:sg-1"
MY = "lazada:my-1"
TH = "shopee:th-1"


def home_feature(service: Services) -> Feature:
    """Test-only: the team feature wires the same ``listeners`` (with its cache)."""
    return Feature("home", slack=listeners(service, HomePanel.of(service)))


def bridge(tmp_path: Path) -> Any:
    return running_bridge(tmp_path, service_kwargs={"features": [home_feature]})


async def add_store_th(b: Bridge) -> None:
    await b.store.books.upsert_store(TH, platform="shopee", connector="sandbox", shop_id="th-1",
                               site="TH", name="Bangkok Gadgets", nickname=None,
                               channel_ref="#cs-shopee-th", group_name="team")


async def add_conversation(b: Bridge, ref: str, *, store: str = SG, buyer: str = "Buyer",
                     status: str = "open", unread: int = 0, waiting: float | None = None,
                     assignee: str | None = None, summary: str = "hello",
                     flags: tuple[str, ...] = (), thread_ts: str | None = None) -> int:
    """A conversation written straight into the database (as the team features would)."""
    now = time.time()
    new_id = await b.store.database.insert(
        "INSERT INTO conversations (store_key, platform_conversation_id, ref, buyer_id, "
        "buyer_name, channel_ref, channel_id, thread_ts, status, unread, last_summary, "
        "last_at, waiting_since, created_at, assignee, flags) "
        "VALUES (?, ?, ?, ?, ?, '#cs', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        store, f"pc-{ref}", ref, f"id-{ref}", buyer, "C0TEST" if thread_ts else None,
        thread_ts, status, unread, summary, now - 60, None if waiting is None else now - waiting,
        now - 3600, assignee, json.dumps(list(flags)))
    return int(new_id or 0)


async def open_home(b: Bridge, user: str) -> dict[str, Any]:
    """Open the Home tab and wait for the (re-)published view."""
    before = b.slack.workspace.home_views.get(user, {}).get("hash")
    delivery = await b.slack.user_opens_home(user)
    assert delivery.status == 200
    return await b.wait(lambda: (v := b.slack.workspace.home_views.get(user))
                        and v["hash"] != before and v)


async def act_in_home(b: Bridge, user: str, action_id: str, value: Any = None
                      ) -> dict[str, Any]:
    """Use an element of one's Home tab (the emulator's signed ``block_actions``)
    and wait for the re-published view."""
    ws = b.slack.workspace
    before = ws.home_views[user]["hash"]
    delivery = await b.slack.user_acts_in_home(user, action_id, value)
    assert delivery.status == 200
    return await b.wait(lambda: (v := ws.home_views[user])["hash"] != before and v)


def row_of(block: dict[str, Any]) -> str:
    """``conv:<id>`` of a row (its block_id is ``<list>:conv:<id>``), else ``""``."""
    _, found, conv = block.get("block_id", "").partition("conv:")
    return f"conv:{conv}" if found else ""


def section_rows(view: dict[str, Any], title: str) -> list[str]:
    """The rows (``conv:<id>``) under a list's title, in order."""
    out, inside = [], False
    for block in view["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        if block["type"] == "section" and text.startswith(f"*{title}*"):
            inside = True
        elif inside and block["type"] == "divider":
            break
        elif inside and row_of(block):
            out.append(row_of(block))
    return out


def texts(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


async def test_panel_from_real_buyer_messages(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        await b.buyer_says("Where is my parcel?")
        rachel = await b.thread()
        await b.buyer_says("Do you ship to Penang?", shop="my-1", buyer="b-aisyah")
        aisyah = await b.thread("my-1")
        await b.buyer_says("Is the mug dishwasher safe?", buyer="b-daniel")
        daniel = await b.until(lambda: b.store.conversations.by_ref("SP-SG-0003"),
                               lambda c: c.thread_ts)
        # The agent answers Rachel in her thread: she is no longer waiting, and her
        # conversation becomes the agent's current one.
        await b.agent_replies(rachel, "It left the warehouse today")
        await b.until(lambda: b.store.conversations.get(rachel.id),
                      lambda c: c.waiting_since is None)
        await b.store.database.run("UPDATE conversations SET assignee = ? WHERE id IN (?, ?)",
                             b.agent, rachel.id, aisyah.id)

        view = await open_home(b, b.agent)
        body = texts(view)
        # Counts per store and status.
        assert "*Open 3* · unread 2 · waiting 2 · unassigned 1 · closed 0" in body
        assert "Kopi &amp; Co. Homeware — 2 open, 1 unread, 1 waiting, 1 unassigned" in body
        assert "Men's Clothing Official (MY) — 1 open, 1 unread, 1 waiting" in body
        # Lists: mine (the one waiting first), unassigned, waiting longest (oldest first).
        assert section_rows(view, "My conversations") == [f"conv:{aisyah.id}",
                                                          f"conv:{rachel.id}"]
        assert section_rows(view, "Unassigned") == [f"conv:{daniel.id}"]
        assert section_rows(view, "Waiting longest") == [f"conv:{aisyah.id}",
                                                         f"conv:{daniel.id}"]
        # Aisyah is in two lists, yet every block_id is unique: Slack refuses a view
        # that repeats one (the emulator too, so a regression never publishes).
        ids = [blk["block_id"] for blk in view["blocks"]]
        assert len(ids) == len(set(ids))
        # Every row links to its thread: Slack's permalink, from auth.test's URL.
        domain = b.slack.workspace.team_domain
        for conv in (rachel, aisyah, daniel):
            link = (f"<https://{domain}.slack.com/archives/{conv.channel_id}/"
                    f"p{conv.thread_ts.replace('.', '')}|{conv.ref}>")
            assert link in body
        # The current conversation is pinned on top and marked wherever it appears.
        assert section_rows(view, "📌 Your current conversation") == [f"conv:{rachel.id}"]
        marked = [blk for blk in view["blocks"] if row_of(blk) == f"conv:{rachel.id}"]
        assert marked and all("👉" in blk["text"]["text"] and "your current conversation"
                              in blk["text"]["text"] for blk in marked)
        assert "👉" not in json.dumps([blk for blk in view["blocks"]
                                       if row_of(blk) == f"conv:{daniel.id}"])
        # The row shows the buyer, how long they wait, unread and owner.
        row = next(blk["text"]["text"] for blk in view["blocks"]
                   if row_of(blk) == f"conv:{aisyah.id}")
        assert "*Nurul Aisyah*" in row and "⏳ waiting" in row and "🔴 1 unread" in row
        assert "👤 Mai" in row and "> Do you ship to Penang?" in row


async def test_status_toggle_shows_the_agents_status(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        view = await open_home(b, b.agent)
        _, button = find_element(view["blocks"], "agent_status_toggle")
        assert button["value"] == "idle" and "🟢 online" in texts(view)
        await b.store.database.run("INSERT INTO agents (user_id, status) VALUES (?, 'idle')",
                                   b.agent)
        view = await open_home(b, b.agent)
        _, button = find_element(view["blocks"], "agent_status_toggle")
        assert button["value"] == "online" and button["text"]["text"] == "Go online"
        assert "🌙 idle" in texts(view)


async def test_buyer_names_and_messages_cannot_ping_link_or_format(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        b.market.add_buyer(SHOP, "b-evil", "<!channel> *Boss* <https://evil.example|pay>", "en")
        await b.buyer_says("@here <@U0ADMIN> _see_ <https://evil.example|refund>",
                           buyer="b-evil")
        await b.thread()
        body = texts(await open_home(b, b.agent))
        for bad in ("<!channel>", "<https://evil", "<@U0ADMIN>", "@here", "*Boss*", "_see_"):
            assert bad not in body, bad
        # Shown as the text it is (escaped, formatting characters made inert).
        assert "&lt;!channel&gt;" in body and "&lt;https://evil.example|pay&gt;" in body
        assert "∗Boss∗" in body and "ˍseeˍ" in body


async def test_long_lists_stay_within_the_100_block_limit(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        for i in range(1, 61):
            await add_conversation(b, f"SP-SG-{i:04d}", waiting=10_000 - i, unread=1,
                             assignee=b.agent if i % 2 else None, thread_ts=f"1700000000.{i:06d}")
        for i in range(1, 150):  # many stores: counts show the busiest, filters reach all
            await b.store.books.upsert_store(f"shopee:x{i}", platform="shopee", connector="sandbox",
                                       shop_id=f"x{i}", site="VN", name=f"Store {i}",
                                       nickname=None, channel_ref="#cs", group_name="team")
        view = await open_home(b, b.agent)  # the emulator rejects more than 100 blocks
        assert len(view["blocks"]) <= 100
        body = texts(view)
        assert "…and 20 more, narrow them with the filters above." in body  # mine: 30, 10 shown
        assert "…and 50 more, narrow them with the filters above." in body  # waiting: 60
        assert "…and 131 more stores" in body  # 151 stores, 20 shown
        assert len(section_rows(view, "Waiting longest")) == 10
        _, select = find_element(view["blocks"], "home_filter_store")
        groups = select["option_groups"]
        assert all(len(g["options"]) <= 100 for g in groups) and len(groups) <= 100
        assert sum(len(g["options"]) for g in groups) == 152  # "All stores" + 151


def test_links_fall_back_without_the_workspace_url() -> None:
    row = Row(1, "SP-SG-0001", SG, "Rachel", "b1", "C1", "1700000000.000100", "open", 0,
              None, None, None, None, [])
    acme = SimpleNamespace(workspace_url="https://acme.slack.com/", team_id=None)
    assert ref_link(acme, row) == \
        "<https://acme.slack.com/archives/C1/p1700000000000100|SP-SG-0001>"
    assert thread_url(SimpleNamespace(workspace_url=None, team_id="T1"), "C1", "1.2") == \
        "slack://channel?team=T1&id=C1"
    assert ref_link(SimpleNamespace(workspace_url=None, team_id=None), row) == "`SP-SG-0001`"
    no_thread = Row(**{**row.__dict__, "thread_ts": None})
    assert ref_link(acme, no_thread) == "`SP-SG-0001`"
