"""A translation correction belongs to the team that made it (issue 10): one team's
"Fix translation" no longer changes what another team reads; the fix is shown with
who made it, and only the store's team may make it."""

from __future__ import annotations

from pathlib import Path

from tests.harness import SHOP
from tests.test_translation_memory import conversation_of, shown, translating_bridge
from tests.test_translation_slack import SIZE

MY = "my-1"


async def test_a_teams_correction_is_its_own(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path, agents=2, two_teams=True) as (b, libre):
        mai, an = b.agents
        b.market.add_buyer(MY, "b-vy", "Vy Tran", "vi")
        b.market.add_buyer(MY, "b-ha", "Ha Do", "vi")
        await b.buyer_says(SIZE, shop=SHOP, buyer="b-linh")
        post = await shown(b, "b-linh", SIZE, "Is size M still available?")
        conv = await conversation_of(b, "b-linh")
        assert conv is not None

        # An (the other team) may not fix Mai's team's translation.
        await b.slack.user_clicks(an, conv.channel_id, post["ts"], "translation_fix")
        await b.wait(lambda: [e for e in b.slack.ephemerals(an) if "Only agents" in e["text"]])
        assert not b.slack.open_views(an)

        await b.slack.user_clicks(mai, conv.channel_id, post["ts"], "translation_fix")
        view = (await b.wait(lambda: b.slack.open_views(mai)))[0]
        await b.slack.user_submits_view(mai, view["id"],
                                        {"translation": {"value": "Do you still have size M?"}})
        await shown(b, "b-linh", SIZE, "Do you still have size M? · ✏️ corrected by Mai")

        # The other team's buyer writes the same words: the machine's translation.
        await b.buyer_says(SIZE, shop=MY, buyer="b-vy")
        theirs = await shown(b, "b-vy", SIZE, "Is size M still available?")
        assert "corrected" not in str(theirs["blocks"])
        # Mai's team, another buyer: the team's correction, with who made it.
        await b.buyer_says(SIZE, shop=SHOP, buyer="b-minh")
        await shown(b, "b-minh", SIZE, "Do you still have size M? · ✏️ corrected by Mai")

        # An corrects it for their team; Mai's team keeps its own.
        conv_my = await conversation_of(b, "b-vy")
        assert conv_my is not None
        await b.slack.user_clicks(an, conv_my.channel_id, theirs["ts"], "translation_fix")
        view = (await b.wait(lambda: b.slack.open_views(an)))[0]
        await b.slack.user_submits_view(an, view["id"],
                                        {"translation": {"value": "Size M left?"}})
        await b.buyer_says(SIZE, shop=MY, buyer="b-ha")
        await shown(b, "b-ha", SIZE, "Size M left? · ✏️ corrected by An")
        await b.buyer_says(SIZE, shop=SHOP, buyer="b-hoa")
        await shown(b, "b-hoa", SIZE, "Do you still have size M?")
        assert libre.calls[SIZE] == 1  # one machine translation, shared


async def test_translate_my_replies_is_for_the_stores_team(tmp_path: Path) -> None:
    async with translating_bridge(tmp_path, agents=2, two_teams=True) as (b, _):
        mai, an = b.agents
        await b.buyer_says(SIZE, shop=SHOP, buyer="b-linh")
        await shown(b, "b-linh", SIZE, "Is size M still available?")
        conv = await conversation_of(b, "b-linh")
        assert conv is not None
        for user in (an, b.outsider):
            await b.slack.user_clicks(user, conv.channel_id, conv.thread_ts, "translate_toggle")
            await b.wait(lambda u=user: [e for e in b.slack.ephemerals(u)
                                         if "Only agents" in e["text"]])
        assert not (await b.store.conversations.get(conv.id)).translate_replies
        for user, on in ((mai, True), (b.manager, False), (b.admin, True)):
            await b.slack.user_clicks(user, conv.channel_id, conv.thread_ts, "translate_toggle")
            await b.until(lambda: b.store.conversations.get(conv.id),
                          lambda c, on=on: bool(c.translate_replies) is on)
