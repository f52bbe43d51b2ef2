"""Lazada Open Platform signatures.

API calls: ``HMAC_SHA256(app_secret, api_path + concat(sorted(key + value)))`` as
UPPERCASE hex over every parameter (system and business, query and form alike),
``api_path`` without the ``/rest`` prefix, values as raw UTF-8 (never URL-encoded).

Pushes: ``HMAC_SHA256(app_secret, app_key + raw_body)`` as lowercase hex in the
``Authorization`` header.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGN_METHOD = "sha256"


def wire_value(value: object) -> str:
    """How a parameter value is written on the wire and in the string to sign."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def clean_params(params: Mapping[str, object]) -> dict[str, str]:
    # The official Java/C# samples skip empty values while the Python SDK signs
    # them; sending none avoids depending on which one the gateway follows.
    return {
        key: wire_value(value)
        for key, value in params.items()
        if value is not None and wire_value(value) != "" and key != "sign"
    }


def string_to_sign(api_path: str, params: Mapping[str, object]) -> str:
    """``api_path`` followed by ``key + value`` for every parameter in ASCII key order."""
    if api_path.startswith("/rest/"):
        api_path = api_path[len("/rest"):]
    cleaned = clean_params(params)
    return api_path + "".join(f"{key}{cleaned[key]}" for key in sorted(cleaned))


def api_signature(app_secret: str, api_path: str, params: Mapping[str, object]) -> str:
    base = string_to_sign(api_path, params)
    digest = hmac.new(app_secret.encode("utf-8"), base.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest().upper()


def sign_params(
    app_secret: str, api_path: str, params: Mapping[str, object]
) -> dict[str, str]:
    """The cleaned parameters plus their ``sign``, ready to send."""
    cleaned = clean_params(params)
    cleaned["sign"] = api_signature(app_secret, api_path, cleaned)
    return cleaned


def push_string_to_sign(app_key: str, body: bytes) -> bytes:
    return app_key.encode("utf-8") + body


def push_signature(app_key: str, app_secret: str, body: bytes) -> str:
    digest = hmac.new(
        app_secret.encode("utf-8"), push_string_to_sign(app_key, body), hashlib.sha256
    )
    return digest.hexdigest()


def push_signature_matches(app_key: str, app_secret: str, body: bytes, header: str) -> bool:
    expected = push_signature(app_key, app_secret, body).encode("ascii")
    given = header.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)
