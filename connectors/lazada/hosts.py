"""Where Lazada lives: one REST gateway per country, one auth host for all."""

from __future__ import annotations

from connectors.errors import PermanentError

#: REST base per site, up to and including ``/rest`` (the form LAZADA_API_URL takes).
REST_BASES: dict[str, str] = {
    "SG": "https://api.lazada.sg/rest",
    "MY": "https://api.lazada.com.my/rest",
    "VN": "https://api.lazada.vn/rest",
    "TH": "https://api.lazada.co.th/rest",
    "PH": "https://api.lazada.com.ph/rest",
    "ID": "https://api.lazada.co.id/rest",
}

#: Token create/refresh for every country.
AUTH_BASE = "https://auth.lazada.com/rest"

#: The page a seller opens to authorize the app.
AUTHORIZE_PAGE = "https://auth.lazada.com/oauth/authorize"


def rest_base(site: str, *overrides: str | None) -> str:
    """The first non-empty override, else the gateway of ``site`` (e.g. ``"MY"``)."""
    for override in overrides:
        if override:
            return override.rstrip("/")
    try:
        return REST_BASES[site.strip().upper()]
    except KeyError:
        raise PermanentError(
            f"no Lazada gateway for site {site!r}",
            code="UnknownSite",
            user_message=f"Lazada has no API host for site {site!r}; check the store's site.",
        ) from None


def endpoint(base: str, api_path: str) -> str:
    return base.rstrip("/") + api_path
