"""Sending a template: message shortcut, card button and `/reply`, all through signed
Slack payloads; the buyer gets the filled text and the thread shows the agent's copy."""

from __future__ import annotations

from pathlib import Path

from tests.harness import running_bridge
from tests.test_templates_support import (
    FEATURES,
    add_template,
    shown,
    started,
    templates,
    text_block,
)


async def test_shortcut_pick_preview_and_send(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        conv = await started(b)
        tid = await add_template(b, "Logistics", "Standard reply",
                           "Hi {buyer_name}, {store} ({site}) shipped it today. — {agent}")
        await add_template(b, "Refunds", "Approved", "Your refund is approved, {buyer_name}.")
        buyer_msg = b.replies(conv)[0]
        answer = await b.slack.user_uses_message_shortcut(
            b.agent, conv.channel_id, buyer_msg["ts"], "reply_with_template")
        assert answer.status == 200
        view = b.slack.open_views(b.agent)[0]
        assert "Rachel Tan" in shown(view) and conv.ref in shown(view)

        options = await b.slack.user_searches_options(b.agent, view["id"], "template_pick",
                                                      "shipped")
        groups = options.json["option_groups"]
        assert [g["label"]["text"] for g in groups] == ["Logistics"]
        assert groups[0]["options"] == [{"text": {"type": "plain_text",
                                                  "text": "Standard reply", "emoji": True},
                                         "value": str(tid)}]
        await b.slack.user_acts_in_view(b.agent, view["id"], "template_pick",
                                        groups[0]["options"][0])
        filled = "Hi Rachel Tan, Kopi & Co. Homeware (SG) shipped it today. — Mai"
        view = await b.wait(lambda: next((v for v in b.slack.open_views(b.agent)
                                          if "initial_value" in text_block(v)["element"]), None))
        assert text_block(view)["element"]["initial_value"] == filled
        assert filled in shown(view)  # the preview
        assert "No value" not in shown(view) and "Back-translation" not in shown(view)

        done = await b.slack.user_submits_view(b.agent, view["id"], {"value": filled})
        assert done.status == 200 and not b.slack.open_views(b.agent)
        await b.wait(lambda: b.sent_texts() == [filled] or None)
        copy = await b.wait(lambda: next((m for m in b.replies(conv)
                                          if "template reply" in str(m.get("blocks"))), None))
        await b.wait(lambda: "white_check_mark" in b.reactions(conv, copy["ts"]))
        t = await templates(b).get(tid)
        assert t.usage_count == 1 and t.last_used_at is not None
        row = await b.store.conversations.message_by_ts(conv.channel_id, copy["ts"])
        assert (row.source, row.template_id, row.author) == ("template", tid, b.agent)
        assert await b.store.books.current(b.agent) == conv.id


async def test_card_button_opens_the_modal(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        conv = await started(b)
        tid = await add_template(b, "Greetings", "Hello", "Hello {buyer_name}!")
        await b.slack.user_clicks(b.agent, conv.channel_id, conv.thread_ts, "template_open")
        view = b.slack.open_views(b.agent)[0]
        await b.slack.user_acts_in_view(b.agent, view["id"], "template_pick", str(tid))
        view = await b.wait(lambda: next((v for v in b.slack.open_views(b.agent)
                                          if "initial_value" in text_block(v)["element"]), None))
        await b.slack.user_submits_view(b.agent, view["id"], {"value": "Hello Rachel Tan!"})
        await b.wait(lambda: b.sent_texts() == ["Hello Rachel Tan!"] or None)
        assert await b.store.books.current(b.agent) == conv.id
        # The shortcut works on the card (the thread's root) too.
        await b.slack.user_uses_message_shortcut(b.agent, conv.channel_id, conv.thread_ts,
                                                 "reply_with_template")
        assert "Rachel Tan" in shown(b.slack.open_views(b.agent)[0])


async def test_reply_command_with_and_without_reference(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        sg = await started(b)
        my = await started(b, shop="my-1", buyer="b-aisyah", text="Bila sampai?")
        await add_template(b, "Logistics", "Standard reply", "Hi {buyer_name}, it is on its way.")
        ops = b.channels["cs-ops"]

        # No current conversation yet: told how to name one.
        first = await b.slack.user_runs_command(b.agent, ops, "/reply", "standard reply")
        assert "no current conversation" in first.text
        assert not b.slack.open_views(b.agent)

        # With a reference (any case), from another channel.
        await b.slack.user_runs_command(b.agent, ops, "/reply",
                                        f"standard reply {sg.ref.lower()}")
        view = b.slack.open_views(b.agent)[0]
        assert text_block(view)["element"]["initial_value"] == "Hi Rachel Tan, it is on its way."
        await b.slack.user_submits_view(b.agent, view["id"],
                                        {"value": "Hi Rachel Tan, it is on its way."})
        await b.wait(lambda: b.sent_texts("sg-1") or None)

        # Acting in the MY thread makes it current; `/reply` alone then targets it.
        await b.agent_replies(my, "Sekejap ya")
        await b.until(lambda: b.store.books.current(b.agent), lambda c: c == my.id)
        await b.slack.user_runs_command(b.agent, ops, "/reply", "Logistics/Standard reply")
        view = b.slack.open_views(b.agent)[0]
        assert "Nurul Aisyah" in shown(view)
        assert text_block(view)["element"]["initial_value"] == "Hi Nurul Aisyah, it is on its way."


async def test_reply_command_clear_answers(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        conv = await started(b)
        await add_template(b, "Logistics", "Standard reply", "Hi {buyer_name}.")
        await add_template(b, "Logistics", "Delayed", "Sorry {buyer_name}, it is late.")
        ops = b.channels["cs-ops"]
        unknown = await b.slack.user_runs_command(b.agent, ops, "/reply", "hello SP-SG-9999")
        assert "There is no conversation SP-SG-9999" in unknown.text
        nothing = await b.slack.user_runs_command(b.agent, ops, "/reply", f"poem {conv.ref}")
        assert "No template matches “poem”" in nothing.text
        assert not b.slack.open_views(b.agent)
        # Several matches: the picker opens with a hint; no template is chosen for them.
        await b.slack.user_runs_command(b.agent, ops, "/reply", f"logistics {conv.ref}")
        view = b.slack.open_views(b.agent)[0]
        assert "2 templates match “logistics”: pick one." in shown(view)
        refused = await b.slack.user_submits_view(b.agent, view["id"], {"value": "typed"})
        assert refused.json["response_action"] == "errors"
        assert "Pick a template first" in str(refused.json["errors"])


async def test_missing_placeholder_is_flagged_and_send_refused(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        conv = await started(b)
        await add_template(b, "Logistics", "Tracking",
                           "Your parcel {tracking_no} left, {buyer_name}.")
        await b.slack.user_runs_command(b.agent, conv.channel_id, "/reply", f"tracking {conv.ref}")
        view = b.slack.open_views(b.agent)[0]
        text = text_block(view)["element"]["initial_value"]
        assert text == "Your parcel {tracking_no} left, Rachel Tan."
        assert "No value for `{tracking_no}`" in shown(view)
        refused = await b.slack.user_submits_view(b.agent, view["id"], {"value": text})
        assert refused.json["response_action"] == "errors"
        assert "{tracking_no}" in refused.json["errors"][text_block(view)["block_id"]]
        assert b.slack.open_views(b.agent)  # the modal stays for the fix
        # "Update preview" shows the edited text; the flag goes.
        fixed = "Your parcel SPX123 left, Rachel Tan."
        await b.slack.user_acts_in_view(b.agent, view["id"], "template_preview",
                                        typed={text_block(view)["block_id"]: fixed})
        view = await b.wait(lambda: next((v for v in b.slack.open_views(b.agent)
                                          if "No value" not in shown(v)), None))
        assert fixed in shown(view)
        await b.slack.user_submits_view(b.agent, view["id"], {"value": fixed})
        await b.wait(lambda: b.sent_texts() == [fixed] or None)
        await b.settle()
        assert not any("{" in t for t in b.sent_texts())


async def test_order_facts_fill_order_placeholders(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        conv = await started(b)

        async def order_facts(conversation_id: int) -> dict[str, str]:
            assert conversation_id == conv.id
            return {"order_sn": "240501ABC", "tracking_no": "SPX123", "ship_by": ""}

        b.service.services.slots.order_facts = order_facts
        await add_template(b, "Logistics", "Tracking", "{order_sn}: {tracking_no}, by {ship_by}")
        await b.slack.user_runs_command(b.agent, conv.channel_id, "/reply", f"tracking {conv.ref}")
        view = b.slack.open_views(b.agent)[0]
        assert text_block(view)["element"]["initial_value"] == "240501ABC: SPX123, by {ship_by}"
        assert "No value for `{ship_by}`" in shown(view)


async def test_variant_follows_the_buyer_language(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        my = await started(b, shop="my-1", buyer="b-aisyah", text="Bila sampai?")
        sg = await started(b)
        assert (my.buyer_language, sg.buyer_language) == ("ms", "en")
        await add_template(b, "Logistics", "Standard reply", "Hi {buyer_name}, it has shipped.",
                     {"ms": "Hai {buyer_name}, pesanan anda telah dihantar.",
                      "vi": "Chào {buyer_name}, đơn hàng đã được gửi đi."})
        await b.slack.user_runs_command(b.agent, sg.channel_id, "/reply",
                                        f"standard reply {my.ref}")
        view = b.slack.open_views(b.agent)[0]
        expected = "Hai Nurul Aisyah, pesanan anda telah dihantar."
        assert text_block(view)["element"]["initial_value"] == expected
        assert "Malay (ms)" in shown(view)
        await b.slack.user_submits_view(b.agent, view["id"], {"value": expected})
        await b.wait(lambda: b.sent_texts("my-1") == [expected] or None)
        # No variant in the buyer's language (en): the team language's default text.
        await b.slack.user_runs_command(b.agent, sg.channel_id, "/reply",
                                        f"standard reply {sg.ref}")
        view = b.slack.open_views(b.agent)[0]
        assert text_block(view)["element"]["initial_value"] == "Hi Rachel Tan, it has shipped."


class _Translator:
    """The translation feature's seam (built elsewhere): back_translate(text, lang)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def back_translate(self, text: str, lang: str) -> str | None:
        self.calls.append((text, lang))
        return "Hi Nurul Aisyah, your order has been sent."


async def test_back_translation_preview_only_for_other_languages(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        my = await started(b, shop="my-1", buyer="b-aisyah", text="Bila sampai?")
        sg = await started(b)
        b.service.services.slots.translator = translator = _Translator()
        await add_template(b, "Logistics", "Standard reply", "Hi {buyer_name}, it has shipped.",
                     {"ms": "Hai {buyer_name}, pesanan anda telah dihantar."})
        await b.slack.user_runs_command(b.agent, sg.channel_id, "/reply",
                                        f"standard reply {my.ref}")
        view = await b.wait(lambda: next((v for v in b.slack.open_views(b.agent)
                                          if "your order has been sent" in shown(v)), None))
        assert "↩️ Back-translation (ms): Hi Nurul Aisyah, your order has been sent." \
            in shown(view)
        assert translator.calls == [("Hai Nurul Aisyah, pesanan anda telah dihantar.", "ms")]
        await b.slack.user_runs_command(b.agent, sg.channel_id, "/reply",
                                        f"standard reply {sg.ref}")
        view = b.slack.open_views(b.agent)[0]
        assert "Back-translation" not in shown(view) and len(translator.calls) == 1
        assert "Translate my replies" not in shown(view)

        # "Translate my replies" on: text not in the buyer's language is translated on
        # its way out, and the modal says so; a Malay variant needs no such note.
        await b.store.conversations.set_translate_replies(my.id, True)
        await add_template(b, "Greetings", "Hello", "Hello {buyer_name}!")
        await b.slack.user_runs_command(b.agent, sg.channel_id, "/reply", f"hello {my.ref}")
        view = b.slack.open_views(b.agent)[0]
        assert "the buyer receives this translated into Malay (ms)" in shown(view)
        await b.slack.user_runs_command(b.agent, sg.channel_id, "/reply",
                                        f"standard reply {my.ref}")
        view = b.slack.open_views(b.agent)[0]
        assert "Translate my replies" not in shown(view)


async def test_only_agents_of_the_store_may_send(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        conv = await started(b)
        await add_template(b, "Greetings", "Hello", "Hello {buyer_name}!")
        buyer_msg = b.replies(conv)[0]
        await b.slack.user_uses_message_shortcut(b.outsider, conv.channel_id, buyer_msg["ts"],
                                                 "reply_with_template")
        await b.slack.user_clicks(b.outsider, conv.channel_id, conv.thread_ts, "template_open")
        answer = await b.slack.user_runs_command(b.outsider, conv.channel_id, "/reply",
                                                 f"hello {conv.ref}")
        assert "not an agent of this store's team" in answer.text
        told = [e["text"] for e in b.slack.ephemerals(b.outsider)]
        assert sum("not an agent of this store's team" in t for t in told) == 3
        assert not b.slack.open_views(b.outsider)
        # The shortcut on a message outside any conversation thread says so.
        loose = await b.slack.user_posts(b.agent, conv.channel_id, "team chat")
        await b.slack.user_uses_message_shortcut(b.agent, conv.channel_id, loose,
                                                 "reply_with_template")
        assert any("not in one" in e["text"] for e in b.slack.ephemerals(b.agent))
        await b.settle()
        assert b.sent_texts() == []
