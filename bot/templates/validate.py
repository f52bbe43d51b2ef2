"""What makes a template acceptable; shared by the YAML import and the Slack editor."""

from __future__ import annotations

import re

from bot.templates.placeholders import KNOWN, unknown_in

MAX_TOPIC = 40  # "Topic — Name" must fit Slack's 75-character option text
MAX_NAME = 32
MAX_BODY = 3000  # a plain_text_input holds at most 3000 characters
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


def problems(topic: object, name: object, body: object, variants: object
             ) -> list[tuple[str, str]]:
    """Every problem as ``(field, message)``; an empty list means the template is fine.
    ``field`` is topic, name, body or ``variants.<code>``."""
    found: list[tuple[str, str]] = []
    for key, value, limit in (("topic", topic, MAX_TOPIC), ("name", name, MAX_NAME)):
        if not isinstance(value, str) or not value.strip():
            found.append((key, "is required (text)"))
        elif len(value.strip()) > limit:
            found.append((key, f"is {len(value.strip())} characters; at most {limit}"))
        elif "/" in value and key == "name":
            found.append((key, "cannot contain '/' (`/reply topic/name` uses it)"))
    found += _text_problems("body", body)
    if variants is None:
        return found
    if not isinstance(variants, dict):
        return [*found, ("variants", "expected a mapping of language code to text")]
    for code, text in variants.items():
        if not isinstance(code, str) or not LANGUAGE_CODE.match(code):
            found.append((f"variants.{code}", "is not a language code such as vi, th or "
                                              "zh-tw (lower case)"))
            continue
        found += _text_problems(f"variants.{code}", text)
    return found


def _text_problems(key: str, text: object) -> list[tuple[str, str]]:
    if not isinstance(text, str) or not text.strip():
        return [(key, "is required (text)")]
    out = []
    if len(text) > MAX_BODY:
        out.append((key, f"is {len(text)} characters; at most {MAX_BODY}"))
    unknown = unknown_in(text)
    if unknown:
        names = ", ".join("{" + n + "}" for n in unknown)
        known = ", ".join("{" + n + "}" for n in KNOWN)
        out.append((key, f"uses unknown placeholder(s) {names} (known: {known})"))
    return out
