"""Who may read /healthz's detail: store keys, counts, errors and workers tell an
outsider which shops exist and how they fail, so they need a bearer token."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

HEALTH_ENV = "STOREBRIDGE_HEALTH_TOKEN"
#: What anyone (a load balancer's probe) sees: enough to restart or route.
PUBLIC_FIELDS = ("status", "database")


def may_see_detail(env: Mapping[str, str], authorization: str | None) -> bool:
    """True only for ``Authorization: Bearer <STOREBRIDGE_HEALTH_TOKEN>``; without a
    configured token nobody sees the detail."""
    expected = env.get(HEALTH_ENV) or ""
    scheme, _, given = (authorization or "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def visible(health: Mapping[str, Any], detail: bool) -> dict[str, Any]:
    return dict(health) if detail else {k: health[k] for k in PUBLIC_FIELDS if k in health}
