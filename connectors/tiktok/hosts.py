"""Where TikTok Shop lives.

Unlike Shopee and Lazada, TikTok routes every region through one API host and one
token host; only the seller authorization page differs (US vs the rest).
"""

from __future__ import annotations

from urllib.parse import urlsplit

API_BASE = "https://open-api.tiktokglobalshop.com"
AUTH_BASE = "https://auth.tiktok-shops.com"
_AUTHORIZE_SERVICE = {"US": "https://services.us.tiktokshop.com"}
_AUTHORIZE_SERVICE_DEFAULT = "https://services.tiktokshop.com"
PRODUCTION_API_HOSTS = frozenset({urlsplit(API_BASE).netloc})


def api_base_for_site(site: str) -> str:
    """Every site (SG MY VN TH PH ID US GB ...) uses the same global API host."""
    return API_BASE


def authorize_service_base(site: str | None) -> str:
    return _AUTHORIZE_SERVICE.get((site or "").upper(), _AUTHORIZE_SERVICE_DEFAULT)


def normalize_base_url(url: str) -> str:
    """``TIKTOK_API_URL`` and ``StoreAccount.api_url`` carry a scheme and host only."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"TikTok base URL must look like https://host[:port], got {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"TikTok base URL takes a scheme and host only (no path), got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def auth_base_for(override: str | None) -> str:
    """Token endpoints live on their own host in production. A base-URL override that
    is not the production API host (an emulator, a proxy) stands in for both."""
    if override and urlsplit(override).netloc not in PRODUCTION_API_HOSTS:
        return override
    return AUTH_BASE
