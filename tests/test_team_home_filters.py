"""Home panel filters: each one narrows every list and the counts; the choice is kept
per person across re-opens of the tab, and Clear resets it."""

from __future__ import annotations

from pathlib import Path

from bot.demo.slack_standin.slack_blocks import find_element
from bot.store.home import UNASSIGNED, HomeFilters
from tests.harness import Bridge
from tests.test_team_home_panel import (
    MY,
    TH,
    act_in_home,
    add_conversation,
    add_store_th,
    bridge,
    open_home,
    section_rows,
    texts,
)


async def seed(b: Bridge, colleague: str) -> dict[str, int]:
    await add_store_th(b)
    # The colleague has been online once (the assignee filter offers known agents).
    await b.store.database.run("INSERT INTO agents (user_id, status) VALUES (?, 'online')",
                               colleague)
    return {
        "sg_mine": await add_conversation(b, "SP-SG-0101", buyer="Rachel Tan", waiting=600,
                                    assignee=b.agent, summary="Where is my parcel?"),
        "sg_free": await add_conversation(b, "SP-SG-0102", buyer="Daniel Goh", waiting=1200,
                                    summary="Refund for the broken mug"),
        "sg_colleague": await add_conversation(b, "SP-SG-0103", buyer="Mei Ling", waiting=300,
                                         assignee=colleague, summary="Thanks!"),
        "my_free": await add_conversation(b, "LZ-MY-0104", store=MY, buyer="Nurul Aisyah",
                                    waiting=1800, summary="Ada saiz M?"),
        "th_mine": await add_conversation(b, "SP-TH-0105", store=TH, buyer="Somchai",
                                    waiting=900, assignee=b.agent, summary="ส่งวันไหน"),
        "sg_closed": await add_conversation(b, "SP-SG-0106", buyer="Rachel Tan", status="closed"),
    }


def counts(view: dict) -> str:
    """The text of the counts part (between the filters and the lists)."""
    dividers = [i for i, blk in enumerate(view["blocks"]) if blk["type"] == "divider"]
    return str(view["blocks"][dividers[0]:dividers[1]])


def ids(view: dict, title: str) -> set[str]:
    return set(section_rows(view, title))


def conv(*keys: str, c: dict[str, int]) -> set[str]:
    return {f"conv:{c[k]}" for k in keys}


async def test_each_filter_narrows_the_lists_and_counts(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        colleague = b.slack.add_user("lan", real_name="Lan Pham", display_name="Lan")
        c = await seed(b, colleague)
        view = await open_home(b, b.agent)
        assert ids(view, "Waiting longest") == conv("sg_mine", "sg_free", "sg_colleague",
                                                    "my_free", "th_mine", c=c)
        assert section_rows(view, "Waiting longest")[0] == f"conv:{c['my_free']}"
        assert "*Open 5*" in texts(view) and "closed 1" in texts(view)

        # Store: only that store, in every list and in the counts.
        view = await act_in_home(b, b.agent, "home_filter_store", TH)
        assert ids(view, "Waiting longest") == conv("th_mine", c=c)
        assert ids(view, "My conversations") == conv("th_mine", c=c)
        assert ids(view, "Unassigned") == set()
        assert "*Open 1*" in texts(view) and "Bangkok Gadgets" in texts(view)
        assert "Bangkok Gadgets" in counts(view) and "Kopi" not in counts(view)
        _, select = find_element(view["blocks"], "home_filter_store")
        assert select["initial_option"]["value"] == TH  # the choice stays visible

        # Site (with the store filter cleared): the two Shopee SG stores' site only.
        view = await act_in_home(b, b.agent, "home_filter_store", "*")
        view = await act_in_home(b, b.agent, "home_filter_site", "SG")
        assert ids(view, "Waiting longest") == conv("sg_mine", "sg_free", "sg_colleague", c=c)
        # Platform adds to the site: Shopee SG; then Lazada alone.
        view = await act_in_home(b, b.agent, "home_filter_site", "*")
        view = await act_in_home(b, b.agent, "home_filter_platform", "lazada")
        assert ids(view, "Waiting longest") == conv("my_free", c=c)
        assert ids(view, "Unassigned") == conv("my_free", c=c)
        assert ids(view, "My conversations") == set()
        view = await act_in_home(b, b.agent, "home_filter_platform", "*")

        # Assignee: a colleague — their list replaces "My conversations".
        view = await act_in_home(b, b.agent, "home_filter_assignee", colleague)
        assert ids(view, "Assigned to Lan") == conv("sg_colleague", c=c)
        assert ids(view, "Waiting longest") == conv("sg_colleague", c=c)
        assert "*Unassigned*" not in texts(view) and "*My conversations*" not in texts(view)
        view = await act_in_home(b, b.agent, "home_filter_assignee", UNASSIGNED)
        assert ids(view, "Unassigned") == conv("sg_free", "my_free", c=c)
        assert ids(view, "Waiting longest") == conv("sg_free", "my_free", c=c)
        assert "*My conversations*" not in texts(view)
        view = await act_in_home(b, b.agent, "home_filter_assignee", b.agent)
        assert ids(view, "My conversations") == conv("sg_mine", "th_mine", c=c)
        assert ids(view, "Waiting longest") == conv("sg_mine", "th_mine", c=c)


async def test_keyword_searches_buyer_name_reference_and_last_message(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        c = await seed(b, b.slack.add_user("lan"))
        await open_home(b, b.agent)
        for keyword, expected in (("rachel", {"sg_mine"}),          # buyer name, any case
                                  ("LZ-MY-0104", {"my_free"}),      # reference
                                  ("broken mug", {"sg_free"}),      # last message
                                  ("ส่ง", {"th_mine"}),             # not only ASCII
                                  ("_", set()), ("%", set())):      # LIKE wildcards are text
            view = await act_in_home(b, b.agent, "home_filter_keyword", keyword)
            shown = ids(view, "Waiting longest") | ids(view, "My conversations") \
                | ids(view, "Unassigned")
            assert shown == conv(*expected, c=c), keyword
            _, box = find_element(view["blocks"], "home_filter_keyword")
            assert box["initial_value"] == keyword
        assert "No buyer is waiting for an answer." in texts(view)


async def test_filters_are_kept_per_person_until_cleared(tmp_path: Path) -> None:
    async with bridge(tmp_path) as b:
        c = await seed(b, b.manager)
        await open_home(b, b.agent)
        await open_home(b, b.manager)
        await act_in_home(b, b.agent, "home_filter_platform", "lazada")
        # Re-opening the tab keeps the agent's filter (Slack sends the view back) …
        view = await open_home(b, b.agent)
        assert HomeFilters.from_json(view["private_metadata"]) == HomeFilters(platform="lazada")
        assert ids(view, "Waiting longest") == conv("my_free", c=c)
        # … and the other person's panel is not filtered.
        other = await open_home(b, b.manager)
        assert len(ids(other, "Waiting longest")) == 5
        # Clear resets everything, and only then disappears.
        view = await act_in_home(b, b.agent, "home_filter_clear")
        assert view["private_metadata"] == "{}"
        assert len(ids(view, "Waiting longest")) == 5
        assert find_element(view["blocks"], "home_filter_clear") is None


def test_unreadable_metadata_means_no_filter() -> None:
    assert HomeFilters.from_json("not json") == HomeFilters()
    assert HomeFilters.from_json('["x"]') == HomeFilters()
    assert HomeFilters.from_json('{"site": "VN", "evil": 1}') == HomeFilters(site="VN")
