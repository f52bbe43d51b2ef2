"""TikTok Shop request and webhook signatures.

Request: ``hex(HMAC_SHA256(app_secret, app_secret + path + sorted(k+v) + body + app_secret))``
where the sorted pairs leave out ``sign`` and ``access_token`` and the body is left
out only for ``multipart/form-data``. Webhook: ``hex(HMAC_SHA256(app_secret,
app_key + raw_body))``. Both lower-case hex.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

_UNSIGNED_PARAMS = frozenset({"sign", "access_token"})


def param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _signed_bytes(app_secret: str, path: str, query: Mapping[str, Any],
                  body: bytes | None, content_type: str) -> bytes:
    pairs = sorted((k, param_text(v)) for k, v in query.items() if k not in _UNSIGNED_PARAMS)
    middle = (path + "".join(k + v for k, v in pairs)).encode("utf-8")
    # The body is signed byte for byte as sent; SDKs that serialise JSON differently
    # get different (individually valid) signatures. Multipart bodies are never signed.
    if body and not content_type.lower().startswith("multipart/form-data"):
        middle += body
    secret = app_secret.encode("utf-8")
    return secret + middle + secret


def string_to_sign(app_secret: str, path: str, query: Mapping[str, Any],
                   body: bytes | None = None, content_type: str = "application/json") -> str:
    """The exact text TikTok hashes for a request (for tests and debugging)."""
    return _signed_bytes(app_secret, path, query, body, content_type).decode("utf-8", "replace")


def sign_request(app_secret: str, path: str, query: Mapping[str, Any],
                 body: bytes | None = None, content_type: str = "application/json") -> str:
    message = _signed_bytes(app_secret, path, query, body, content_type)
    return hmac.new(app_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def push_string_to_sign(app_key: str, body: bytes) -> bytes:
    return app_key.encode("utf-8") + body


def sign_push(app_key: str, app_secret: str, body: bytes) -> str:
    return hmac.new(app_secret.encode("utf-8"), push_string_to_sign(app_key, body),
                    hashlib.sha256).hexdigest()


def push_signature_ok(app_key: str, app_secret: str, body: bytes, signature: str) -> bool:
    candidate = signature.strip().lower()
    if not candidate.isascii():
        return False
    return hmac.compare_digest(sign_push(app_key, app_secret, body), candidate)


def compact_json(obj: Any) -> bytes:
    """The one serialisation we send and sign: compact separators, raw UTF-8."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
