"""Which language a buyer writes: detection on short chat texts, and the rule that
combines it with what the platform reports and the store's site.

Detection is offline (py3langid, restricted to the sellers' languages; see the
README's "Buyer language" section for the benchmark that chose it). Scripts decide what they
can before any model runs: Thai script is Thai, and Chinese is split into
``zh-Hans`` / ``zh-Hant`` by its characters (hanzidentifier), which no general
detector does. Texts too short to say anything (``ok``, ``👍``, an order number)
give ``None``, and so does an answer the model is not sure of.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable

import hanzidentifier
from py3langid.langid import MODEL_FILE, LanguageIdentifier

#: What detect() can answer.
SUPPORTED = ("vi", "th", "ms", "id", "tl", "zh-Hans", "zh-Hant", "pt", "es", "en")

#: A store's site -> the languages its buyers are expected to write, default first.
SITE_LANGUAGES: dict[str, tuple[str, ...]] = {
    "SG": ("en",), "MY": ("ms", "en"), "VN": ("vi",), "TH": ("th",), "PH": ("en", "tl"),
    "ID": ("id",), "TW": ("zh-Hant",), "BR": ("pt",), "MX": ("es",), "CO": ("es",),
    "CL": ("es",), "AR": ("es",), "US": ("en",), "GB": ("en",),
}
FALLBACK = "en"

#: Pairs the detector cannot tell apart in chat (the benchmark: most Malay messages
#: come back Indonesian). Within a family the site decides.
FAMILIES = (frozenset({"ms", "id"}),)

# py3langid's probability among our Latin-script languages. 0.8 gave no wrong answer
# on the benchmark sample (155 of 160 right, 5 unsure); 0.6 gave one wrong.
MIN_CONFIDENCE = 0.8
MIN_LETTERS = 8  # Latin-script letters below which a text says nothing ("ok", "Hi")
MIN_WORDS = 2
MIN_SHARE = 0.6  # of a buyer's detected messages, for their language to count

_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|[@#]\w+|\d+")
_MODEL_CODES = ("vi", "ms", "id", "tl", "pt", "es", "en")  # scripts settle th and zh
_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def _model() -> LanguageIdentifier:
    global _identifier
    with _lock:  # built once, on first use or by warm_up()
        if _identifier is None:
            model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            model.set_languages(list(_MODEL_CODES))
            # The full model (97 languages) stays referenced for a later
            # set_languages; ours never changes, and dropping it frees ~26 MB of RSS.
            model._full_model = (model.nb_ptc, model.nb_pc, model.nb_classes)
            _identifier = model
        return _identifier


def warm_up() -> None:
    """Load the model now (under a second, ~80 MiB: call it off the event loop at
    start-up rather than on the first buyer message)."""
    _model()


def _script(ch: str) -> str:
    if not ch.isalpha():
        return ""
    name = unicodedata.name(ch, "")
    for script in ("THAI", "CJK", "HIRAGANA", "KATAKANA", "HANGUL", "LATIN"):
        if name.startswith(script):
            return script
    return "OTHER"


def chinese_variant(text: str) -> str | None:
    """``zh-Hant`` or ``zh-Hans`` by the characters used; None when every character
    is shared by both (``有黑色的``) or they are mixed."""
    kind = hanzidentifier.identify(text)
    if kind == hanzidentifier.TRADITIONAL:
        return "zh-Hant"
    if kind == hanzidentifier.SIMPLIFIED:
        return "zh-Hans"
    return None


def detect(text: str) -> str | None:
    """The language of one message (a code of :data:`SUPPORTED`), or None when the
    text is too short or the answer unsure."""
    cleaned = _NOISE.sub(" ", text)
    scripts = Counter(s for s in map(_script, cleaned) if s)
    if not scripts:
        return None
    top, count = scripts.most_common(1)[0]
    if count * 2 < sum(scripts.values()):
        return None  # no script dominates: mixed text
    if top == "THAI":
        return "th" if count >= 3 else None
    if top == "CJK":
        return chinese_variant(cleaned) if count >= 2 else None
    if top != "LATIN":
        return None  # Japanese, Korean, ...: not a language our sellers serve
    words = [w for w in re.split(r"\W+", cleaned) if w]
    if count < MIN_LETTERS or len(words) < MIN_WORDS:
        return None
    ranked = _model().rank(cleaned)  # [(code, probability)], best first
    if not ranked:
        return None
    best, confidence = ranked[0][0], float(ranked[0][1])
    if len(ranked) > 1 and any({best, ranked[1][0]} <= family for family in FAMILIES):
        confidence += float(ranked[1][1])  # sure of the family, if not of the member
    return best if confidence >= MIN_CONFIDENCE else None


def normalize(code: str | None) -> str | None:
    """A language tag from elsewhere (``zh-TW``, ``pt_BR``, ``fil``) as one of ours,
    or its primary subtag (plain ``zh`` stays ``zh``: no script named)."""
    tag = (code or "").strip().replace("_", "-").lower()
    if not tag:
        return None
    if tag.startswith("zh-"):
        if tag in ("zh-tw", "zh-hk", "zh-mo") or "hant" in tag:
            return "zh-Hant"
        if tag in ("zh-cn", "zh-sg", "zh-my") or "hans" in tag:
            return "zh-Hans"
    primary = tag.split("-")[0]
    return {"fil": "tl", "in": "id", "zsm": "ms", "may": "ms"}.get(primary, primary)


def site_language(site: str | None) -> str:
    return SITE_LANGUAGES.get((site or "").upper(), (FALLBACK,))[0]


def _confident(votes: Counter[str], site_langs: tuple[str, ...]) -> str | None:
    if not votes:
        return None
    (lang, n), total = votes.most_common(1)[0], sum(votes.values())
    tied = sum(1 for c in votes.values() if c == n) > 1
    if tied or n < MIN_SHARE * total or (lang not in site_langs and n < 2):
        return None
    for family in FAMILIES:
        if lang in family:
            return next((s for s in site_langs if s in family), lang)
    return lang


def buyer_language(detected_history: Iterable[str | None], site: str | None,
                   platform_reported: str | None = None) -> str:
    """The language to answer a buyer in.

    1. What the platform reports wins (it knows the buyer's app setting). A bare
       ``zh`` takes its script from the buyer's messages, else from the site, else
       simplified.
    2. Else the language detected in the buyer's messages, once it is confident:
       it holds at least 60 % of the messages that had a detectable language, and
       either it is one of the site's languages or it was seen at least twice (it
       takes more evidence to leave the site's language than to confirm it).
       Within a family the detector cannot split (Malay/Indonesian), the site's
       member wins.
    3. Else the site's default (English for an unknown site).
    """
    site_langs = SITE_LANGUAGES.get((site or "").upper(), (FALLBACK,))
    votes: Counter[str] = Counter(n for n in map(normalize, detected_history) if n)
    reported = normalize(platform_reported)
    if reported == "zh":
        scripts = Counter({k: v for k, v in votes.items() if k.startswith("zh-")})
        default = next((s for s in site_langs if s.startswith("zh-")), "zh-Hans")
        # Chinese is certain here, so one message is enough to tell its script.
        return _confident(scripts, ("zh-Hans", "zh-Hant")) or default
    if reported:
        return reported
    return _confident(votes, site_langs) or site_langs[0]
