"""Machine translation through deep-translator, kept off the event loop.

deep-translator is synchronous (``requests``) and passes no timeout to it, so
every call runs on a small pool of our own threads and is awaited with a
timeout. The pool is ours rather than the loop's default executor so a slow or
hung provider can only hold translation threads, never anyone else's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import requests
from deep_translator import DeeplTranslator, GoogleTranslator, LibreTranslator, MicrosoftTranslator
from deep_translator import exceptions as dt
from deep_translator.base import BaseTranslator

from bot.config_sections import TranslationConfig
from bot.translation.phrasebook import NotInPhrasebook, Phrasebook

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
WORKERS = 4


class TranslationError(Exception):
    """Any failure of a translation; ``str()`` is plain words, never a secret."""


def normalise(lang: str) -> str:
    """``pt_BR`` / ``PT-br`` → ``pt-br``: one spelling for memory keys."""
    return lang.strip().replace("_", "-").lower()


def same_language(a: str | None, b: str | None) -> bool:
    """Same primary language (``en-US`` is ``en``); ``auto`` is never the same."""
    if not a or not b or "auto" in (a, b):
        return False
    return normalise(a).split("-")[0] == normalise(b).split("-")[0]


def provider_code(provider: str, lang: str) -> str:
    """A language code as this provider spells it."""
    if lang == "auto":
        return lang
    code = normalise(lang)
    base = code.split("-")[0]
    traditional = any(tag in code for tag in ("tw", "hk", "mo", "hant"))
    if provider == "google":
        if base == "zh":
            return "zh-TW" if traditional else "zh-CN"
        return {"he": "iw", "fil": "tl", "jv": "jw"}.get(base, base)
    if provider == "microsoft" and base == "zh":
        return "zh-hant" if traditional else "zh-hans"
    return base


class Translating(Protocol):
    """One translator, for one source and target language (deep-translator's and
    the demo phrasebook)."""

    def translate(self, text: str) -> str: ...


Factory = Callable[[str, str], Translating]


def _factories(cfg: TranslationConfig) -> dict[str, Factory]:
    key = cfg.api_key
    base_url = (cfg.url or "").rstrip("/") + "/"  # deep-translator appends "translate"
    return {
        "google": lambda s, t: GoogleTranslator(source=s, target=t),
        # DeepL's free-tier keys end in ":fx" and live on another host.
        "deepl": lambda s, t: DeeplTranslator(api_key=key, source=s, target=t,
                                              use_free_api=key.endswith(":fx")),
        "microsoft": lambda s, t: MicrosoftTranslator(api_key=key, region=cfg.region,
                                                      source=s, target=t),
        # deep-translator insists on a key; a self-hosted server without keys ignores it.
        "libre": lambda s, t: LibreTranslator(api_key=key or "none", source=s, target=t,
                                              custom_url=base_url, use_free_api=False),
        # Offline, for the demo and the sandbox only (bot/translation/phrasebook.py).
        "demo": Phrasebook,
    }


def _words(exc: Exception) -> str:
    """What went wrong, without the exception's text: deep-translator puts the API
    key into AuthorizationException, and request URLs carry DeepL's key."""
    if isinstance(exc, NotInPhrasebook):
        return str(exc)  # our own words, no secret in them
    if isinstance(exc, dt.AuthorizationException | dt.ApiKeyException):
        return "the translation provider rejected the API key"
    if isinstance(exc, dt.TooManyRequests):
        return "the translation provider is rate limiting us"
    if isinstance(exc, dt.ServerException):
        return f"the translation provider answered with an error ({exc.args[0]})"
    if isinstance(exc, dt.LanguageNotSupportedException):
        return "the translation provider does not support this language"
    if isinstance(exc, dt.NotValidLength | dt.NotValidPayload):
        return "the text is too long for the translation provider"
    if isinstance(exc, dt.TranslationNotFound):
        return "the translation provider returned no translation"
    if isinstance(exc, dt.RequestError):  # Google: any non-2xx answer
        return "the translation provider refused the request"
    if isinstance(exc, requests.RequestException | OSError):
        return "the translation provider could not be reached"
    return f"the translation provider failed ({type(exc).__name__})"


class Provider:
    """One configured provider: ``await translate(text, source, target)``."""

    def __init__(self, name: str, factory: Factory, *, timeout: float = DEFAULT_TIMEOUT,
                 workers: int = WORKERS) -> None:
        self.name = name
        self.timeout = timeout
        self._factory = factory
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix=f"translate-{name}")
        # Acquired before the timed call, so the timeout measures the provider,
        # not the queue behind a burst of other texts.
        self._slots = asyncio.Semaphore(workers)

    @classmethod
    def from_config(cls, cfg: TranslationConfig, *, timeout: float = DEFAULT_TIMEOUT
                    ) -> Provider:
        return cls(cfg.provider, _factories(cfg)[cfg.provider], timeout=timeout)

    async def translate(self, text: str, source: str, target: str) -> str:
        async with self._slots:
            loop = asyncio.get_running_loop()
            call = loop.run_in_executor(self._pool, self._call, text, source, target)
            try:
                return await asyncio.wait_for(call, self.timeout)
            except TimeoutError:
                raise TranslationError(f"the translation provider did not answer within "
                                       f"{self.timeout:g} s") from None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- in a worker thread ------------------------------------------------------------
    def _call(self, text: str, source: str, target: str) -> str:
        try:
            out = self._make(provider_code(self.name, source),
                             provider_code(self.name, target)).translate(text)
        except Exception as e:  # noqa: BLE001 - every provider failure becomes one type
            log.info("%s translation failed: %s", self.name, type(e).__name__)
            raise TranslationError(_words(e)) from None  # no chained secret-bearing text
        if not isinstance(out, str) or not out.strip():
            raise TranslationError("the translation provider returned no translation")
        return out

    def _make(self, source: str, target: str) -> Translating:
        try:
            translator = self._factory(source, target)
        except dt.LanguageNotSupportedException:
            if source == "auto":
                raise
            # The platform's label for the buyer's language may be unknown to this
            # provider: let it detect instead (an unsupported target still fails).
            translator = self._factory("auto", target)
            source = "auto"
        if (source == "auto" and self.name in ("deepl", "microsoft")
                and isinstance(translator, BaseTranslator)):
            # These APIs detect when the source parameter is absent; "auto" is an
            # error there. requests drops parameters whose value is None.
            translator._source = None
        return translator
