"""Names a buyer chose, made safe to display next to names our agents have.

A buyer's nickname ends up in Slack as a message's author name, in the card and in
alerts. Characters that change how *surrounding* text looks are removed so a name
cannot hide or reorder what StoreBridge writes after it (" (buyer)"):

- line breaks and other control characters (Cc, Zl, Zp): a name is one line;
- format characters (Cf): zero-width spaces and joiners, the byte-order mark, and
  the bidi controls (U+202A–202E, U+2066–2069) that could make " (buyer)" read
  backwards or appear before the name. Emoji joined with U+200D fall apart into
  their parts; no language of our markets needs a joiner in a name;
- runs of combining marks are capped at three per character (Thai and Vietnamese
  need at most two after NFC), so a stack cannot paint over the next word;
- any whitespace run becomes one space.

Look-alike brackets (fullwidth "（buyer）") are left alone: StoreBridge's own suffix
always follows the name and is never cut, so a fake one cannot replace it.
"""

from __future__ import annotations

import unicodedata

MAX_COMBINING = 3


def clean_display_name(text: str) -> str:
    out: list[str] = []
    combining = 0
    for ch in unicodedata.normalize("NFC", text):
        cat = unicodedata.category(ch)
        if ch.isspace() or cat in ("Cc", "Zl", "Zp", "Zs"):
            ch = " "
        elif cat == "Cf":
            continue
        if cat in ("Mn", "Me"):
            combining += 1
            if combining > MAX_COMBINING:
                continue
        else:
            combining = 0
        if ch == " " and (not out or out[-1] == " "):
            continue
        out.append(ch)
    return "".join(out).strip()
