"""Refusing a Shopee return is a dispute, which Shopee accepts only with the seller's
e-mail: ``dispute_email`` per store in storebridge.yml (validated; not a secret).
Configured, a manager refuses a return end to end against the Shopee emulator;
missing, the click is refused in plain words and nothing reaches Shopee; ``check``
warns about a Shopee store without it whose requests may be answered from Slack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import ConfigError, GroupConfig, Settings, StoreConfig
from bot.config_read import load_settings
from bot.preflight import dispute_email_findings
from tests.emulators.shopee import SHOP_ID
from tests.test_actions_orders import RETURN_SN, note_with, ready, said
from tests.test_orders_bot import C
from tests.test_platform_e2e import platform_bridge

ENV = {"SHOPEE_PARTNER_ID": "1", "SHOPEE_PARTNER_KEY": "k"}


async def test_a_configured_store_refuses_a_return_on_shopee(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "shopee", dispute_email="cs@kopi.example") as (b, h):
        conv = await ready(b, h)
        note = await b.wait(lambda: note_with(b, conv, "order_act:return_refuse"))
        assert C in note["text"]
        await b.slack.user_clicks(b.manager, conv.channel_id, note["ts"],
                                  "order_act:return_refuse")
        view = (await b.wait(lambda: b.slack.open_views(b.manager)))[-1]
        assert "Received return item(s)" in json.dumps(view["blocks"])  # Shopee's reasons
        await b.slack.user_submits_view(b.manager, view["id"], {
            "reason": {"reason": "50"}, "comment": {"comment": "The mug came back used"}})
        await b.wait(lambda: said(b, conv, "refused the return/refund request"), timeout=10)
        assert h.emulator.order_book.returns[SHOP_ID][RETURN_SN]["status"] == "JUDGING"
        body = h.emulator.called("returns/dispute")[-1].body
        assert body["email"] == "cs@kopi.example" and body["dispute_reason_id"] == 50
        assert body["dispute_text_reason"] == "The mug came back used"


async def test_without_it_the_refusal_is_refused_in_plain_words(tmp_path: Path) -> None:
    async with platform_bridge(tmp_path, "shopee") as (b, h):
        conv = await ready(b, h)
        note = await b.wait(lambda: note_with(b, conv, "order_act:return_refuse"))
        await b.slack.user_clicks(b.manager, conv.channel_id, note["ts"],
                                  "order_act:return_refuse")
        told = await b.wait(lambda: [r for r in b.slack.responses if r.user_id == b.manager])
        words = json.dumps(told[-1].payload)
        assert "contact e-mail" in words and "dispute_email" in words
        assert b.slack.open_views(b.manager) == []
        await b.settle()
        assert h.emulator.called("returns/dispute") == []
        assert h.emulator.order_book.returns[SHOP_ID][RETURN_SN]["status"] == "REQUESTED"
        # Other answers are not held back by it: accepting still works.
        await b.slack.user_clicks(b.manager, conv.channel_id, note["ts"],
                                  "order_act:return_accept")
        assert (await b.wait(lambda: b.slack.open_views(b.manager)))


def test_config_field_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text('stores:\n  - {platform: shopee, shop_id: "1", site: SG, name: X, '
                    'channel: "#x", dispute_email: cs@kopi.example}\n')
    assert load_settings(path, ENV).store("shopee:1").dispute_email == "cs@kopi.example"
    path.write_text('stores:\n  - {platform: shopee, shop_id: "1", site: SG, name: X, '
                    'channel: "#x", dispute_email: "Kopi <cs at kopi>"}\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path, ENV)
    assert "stores[0].dispute_email: expected an e-mail address" in str(err.value)


def test_check_warns_when_refusals_could_be_tried_without_it() -> None:
    team = GroupConfig("team", ("U1",), ("U2",))
    bare = StoreConfig("shopee", "1", "SG", "X", "#x", group="team", connector="shopee")
    (found,) = dispute_email_findings(Settings(groups=(team,), stores=(bare,)))
    assert found.warning and not found.ok and "dispute_email" in found.detail
    set_ = StoreConfig("shopee", "1", "SG", "X", "#x", group="team", connector="shopee",
                       dispute_email="cs@kopi.example")
    assert dispute_email_findings(Settings(groups=(team,), stores=(set_,))) == []
    # Nobody may answer requests of a store without a group (no admins): nothing to say.
    lone = StoreConfig("shopee", "1", "SG", "X", "#x", connector="shopee")
    assert dispute_email_findings(Settings(stores=(lone,))) == []
    assert dispute_email_findings(Settings(stores=(lone,), admins=("U9",)))
