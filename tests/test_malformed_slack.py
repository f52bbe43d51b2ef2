"""Malformed requests to /slack/events: unsigned or forged is 401, signed but
malformed is 400, never a 500, and nothing is logged above WARNING."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from tests.harness import running_bridge

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def signed(secret: str, body: bytes, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(
                timestamp=ts, body=body)}


def form(payload: object) -> bytes:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return ("payload=" + quote(text)).encode()


MALFORMED: list[tuple[bytes, str]] = [
    (form("{not json"), FORM),
    (form([]), FORM),
    (form({"type": "block_actions"}), FORM),  # no user, no actions
    (form({"type": "block_actions", "actions": "x", "user": 3}), FORM),
    (form({"type": "view_submission", "user": {"id": "U1"}, "view": "v"}), FORM),
    (b"{not json", JSON),
    (b"[]", JSON),
    (b'"just a string"', JSON),
    (json.dumps({"type": "event_callback", "event": "x"}).encode(), JSON),
    (json.dumps({"type": "event_callback", "event": {"type": "message", "channel": 5,
                 "user": 7}}).encode(), JSON),
    (json.dumps({"type": "url_verification"}).encode(), JSON),
    (b"command=/cs&text=online&user_id=" + b"%FF", FORM),
]


@pytest.mark.parametrize("signature", ["none", "forged"])
async def test_unsigned_or_forged_malformed_bodies_are_401(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, signature: str) -> None:
    caplog.set_level(logging.INFO)
    async with running_bridge(tmp_path) as b, aiohttp.ClientSession() as http:
        for body, ctype in MALFORMED:
            headers = ({"Content-Type": ctype} if signature == "none"
                       else signed("not-the-secret", body, ctype))
            async with http.post(f"{b.base_url}/slack/events", data=body,
                                 headers=headers) as r:
                assert r.status == 401, body
        # Slack signs UTF-8 text: a body that is not cannot be verified at all.
        async with http.post(f"{b.base_url}/slack/events", data=b"\xff\xfe{}",
                             headers={"Content-Type": JSON, "X-Slack-Signature": "v0=00",
                                      "X-Slack-Request-Timestamp": str(int(time.time()))}
                             ) as r:
            assert r.status == 401
    assert not [r for r in caplog.records if r.levelno > logging.WARNING]


async def test_signed_malformed_bodies_are_400_without_traceback(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_bridge(tmp_path) as b, aiohttp.ClientSession() as http:
        for body, ctype in MALFORMED:
            async with http.post(f"{b.base_url}/slack/events", data=body,
                                 headers=signed(b.slack.signing_secret, body, ctype)) as r:
                assert r.status == 400, body
                assert "malformed" in await r.text()
        # Well-formed enough for bolt, but a listener cannot read it: the card's Close
        # button with a value that is not a conversation id.
        action = {"type": "block_actions", "user": {"id": b.agent}, "team": {"id": "T1"},
                  "api_app_id": "A1", "trigger_id": "1.2",
                  "actions": [{"type": "button", "action_id": "conversation_close",
                               "block_id": "b", "value": "not-a-number"}]}
        body = form(action)
        async with http.post(f"{b.base_url}/slack/events", data=body,
                             headers=signed(b.slack.signing_secret, body, FORM)) as r:
            assert r.status == 400
        async with http.get(f"{b.base_url}/healthz") as r:
            assert r.status == 200
    loud = [r for r in caplog.records if r.levelno > logging.WARNING]
    assert not loud, [r.getMessage() for r in loud]
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.WARNING]
    assert any("malformed" in r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING)


async def test_well_formed_requests_still_work(tmp_path: Path) -> None:
    async with running_bridge(tmp_path) as b, aiohttp.ClientSession() as http:
        body = json.dumps({"type": "url_verification", "challenge": "c-42"}).encode()
        async with http.post(f"{b.base_url}/slack/events", data=body,
                             headers=signed(b.slack.signing_secret, body, JSON)) as r:
            assert r.status == 200 and "c-42" in await r.text()
        await b.buyer_says("hello")  # the emulator's signed events still flow
        conv = await b.thread()
        await b.agent_replies(conv, "Hi Rachel!")
        await b.wait(lambda: "Hi Rachel!" in b.sent_texts())
