"""Where a Shopee store's API and authorization pages live."""

from __future__ import annotations

from urllib.parse import urlsplit

GLOBAL_API = "https://partner.shopeemobile.com"
# A latency route for developers near the Americas, not a Brazil-only contract:
# every shop can be reached through either host.
AMERICAS_API = "https://openplatform.shopee.com.br"
CHINA_API = "https://openplatform.shopee.cn"
# The docs disagree on the sandbox host (guides 20/644 vs the API pages' test_url).
SANDBOX_API = "https://openplatform.sandbox.test-stable.shopee.sg"
SANDBOX_API_LEGACY = "https://partner.test-stable.shopeemobile.com"

GLOBAL_AUTH = "https://open.shopee.com"
AMERICAS_AUTH = "https://open.shopee.com.br"
CHINA_AUTH = "https://open.shopee.cn"
SANDBOX_AUTH = "https://open.sandbox.test-stable.shopee.com"

_AMERICAS = frozenset({"BR", "MX", "CO", "CL", "AR"})

#: Buyer-facing web domain per site, for product links.
WEB_DOMAINS: dict[str, str] = {
    "SG": "shopee.sg",
    "MY": "shopee.com.my",
    "VN": "shopee.vn",
    "TH": "shopee.co.th",
    "PH": "shopee.ph",
    "ID": "shopee.co.id",
    "TW": "shopee.tw",
    "BR": "shopee.com.br",
    "MX": "shopee.com.mx",
    "CO": "shopee.com.co",
    "CL": "shopee.cl",
}


def normalize_base(url: str) -> str:
    """Keep scheme and host (with port) only: ``SHOPEE_API_URL`` and a store's
    ``api_url`` name the origin; paths always start with ``/api/v2``."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"Shopee API URL must look like https://host, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def api_host(site: str | None, *, sandbox: bool = False) -> str:
    if sandbox:
        return SANDBOX_API
    site = (site or "").upper()
    if site in _AMERICAS:
        return AMERICAS_API
    if site == "CN":
        return CHINA_API
    return GLOBAL_API


def auth_host(site: str | None, *, sandbox: bool = False) -> str:
    if sandbox:
        return SANDBOX_AUTH
    site = (site or "").upper()
    if site in _AMERICAS:
        return AMERICAS_AUTH
    if site == "CN":
        return CHINA_AUTH
    return GLOBAL_AUTH
