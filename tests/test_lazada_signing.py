"""Every Lazada vector from shared/sign-vectors.json, reproduced exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.lazada import signing
from connectors.lazada.connector import LazadaConnector
from tests.emulators.tokens import MemoryTokenStore

VECTORS = json.loads(
    (Path(__file__).resolve().parent / "fixtures" / "sign-vectors.json").read_text("utf-8")
)["lazada"]
API_VECTORS = [v for v in VECTORS if "api_path" in v["inputs"]]
PUSH_VECTORS = [v for v in VECTORS if "raw_body_utf8" in v["inputs"]]


def test_every_vector_is_covered() -> None:
    assert len(API_VECTORS) + len(PUSH_VECTORS) == len(VECTORS) == 7
    assert PUSH_VECTORS


@pytest.mark.parametrize("vector", API_VECTORS, ids=lambda v: v["id"])
def test_api_vector(vector: dict) -> None:
    inputs = vector["inputs"]
    params = inputs["all_params_signed"]
    assert signing.string_to_sign(inputs["api_path"], params) == vector["string_to_sign"]
    assert signing.api_signature(inputs["app_secret"], inputs["api_path"], params) == (
        vector["signature"]
    )
    signed = signing.sign_params(inputs["app_secret"], inputs["api_path"], params)
    assert signed["sign"] == vector["signature"]
    assert signed["sign"].isupper()


@pytest.mark.parametrize("vector", PUSH_VECTORS, ids=lambda v: v["id"])
def test_push_vector(vector: dict) -> None:
    inputs = vector["inputs"]
    body = inputs["raw_body_utf8"].encode("utf-8")
    assert signing.push_string_to_sign(inputs["app_key"], body) == (
        vector["string_to_sign"].encode("utf-8")
    )
    assert signing.push_signature(inputs["app_key"], inputs["app_secret"], body) == (
        vector["signature"]
    )


@pytest.mark.parametrize("vector", PUSH_VECTORS, ids=lambda v: v["id"])
async def test_push_vector_verifies_through_the_connector(vector: dict) -> None:
    inputs = vector["inputs"]
    connector = LazadaConnector(
        None, app_key=inputs["app_key"], app_secret=inputs["app_secret"],  # type: ignore[arg-type]
        tokens=MemoryTokenStore(),
    )
    body = inputs["raw_body_utf8"].encode("utf-8")
    batch = connector.verify_push({"authorization": vector["signature"]}, body, "https://x.test")
    (message,) = batch.messages
    assert message.text == "สินค้ายังมีอยู่ไหมคะ"
    assert message.conversation_id == "100094063_2_1011822749_1_103"
    assert message.shop_id == "1000114855"
    assert message.buyer.id == "1011822749"
    assert not message.from_seller


def test_rest_prefix_and_empty_values_are_not_signed() -> None:
    params = {"app_key": "1", "timestamp": "2", "txt": "", "page": None, "sign": "X"}
    assert signing.string_to_sign("/rest/im/message/send", params) == (
        "/im/message/sendapp_key1timestamp2"
    )
