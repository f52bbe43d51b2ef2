"""Configuration sections beyond stores and Slack: translation, SLA, hours."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.config_checker import Checker

#: "demo" is the offline phrasebook of ``storebridge demo``: only ever chosen by name.
TRANSLATION_PROVIDERS = ("google", "deepl", "microsoft", "libre", "none", "demo")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class BusinessHours:
    start: str = "09:00"  # local time, HH:MM
    end: str = "18:00"
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    timezone: str = "UTC"


@dataclass(frozen=True)
class SlaConfig:
    """First response target, and when to remind the assignee / escalate to ops
    (minutes of waiting, counted in business hours when those are set)."""

    first_response_minutes: float = 15
    reminder_minutes: float = 10
    escalation_minutes: float = 30
    business_hours: BusinessHours | None = None


@dataclass(frozen=True)
class TranslationConfig:
    """``provider: none`` turns translation off."""

    provider: str = "google"
    api_key: str = field(default="", repr=False)
    url: str | None = None  # LibreTranslate's base URL
    region: str | None = None  # Microsoft
    #: Terms never translated (value None) or always translated one way (value).
    glossary: Mapping[str, str | None] = field(default_factory=dict)


HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
#: One address, no display name: what a marketplace's form field takes.
EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def read_email(c: Checker, key: str, value: Any) -> str | None:
    address = c.text(key, value)
    if address is not None and not EMAIL.match(address):
        c.problem(key, f"expected an e-mail address like 'cs@shop.example', got {address!r}")
        return None
    return address


def read_timezone(c: Checker, key: str, value: Any) -> str:
    name = c.text(key, value) or "UTC"
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(name)
    except Exception:  # noqa: BLE001 - any failure means the name is not usable
        c.problem(key, f"expected an IANA time zone like 'Asia/Singapore', got {name!r}")
        return "UTC"
    return name


def read_sla(c: Checker, key: str, raw: Any) -> SlaConfig | None:
    if raw is None:
        return None
    t = c.mapping(key, raw, {"first_response_minutes", "reminder_minutes",
                             "escalation_minutes", "business_hours"})
    base = SlaConfig()
    first = c.number(f"{key}.first_response_minutes", t.get("first_response_minutes"),
                     base.first_response_minutes, minimum=0.1)
    remind = c.number(f"{key}.reminder_minutes", t.get("reminder_minutes"),
                      min(base.reminder_minutes, first), minimum=0.1)
    escalate = c.number(f"{key}.escalation_minutes", t.get("escalation_minutes"),
                        max(base.escalation_minutes, first), minimum=0.1)
    if remind > escalate:
        c.problem(key, f"reminder_minutes ({remind:g}) must not be after escalation_minutes "
                       f"({escalate:g})")
    hours = None
    bh = c.mapping(f"{key}.business_hours", t.get("business_hours"),
                   {"start", "end", "days", "timezone"})
    if bh:
        start = c.text(f"{key}.business_hours.start", bh.get("start")) or "09:00"
        end = c.text(f"{key}.business_hours.end", bh.get("end")) or "18:00"
        for k, v in (("start", start), ("end", end)):
            if not HHMM.match(v):
                c.problem(f"{key}.business_hours.{k}", f"expected HH:MM, got {v!r}")
        days = bh.get("days") or list(BusinessHours().days)
        if not isinstance(days, list) or any(d not in WEEKDAYS for d in days):
            c.problem(f"{key}.business_hours.days", f"expected a list of {', '.join(WEEKDAYS)}")
            days = list(BusinessHours().days)
        hours = BusinessHours(start, end, tuple(days),
                              read_timezone(c, f"{key}.business_hours.timezone",
                                        bh.get("timezone")))
    return SlaConfig(first, remind, escalate, hours)


def read_glossary(c: Checker, key: str, raw: Any) -> dict[str, str | None]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        c.problem(key, "expected a mapping of term -> fixed translation (or null: never "
                       "translated)")
        return {}
    out: dict[str, str | None] = {}
    for term, value in raw.items():
        if value is not None and not isinstance(value, str):
            c.problem(f"{key}.{term}", f"expected text or null, got {type(value).__name__}")
            continue
        out[str(term)] = value
    return out


def read_translation(c: Checker, raw: Any) -> TranslationConfig:
    t = c.mapping("translation", raw, {"provider", "api_key", "url", "region", "glossary"})
    if not t:
        return TranslationConfig()
    provider = c.text("translation.provider", t.get("provider")) or "google"
    if provider not in TRANSLATION_PROVIDERS:
        c.problem("translation.provider", f"expected one of {', '.join(TRANSLATION_PROVIDERS)}, "
                                          f"got {provider!r}")
    url = c.text("translation.url", t.get("url"))
    if provider == "libre" and not url:
        c.problem("translation.url", "is required for LibreTranslate (its base URL)")
    if provider in ("deepl", "microsoft") and not t.get("api_key"):
        c.problem("translation.api_key", f"is required for {provider}")
    return TranslationConfig(provider=provider, api_key=str(t.get("api_key") or ""), url=url,
                             region=c.text("translation.region", t.get("region")),
                             glossary=read_glossary(c, "translation.glossary",
                                                     t.get("glossary")))
