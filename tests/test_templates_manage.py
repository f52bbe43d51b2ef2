"""`/templates` for managers (browse, search, add, edit, delete) and the weekly
report of templates nobody used for 30 days."""

from __future__ import annotations

from pathlib import Path

from bot.templates.report import JOB_ID, post_stale_report
from tests.harness import running_bridge
from tests.test_templates_support import (
    FEATURES,
    add_template,
    make_manager,
    shown,
    started,
    templates,
)


async def test_agents_are_refused(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        answer = await b.slack.user_runs_command(b.agent, b.channels["cs-ops"], "/templates")
        assert "Only managers can change templates" in answer.text
        assert not b.slack.open_views(b.agent)


async def test_manager_adds_edits_searches_and_deletes(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        boss = b.slack.add_user("boss", real_name="Bea Boss")
        make_manager(b, boss)
        await add_template(b, "Refunds", "Approved", "Your refund is approved.")
        await b.slack.user_runs_command(boss, b.channels["cs-ops"], "/templates")
        browser = b.slack.open_views(boss)[0]
        assert "Refunds* — Approved" in shown(browser)

        # Add: a pushed editor; a bad placeholder is refused with the field named.
        await b.slack.user_acts_in_view(boss, browser["id"], "tm_add")
        editor = b.slack.open_views(boss)[-1]
        bad = await b.slack.user_submits_view(boss, editor["id"], {
            "topic": {"topic": "Logistics"}, "name": {"name": "Standard reply"},
            "body": {"body": "Hi {buyer}, shipped."}})
        assert "{buyer}" in bad.json["errors"]["body"]
        saved = await b.slack.user_submits_view(boss, editor["id"], {
            "topic": {"topic": "Logistics"}, "name": {"name": "Standard reply"},
            "body": {"body": "Hi {buyer_name}, shipped."},
            "lang_vi": {"lang_vi": "Chào {buyer_name}, đã gửi hàng."},
            "other_lang": {"other_lang": "PT"}, "other_text": {"other_text": "Olá {buyer_name}!"}})
        assert saved.status == 200 and saved.json is None
        t = await templates(b).find("Logistics", "Standard reply")
        assert t.body == "Hi {buyer_name}, shipped." and t.created_by == boss
        assert t.variants == {"vi": "Chào {buyer_name}, đã gửi hàng.", "pt": "Olá {buyer_name}!"}
        # Back in the browser, which shows the new template.
        browser = await b.wait(lambda: next((v for v in b.slack.open_views(boss)
                                             if "Standard reply" in shown(v)), None))
        assert [v["id"] for v in b.slack.open_views(boss)] == [browser["id"]]

        # Browse by topic, then search.
        await b.slack.user_acts_in_view(boss, browser["id"], "tm_topic", "Refunds")
        browser = await b.wait(lambda: next((v for v in b.slack.open_views(boss)
                                             if "Standard reply" not in shown(v)), None))
        assert "Approved" in shown(browser)
        await b.slack.user_acts_in_view(boss, browser["id"], "tm_topic", "*")
        searched = await b.slack.user_submits_view(boss, browser["id"],
                                                   {"query": "đã gửi"})
        assert searched.json["response_action"] == "update"
        browser = b.slack.open_views(boss)[0]
        assert "Standard reply" in shown(browser) and "Approved" not in shown(browser)

        # Edit: rename; the usage history stays.
        await templates(b).mark_used(t.id, 1000.0)
        await b.slack.user_acts_in_view(boss, browser["id"], f"tm_row:{t.id}", f"edit:{t.id}")
        editor = b.slack.open_views(boss)[-1]
        values = {bl["block_id"]: {bl["block_id"]: bl["element"].get("initial_value")}
                  for bl in editor["blocks"] if bl["type"] == "input"}
        values["name"] = {"name": "Shipped"}
        await b.slack.user_submits_view(boss, editor["id"], values)
        edited = await templates(b).get(t.id)
        assert (edited.name, edited.usage_count, edited.variants) == ("Shipped", 1, t.variants)

        # Delete, after a confirmation.
        browser = b.slack.open_views(boss)[0]
        await b.slack.user_acts_in_view(boss, browser["id"], f"tm_row:{t.id}", f"delete:{t.id}")
        confirm = b.slack.open_views(boss)[-1]
        assert "It was used 1 time(s)" in shown(confirm)
        await b.slack.user_submits_view(boss, confirm["id"], {})
        assert await templates(b).get(t.id) is None
        browser = await b.wait(lambda: next((v for v in b.slack.open_views(boss)
                                             if "Shipped" not in shown(v)), None))
        assert [v["id"] for v in b.slack.open_views(boss)] == [browser["id"]]


async def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        boss = b.slack.add_user("boss")
        make_manager(b, boss)
        await add_template(b, "Refunds", "Approved", "Approved.")
        await b.slack.user_runs_command(boss, b.channels["cs-ops"], "/templates")
        await b.slack.user_acts_in_view(boss, b.slack.open_views(boss)[0]["id"], "tm_add")
        editor = b.slack.open_views(boss)[-1]
        answer = await b.slack.user_submits_view(boss, editor["id"], {
            "topic": {"topic": "Refunds"}, "name": {"name": "Approved"},
            "body": {"body": "Again."}})
        assert "exists" in answer.json["errors"]["name"]
        assert await templates(b).count() == 1


async def test_usage_counts_and_stale_report(tmp_path: Path) -> None:
    async with running_bridge(tmp_path, service_kwargs=FEATURES) as b:
        assert b.service.scheduler.get_job(JOB_ID) is not None
        conv = await started(b)
        used = await add_template(b, "Logistics", "Standard reply", "Hi {buyer_name}.")
        await add_template(b, "Promotions", "Old <b>sale</b> *50%*", "Sale!")
        for _ in range(2):
            await b.slack.user_runs_command(b.agent, conv.channel_id, "/reply",
                                            f"standard reply {conv.ref}")
            view = b.slack.open_views(b.agent)[0]
            await b.slack.user_submits_view(b.agent, view["id"], {"value": "Hi Rachel Tan."})
        assert (await templates(b).get(used)).usage_count == 2
        now = b.store.database.clock()
        assert await post_stale_report(b.service.services, templates(b), now) == 0
        # 31 days later, nothing used since: both are listed; names stay inert text.
        assert await post_stale_report(b.service.services, templates(b), now + 31 * 86400) == 2
        ops = b.channels["cs-ops"]
        post = await b.wait(lambda: next((m for m in b.slack.messages(ops)
                                          if "unused for 30 days" in m["text"]), None))
        body = str(post["blocks"])
        assert "Standard reply" in body and "2× in all" in body and "never used" in body
        assert "<b>" not in body and "&lt;b&gt;sale&lt;/b&gt;" in body
