"""Who the buyer of a conversation is, as the platform itself reports it.

A push often names the buyer only by id (Lazada's IM push, TikTok's webhook 14) and
Shopee's push has a name but no avatar; :meth:`Connector.fetch_buyer` asks the
platform's conversation API for the rest. The values are untrusted platform text:
the bot escapes the name when it renders it, and only http(s) avatar URLs pass here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BuyerProfile:
    """``language`` is set only where the platform itself says what the buyer
    writes (the sandbox does; Shopee, Lazada and TikTok report none)."""

    name: str
    avatar_url: str | None = None
    language: str | None = None


def avatar(value: Any) -> str | None:
    """An avatar URL fit for an image block: http(s) only; protocol-relative
    ``//host/x.png`` (seen in CDN answers) becomes https."""
    url = str(value or "").strip()
    if url.startswith("//"):
        url = "https:" + url
    if not url.lower().startswith(("https://", "http://")) or any(c.isspace() for c in url):
        return None
    return url


def profile(name: Any, avatar_url: Any = None, language: Any = None) -> BuyerProfile | None:
    """A profile from wire values, or None when the platform told us nothing."""
    clean_name = " ".join(str(name or "").split())  # no newlines or runs of blanks
    picture = avatar(avatar_url)
    lang = str(language or "").strip() or None
    if not clean_name and picture is None and lang is None:
        return None
    return BuyerProfile(name=clean_name, avatar_url=picture, language=lang)
