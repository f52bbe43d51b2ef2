"""Every Shopee vector from shared/sign-vectors.json, string-to-sign and signature."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.base import Tokens
from connectors.models import BuyerId, ConversationId, OutboundText
from connectors.shopee.signing import (
    api_base_string,
    push_base_string,
    push_signature,
    push_signature_matches,
    sign_api,
)
from tests.emulators.shopee import SHOP_ID, shopee_env

VECTORS_PATH = Path(__file__).resolve().parent / "fixtures" / "sign-vectors.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_PATH.read_text("utf-8"))["shopee"]
API = [v for v in VECTORS if v["api_type"] in ("public", "shop")]
PUSH = [v for v in VECTORS if v["api_type"].startswith("push")]


def test_every_vector_is_covered() -> None:
    assert len(VECTORS) == 7
    assert len(API) + len(PUSH) == len(VECTORS)


@pytest.mark.parametrize("vector", API, ids=[v["id"] for v in API])
def test_api_vector(vector: dict[str, Any]) -> None:
    i = vector["inputs"]
    shop = vector["api_type"] == "shop"
    base = api_base_string(i["partner_id"], i["path"], i["timestamp"],
                           i["access_token"] if shop else None, i["shop_id"] if shop else None)
    assert base == vector["string_to_sign"]
    assert sign_api(i["partner_key"], base) == vector["signature"]
    assert vector["query_string_sent"]["sign"] == vector["signature"]


@pytest.mark.parametrize("vector", PUSH, ids=[v["id"] for v in PUSH])
def test_push_vector(vector: dict[str, Any]) -> None:
    i = vector["inputs"]
    body = i["raw_body_utf8"].encode("utf-8")
    assert push_base_string(i["callback_url"], body).decode("utf-8") == vector["string_to_sign"]
    assert push_signature(i["partner_key"], i["callback_url"], body) == vector["signature"]
    assert push_signature_matches(i["partner_key"], i["callback_url"], body,
                                  vector["signature"].upper())
    assert not push_signature_matches(i["partner_key"], i["callback_url"] + "/", body,
                                      vector["signature"])


@pytest.mark.parametrize("vector", API, ids=[v["id"] for v in API])
async def test_connector_sends_the_vector_sign(vector: dict[str, Any]) -> None:
    """Over HTTP, at the vector's timestamp and with its credentials, the connector's
    query carries exactly the vector's sign, and the emulator accepts it."""
    i = vector["inputs"]
    body = i["json_body_not_signed"] or {}
    options = {"partner_id": i["partner_id"], "partner_key": i["partner_key"]}
    async with aiohttp.ClientSession() as session, shopee_env(
            session, emulator_options=options) as env:
        env.clock.t = i["timestamp"]
        emu, c = env.emulator, env.connector
        access = i.get("access_token", "unused-access")
        refresh = body.get("refresh_token", "unused-refresh")
        emu.tokens.issue([SHOP_ID], access=access, refresh=refresh)
        store = replace(env.store, credentials={"access_token": access,
                                                "refresh_token": refresh})
        conv = emu.conversation(SHOP_ID, 1234567)
        path = i["path"]
        if path == "/api/v2/auth/token/get":
            await c.exchange_code(emu.tokens.new_code([SHOP_ID]), shop_id=str(SHOP_ID))
        elif path == "/api/v2/auth/access_token/get":
            env.clock.t = i["timestamp"]
            await env.tokens.put_tokens("shopee", store.shop_id, Tokens(
                access_token=access, refresh_token=refresh,
                access_expires_at=datetime.fromtimestamp(i["timestamp"] + 60, UTC)))
            await c.check(store)  # expires within the margin: refresh first
        elif path.endswith("get_conversation_list"):
            await c.check(store)
        elif path.endswith("send_message"):
            out = OutboundText(ConversationId(conv.conversation_id), BuyerId("1234567"),
                               body["content"]["text"], "k1")
            await c.send_text(store, out)
            assert emu.called("send_message")[0].body == body
        elif path.endswith("get_message"):
            emu.buyer_says(SHOP_ID, 1234567, "hi", push=False)
            await c.fetch_since(store, None)
        sent = [r for r in emu.requests if "/api/v2/" + r.name == path]
        assert sent, f"no request to {path}"
        assert sent[0].query["timestamp"] == str(i["timestamp"])
        assert sent[0].query["sign"] == vector["signature"]
