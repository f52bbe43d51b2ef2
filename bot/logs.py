"""Logging set-up: ``LOG_LEVEL`` (default INFO) and ``LOG_FORMAT`` (``text`` or ``json``).

``json`` writes one object per line on stdout — time, level, logger, message, and
``store``, ``conversation`` and ``request_id`` when known — for platforms that ship
stdout to a log search. Those three come from ``extra={...}`` on a call or from
:func:`log_context` (contextvars, so they follow the task that handles a request).

Two rules hold whatever a call site does: a secret never reaches the output (the
values of secret-looking environment variables and anything shaped like a Slack
token are masked), and ``extra={"buyer_text": ...}`` is shown only at DEBUG.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

CONTEXT_FIELDS = ("store", "conversation", "request_id")
_context: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "storebridge_log_context", default=None)
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|KEY|PASSWORD)$|^DATABASE_URL$")
_TOKEN_SHAPE = re.compile(r"\bx(?:ox[abpres]|app)-[A-Za-z0-9-]+")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")
MASK = "***"


@contextlib.contextmanager
def log_context(**fields: str | int | None) -> Iterator[None]:
    """Within the block, log records carry these fields (``store``, ``conversation``...)."""
    merged = {**(_context.get() or {}), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


class Redactor:
    """Masks known secret values and token-shaped strings in text."""

    def __init__(self, env: Mapping[str, str]) -> None:
        # Short values (a port, "true") would mask innocent words: secrets are long.
        self.values = sorted({v for k, v in env.items() if _SECRET_NAME.search(k) and
                              len(v) >= 8}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, MASK)
        text = _URL_PASSWORD.sub(rf"\g<1>{MASK}@", text)
        return _TOKEN_SHAPE.sub(MASK, text)


def _fields(record: logging.LogRecord) -> dict[str, str]:
    found = dict(_context.get() or {})
    for name in CONTEXT_FIELDS:
        value = getattr(record, name, None)
        if value is not None:
            found[name] = str(value)
    return found


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name,
            "message": self.redact(record.getMessage()), **_fields(record)}
        buyer_text = getattr(record, "buyer_text", None)
        if buyer_text is not None and record.levelno <= logging.DEBUG:
            entry["buyer_text"] = str(buyer_text)
        if record.exc_info:
            entry["exception"] = self.redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        buyer_text = getattr(record, "buyer_text", None)
        if buyer_text is not None and record.levelno <= logging.DEBUG:
            extras += f" buyer_text={buyer_text!r}"
        return self.redact(f"{text} [{extras.strip()}]" if extras.strip() else text)


class LogSettingError(ValueError):
    pass


def configure_logging(env: Mapping[str, str] | None = None, *, verbose: bool = False,
                      quiet: bool = False) -> None:
    """``verbose`` (-v) forces DEBUG; ``quiet`` (the demo) defaults to WARNING."""
    env = os.environ if env is None else env
    level_name = "DEBUG" if verbose else env.get("LOG_LEVEL", "WARNING" if quiet else "INFO")
    level = logging.getLevelName(level_name.upper())
    if not isinstance(level, int):
        raise LogSettingError(f"LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR, "
                              f"got {level_name!r}")
    fmt = env.get("LOG_FORMAT", "text").lower()
    if fmt not in ("text", "json"):
        raise LogSettingError(f"LOG_FORMAT: expected text or json, got {fmt!r}")
    redact = Redactor(env)
    handler = logging.StreamHandler(sys.stdout if fmt == "json" else sys.stderr)
    handler.setFormatter(JsonFormatter(redact) if fmt == "json" else TextFormatter(redact))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Per-request access lines and scheduler chatter drown what matters at INFO.
    logging.getLogger("aiohttp.access").setLevel(max(level, logging.WARNING))
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every log line written while serving a request names it (and the answer says it)."""
    given = request.headers.get("X-Request-Id", "")
    rid = given if re.fullmatch(r"[A-Za-z0-9._-]{1,64}", given) else uuid.uuid4().hex[:16]
    with log_context(request_id=rid):
        response = await handler(request)
    response.headers["X-Request-Id"] = rid
    return response
