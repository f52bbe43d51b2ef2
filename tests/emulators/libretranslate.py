"""A LibreTranslate API emulator: deep-translator's real ``LibreTranslator`` reaches it
over HTTP on 127.0.0.1.

It takes ``POST /translate`` the way LibreTranslate does: ``q``, ``source``,
``target``, ``format`` and ``api_key`` as a JSON body, a form, or the query string
(deep-translator sends the query string; LibreTranslate reads ``request.values``).
Translations are deterministic: a small phrase table per language pair, else a
word table with a recognisable ``[vi→en] …`` marker. ``source: auto`` is detected
from those tables (text it does not recognise is taken to be in the target
language and comes back unchanged, as a real engine does with same-language text).
It checks the API key (403), answers 429/500 on command, can be slow, and counts
the calls per text so tests can prove what reached the provider.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, deque
from typing import Any

from aiohttp import web

API_KEY = "libre-test-key-0001"

PHRASES: dict[tuple[str, str], dict[str, str]] = {
    ("vi", "en"): {
        "Còn size M không?": "Is size M still available?",
        "Khi nào giao hàng?": "When will it be delivered?",
        "Cảm ơn shop": "Thank you, shop",
        "Đơn hàng của tôi đâu?": "Where is my order?",
    },
    ("en", "vi"): {
        "Your order has shipped.": "Đơn hàng của bạn đã được gửi đi.",
        "Yes, size M is in stock.": "Vâng, size M vẫn còn hàng.",
    },
    ("id", "en"): {
        "Kapan pesanan saya dikirim?": "When will my order be shipped?",
    },
}
WORDS: dict[tuple[str, str], dict[str, str]] = {
    ("vi", "en"): {"áo": "shirt", "thun": "cotton", "hoa": "flower", "mai": "apricot",
                   "còn": "still", "không": "not", "màu": "colour", "đỏ": "red",
                   "có": "have", "giao": "deliver", "hàng": "goods"},
    ("en", "vi"): {"order": "đơn hàng", "shirt": "áo", "red": "đỏ", "thanks": "cảm ơn"},
}
NAMES = {"en": "English", "vi": "Vietnamese", "id": "Indonesian", "zh": "Chinese",
         "ms": "Malay", "th": "Thai"}
_WORD = re.compile(r"(\w+)", re.UNICODE)


def translate(q: str, source: str, target: str) -> str:
    """The emulator's deterministic "engine"."""
    if source == target:
        return q
    phrase = PHRASES.get((source, target), {}).get(q)
    if phrase is not None:
        return phrase
    words = WORDS.get((source, target), {})
    body = "".join(words.get(part.lower(), part) if i % 2 else part
                   for i, part in enumerate(_WORD.split(q)))
    return f"[{source}→{target}] {body}"


def detect(q: str, target: str) -> str:
    for (source, tgt), table in PHRASES.items():
        if tgt == target and q in table:
            return source
    lowered = {w.lower() for w in _WORD.findall(q)}
    for (source, tgt), table in WORDS.items():
        if tgt == target and lowered & table.keys():
            return source
    return target


class LibreTranslateEmulator:
    def __init__(self, *, api_key: str | None = API_KEY) -> None:
        self.api_key = api_key  # None: the server takes requests without a key
        self.delay = 0.0  # seconds before each answer
        self.calls: Counter[str] = Counter()  # q -> how many /translate requests carried it
        self.requests: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._failures: deque[int] = deque()
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- commands ----------------------------------------------------------------------
    def fail_next(self, status: int = 500, count: int = 1) -> None:
        """The next ``count`` translate requests get ``status`` (429, 500, 503 …)."""
        self._failures.extend([status] * count)

    def calls_for(self, fragment: str) -> int:
        return sum(n for q, n in self.calls.items() if fragment in q)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL, as LibreTranslate's is configured (with the trailing slash)."""
        return f"http://127.0.0.1:{self._port}/"

    async def start(self) -> LibreTranslateEmulator:
        app = web.Application()
        app.router.add_post("/translate", self._translate)
        app.router.add_get("/languages", self._languages)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LibreTranslateEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- the API -----------------------------------------------------------------------
    @staticmethod
    async def _params(request: web.Request) -> dict[str, str]:
        if request.content_type == "application/json":
            body = await request.json()
            return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
        form = await request.post()
        return {**{k: str(v) for k, v in request.query.items()},
                **{k: str(v) for k, v in form.items()}}

    async def _translate(self, request: web.Request) -> web.Response:
        p = await self._params(request)
        self.requests.append(p)
        if self.api_key is not None and p.get("api_key") != self.api_key:
            return web.json_response({"error": "Invalid API key"}, status=403)
        q, source, target = p.get("q"), p.get("source", ""), p.get("target", "")
        if not q:
            return web.json_response({"error": "Invalid request: missing q parameter"},
                                     status=400)
        if target not in NAMES or (source != "auto" and source not in NAMES):
            return web.json_response({"error": f"{source or target} is not supported"},
                                     status=400)
        self.calls[q] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self._failures:
                status = self._failures.popleft()
                words = "Slowdown: too many requests" if status == 429 else "Internal error"
                return web.json_response({"error": words}, status=status)
        finally:
            self.in_flight -= 1
        answer: dict[str, Any] = {}
        if source == "auto":
            source = detect(q, target)
            answer["detectedLanguage"] = {"confidence": 90.0, "language": source}
        answer["translatedText"] = translate(q, source, target)
        return web.json_response(answer)

    async def _languages(self, request: web.Request) -> web.Response:
        return web.json_response([{"code": code, "name": name,
                                   "targets": [c for c in NAMES if c != code]}
                                  for code, name in NAMES.items()])
