"""LOG_LEVEL / LOG_FORMAT: one JSON object per line, context fields, no secrets."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest
from aiohttp import web

from bot.logs import LogSettingError, configure_logging, log_context, request_id_middleware
from tests.harness import serve

ENV = {"LOG_FORMAT": "json", "SLACK_SIGNING_SECRET": "s3cr3t-signing-value",
       "SHOPEE_PARTNER_KEY": "shpk-partner-key-123456", "PORT": "3000"}


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


def test_json_lines_with_context_and_no_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(ENV)
    log = logging.getLogger("bot.test")
    with log_context(store="shopee:600123456"):
        log.info("sent with %s and xoxb-1234-abcd", "s3cr3t-signing-value",
                 extra={"conversation": "SP-SG-0001", "buyer_text": "my address is ..."})
    log.debug("not shown at INFO")
    try:
        raise RuntimeError("key shpk-partner-key-123456 refused")
    except RuntimeError:
        log.exception("failed")
    first, second = _lines(capsys)
    assert first["level"] == "INFO" and first["logger"] == "bot.test"
    assert first["store"] == "shopee:600123456" and first["conversation"] == "SP-SG-0001"
    assert first["message"] == "sent with *** and ***"
    assert "buyer_text" not in first and "time" in first
    assert "shpk-partner-key" not in second["exception"] and "***" in second["exception"]
    assert "store" not in second  # the context ended with its block


def test_buyer_text_only_at_debug(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging({**ENV, "LOG_LEVEL": "debug"})
    logging.getLogger("bot.test").debug("buyer wrote", extra={"buyer_text": "hello"})
    assert _lines(capsys)[0]["buyer_text"] == "hello"


def test_text_format_and_bad_settings(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging({"LOG_LEVEL": "WARNING"})
    logging.getLogger("bot.test").info("hidden")
    logging.getLogger("bot.test").warning("token xapp-1-A0-123 shown", extra={"store": "s1"})
    err = capsys.readouterr().err
    assert "hidden" not in err and "token *** shown [store=s1]" in err
    with pytest.raises(LogSettingError, match="LOG_LEVEL"):
        configure_logging({"LOG_LEVEL": "loud"})
    with pytest.raises(LogSettingError, match="LOG_FORMAT"):
        configure_logging({"LOG_FORMAT": "xml"})


async def test_request_id_over_http(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(ENV)

    async def handler(request: web.Request) -> web.Response:
        logging.getLogger("bot.http").info("push received")
        return web.Response(text="ok")

    app = web.Application(middlewares=[request_id_middleware])
    app.router.add_get("/x", handler)
    runner, base = await serve(app)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/x", headers={"X-Request-Id": "req-42"}) as resp:
                assert resp.headers["X-Request-Id"] == "req-42"
            async with http.get(f"{base}/x", headers={"X-Request-Id": "<bad id>"}) as resp:
                generated = resp.headers["X-Request-Id"]
    finally:
        await runner.cleanup()
    ids = [e.get("request_id") for e in _lines(capsys) if e["message"] == "push received"]
    assert ids == ["req-42", generated] and generated != "<bad id>"
