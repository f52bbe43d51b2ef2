"""Misconfiguration caught before it costs a lost message: shared by ``check`` and ``run``.

Each finding is an error (the service cannot work as configured: ``run`` refuses to
start) or a warning (it may work, but something an operator must look at).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.authz import Access
from bot.config import Settings
from bot.translation.phrasebook import WHAT

log = logging.getLogger(__name__)

#: Slack's token prefixes: bot user token, app-level token (Socket Mode).
BOT_TOKEN_PREFIX, APP_TOKEN_PREFIX = "xoxb-", "xapp-"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class Finding:
    item: str
    ok: bool
    detail: str
    warning: bool = False  # not ok, but not a reason to refuse to start


def public_url_findings(url: str | None) -> list[Finding]:
    if not url:
        return [Finding("public URL", False, "STOREBRIDGE_PUBLIC_URL is not set: marketplace "
                        "pushes and store authorization need it", warning=True)]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [Finding("public URL", False, f"STOREBRIDGE_PUBLIC_URL must be http(s)://host"
                        f"[:port], got {url!r}")]
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return [Finding("public URL", False, f"STOREBRIDGE_PUBLIC_URL must be an origin "
                        f"without a path (StoreBridge adds /webhooks/..., /oauth/...), got "
                        f"{url!r}")]
    return [Finding("public URL", True, url)]


def token_findings(settings: Settings) -> list[Finding]:
    slack, out = settings.slack, []
    if slack.bot_token and not slack.bot_token.startswith(BOT_TOKEN_PREFIX):
        out.append(Finding("slack bot token", False, f"SLACK_BOT_TOKEN must be the bot token "
                           f"({BOT_TOKEN_PREFIX}…, OAuth & Permissions), got "
                           f"{_shape(slack.bot_token)}"))
    if slack.app_token and not slack.app_token.startswith(APP_TOKEN_PREFIX):
        out.append(Finding("slack app token", False, f"SLACK_APP_TOKEN must be an app-level "
                           f"token ({APP_TOKEN_PREFIX}…, Basic Information → App-Level Tokens, "
                           f"scope connections:write), got {_shape(slack.app_token)}"))
    return out


def _shape(token: str) -> str:
    """What kind of token it is, never the token itself."""
    head = token.split("-", 1)[0] if "-" in token else ""
    return f"a {head}-… token" if head and len(head) <= 5 else "something else"


def shopee_push_findings(settings: Settings) -> list[Finding]:
    """Shopee signs ``callback URL|body`` with the URL as registered: the URL the
    service sees behind a TLS proxy (http://internal:port/...) never matches it."""
    if not any(s.connector == "shopee" for s in settings.stores):
        return []
    url = settings.public_url
    if not url:
        return [Finding("shopee push URL", False, "STOREBRIDGE_PUBLIC_URL is not set: Shopee "
                        "signs the callback URL as registered, and the URL seen here (behind a "
                        "proxy) differs, so every push would be refused as forged",
                        warning=True)]
    target = f"{url.rstrip('/')}/webhooks/shopee"
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        return [Finding("shopee push URL", False, f"{target} is plain http: if Shopee has an "
                        "https URL registered the signatures cannot match; register exactly "
                        "this URL", warning=True)]
    return [Finding("shopee push URL", True, f"register exactly {target} (push code 10)")]


async def app_token_findings(settings: Settings, session: aiohttp.ClientSession
                             ) -> list[Finding]:
    """apps.connections.open is what Socket Mode calls first; asking it now turns a
    wrong or scope-less app token into a message instead of a silent retry loop."""
    token = settings.slack.app_token
    if not token or not token.startswith(APP_TOKEN_PREFIX):
        return []
    client = AsyncWebClient(base_url=settings.slack.api_url, session=session,
                            retry_handlers=[])
    try:
        await client.apps_connections_open(app_token=token)
    except SlackApiError as e:
        error = e.response.get("error")
        hint = {"invalid_auth": "the app-level token is wrong or revoked",
                "not_allowed_token_type": "that is not an app-level token",
                "missing_scope": "the app-level token needs the connections:write scope"
                }.get(str(error), "")
        return [Finding("slack socket mode", False, f"apps.connections.open: {error}"
                        + (f" ({hint})" if hint else ""))]
    except (TimeoutError, aiohttp.ClientError) as e:
        return [Finding("slack socket mode", False, f"Slack unreachable: {type(e).__name__}",
                        warning=True)]
    return [Finding("slack socket mode", True, "app-level token accepted")]


async def public_url_reachable(url: str, session: aiohttp.ClientSession,
                               timeout: float = 10.0) -> Finding:
    """GET ``url/healthz``: can the outside world's address reach this service?"""
    target = f"{url.rstrip('/')}/healthz"
    try:
        async with session.get(target, timeout=aiohttp.ClientTimeout(total=timeout),
                               allow_redirects=False) as resp:
            if resp.status in (200, 503) and "database" in await resp.json(content_type=None):
                return Finding("public URL reachable", True, f"{target} answers")
            return Finding("public URL reachable", False, f"{target} answered HTTP "
                           f"{resp.status}, not StoreBridge's health check", warning=True)
    except (TimeoutError, aiohttp.ClientError, ValueError) as e:
        return Finding("public URL reachable", False, f"{target} unreachable "
                       f"({type(e).__name__}); pushes and OAuth callbacks will not arrive "
                       "until it is", warning=True)


def dispute_email_findings(settings: Settings) -> list[Finding]:
    """Shopee refuses a return only as a dispute, which needs the seller's e-mail: a
    Shopee store whose requests may be answered from Slack should have one."""
    access = Access(settings)
    return [Finding(f"store {s.key} dispute_email", False, "not set: refusing a Shopee "
                    "return from Slack is refused until it is (add `dispute_email: "
                    "cs@your-shop.example` to the store)", warning=True)
            for s in settings.stores
            if s.connector == "shopee" and not s.dispute_email and access.order_actions_on(s.key)]


def translation_findings(settings: Settings) -> list[Finding]:
    """The demo phrasebook works offline but knows only the sandbox's lines: a
    configuration that names it is told what it chose."""
    if settings.translation.provider != "demo":
        return []
    return [Finding("translation", False, f"provider demo is {WHAT}", warning=True)]


def static_findings(settings: Settings) -> list[Finding]:
    """What can be judged without the network."""
    return [*public_url_findings(settings.public_url), *token_findings(settings),
            *shopee_push_findings(settings), *dispute_email_findings(settings),
            *translation_findings(settings)]


async def startup_findings(settings: Settings) -> list[Finding]:
    """What ``storebridge run`` checks before serving."""
    findings = static_findings(settings)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        findings += await app_token_findings(settings, session)
    return findings


def add_self_check(app: web.Application, url: str, delay: float = 1.0) -> None:
    """Once the server listens, GET our own public ``/healthz`` and say what happened."""
    tasks: set[asyncio.Task[None]] = set()

    async def probe() -> None:
        await asyncio.sleep(delay)  # on_startup runs before the socket is bound
        async with aiohttp.ClientSession() as session:
            found = await public_url_reachable(url, session)
        (log.info if found.ok else log.warning)("%s: %s", found.item, found.detail)

    async def start(_app: web.Application) -> None:
        task = asyncio.create_task(probe())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def stop(_app: web.Application) -> None:
        for task in tasks:
            task.cancel()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
