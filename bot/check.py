"""``storebridge check``: what works and what is misconfigured, as a table."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.connector_hub import ConnectorHub, account
from bot.preflight import Finding, app_token_findings, public_url_reachable, static_findings
from bot.secret_key import key_refusal
from bot.slack_directory import ChannelNotFound, SlackDirectory
from bot.slack_errors import classify
from bot.store import SecretKeyError, Store, TokenCipher
from bot.store.migrate import schema_version
from bot.worker_status import describe, worker_status

REQUIRED_SCOPES = ("chat:write", "chat:write.customize", "reactions:write", "channels:history",
                   "groups:history", "channels:read", "groups:read", "channels:join",
                   "users:read", "commands", "im:write", "im:history", "files:read")


@dataclass(frozen=True)
class Row:
    item: str
    ok: bool
    detail: str
    warning: bool = False  # shown, but the check still passes


def _rows(findings: list[Finding]) -> list[Row]:
    return [Row(f.item, f.ok, f.detail, f.warning) for f in findings]


async def collect(settings: Settings) -> list[Row]:
    rows = [Row("config", True, f"{settings.source}: {len(settings.stores)} store(s)")]
    rows += _rows(static_findings(settings))
    try:
        cipher = TokenCipher.from_env(settings.env)
    except SecretKeyError as e:
        return [*rows, Row("secret key", False, str(e))]
    try:
        store = await Store.open(settings.database, cipher=cipher)
        rows.append(Row("database", True, f"{_shown(settings.database)} (schema v"
                                          f"{await schema_version(store.database)})"))
        rows += await _worker_rows(store)
    except Exception as e:  # noqa: BLE001 - reported in the table
        return [*rows, Row("database", False, f"{_shown(settings.database)}: {e}")]
    refusal = await key_refusal(settings)
    rows.append(Row("secret key", refusal is None, refusal or (
        "tokens are sealed" if cipher.ready else "not set; no store keeps tokens")))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        rows += await _slack_rows(settings, store, session)
        rows += _rows(await app_token_findings(settings, session))
        if any(r.item == "public URL" and r.ok for r in rows) and settings.public_url:
            rows += _rows([await public_url_reachable(settings.public_url, session)])
        try:
            hub = ConnectorHub(settings, session, store.books)
        except (KeyError, ValueError) as e:
            await store.close()
            return [*rows, Row("connectors", False, str(e))]
        results = await asyncio.gather(*(_store_row(hub, key) for key in hub.stores))
        rows += results
        for key, h in (await store.books.health()).items():
            if key in hub.stores and h["health"] != "ok":
                rows.append(Row(f"store {key} (last known)", False,
                                f"{h['health']}: {h['detail'] or ''}"))
    await store.close()
    return rows


async def _worker_rows(store: Store) -> list[Row]:
    """Who runs now and what each holds (a worker is alive while it heartbeats)."""
    now = store.database.clock()
    workers = await worker_status(store)
    if not workers:
        return [Row("workers", True, "none running now")]
    return [Row(item, True, detail) for item, detail in (describe(w, now) for w in workers)]


async def _slack_rows(settings: Settings, store: Store,
                      session: aiohttp.ClientSession) -> list[Row]:
    if not settings.slack.bot_token:
        return [Row("slack", False, "SLACK_BOT_TOKEN is not set")]
    client = AsyncWebClient(token=settings.slack.bot_token, base_url=settings.slack.api_url,
                            session=session, retry_handlers=[])
    try:
        auth = await client.auth_test()
    except Exception as e:  # noqa: BLE001
        return [Row("slack", False, f"auth.test failed: {classify(e).error}")]
    rows = [Row("slack", True, f"team {auth.get('team')} as {auth.get('user')}")]
    granted = {s.strip() for s in (auth.headers or {}).get("x-oauth-scopes", "").split(",")}
    missing = [s for s in REQUIRED_SCOPES if s not in granted]
    rows.append(Row("slack scopes", not missing,
                    "all granted" if not missing else f"missing: {', '.join(missing)} "
                    "(reinstall the app from manifest.yml)"))
    if not settings.slack.signing_secret and not settings.slack.app_token:
        rows.append(Row("slack events", False, "set SLACK_SIGNING_SECRET (HTTP) or "
                                               "SLACK_APP_TOKEN (Socket Mode)"))
    directory = SlackDirectory(client, store.books)
    refs = sorted({s.channel for s in settings.stores} |
                  ({settings.ops_channel} if settings.ops_channel else set()))
    for ref in refs:
        try:
            rows.append(Row(f"channel {ref}", True, await directory.channel_id(ref)))
        except ChannelNotFound:
            rows.append(Row(f"channel {ref}", False, "not found, or private and the bot was "
                                                     "not invited"))
        except Exception as e:  # noqa: BLE001
            rows.append(Row(f"channel {ref}", False, classify(e).error))
    return rows


async def _store_row(hub: ConnectorHub, key: str) -> Row:
    cfg = hub.stores[key]
    connector = hub.connector(cfg.connector)
    assert connector is not None
    try:
        await connector.check(account(cfg))
    except Exception as e:  # noqa: BLE001
        words = getattr(e, "user_message", None) or f"{type(e).__name__}: {e}"
        return Row(f"store {key} ({cfg.site})", False, words)
    return Row(f"store {key} ({cfg.site})", True, f"{cfg.display_name} via {cfg.connector}")


def render(rows: list[Row]) -> str:
    width = max(len(r.item) for r in rows)
    lines = [f"  {'item':<{width}}  detail", f"  {'-' * width}  {'-' * 40}"]
    lines += [f"{'✓' if r.ok else '!' if r.warning else '✗'} {r.item:<{width}}  {r.detail}"
              for r in rows]
    bad = sum(not r.ok and not r.warning for r in rows)
    warned = sum(not r.ok and r.warning for r in rows)
    lines.append(f"\n{len(rows) - bad - warned} ok, {warned} warning(s), {bad} problem(s)")
    return "\n".join(lines)


async def run_check(settings: Settings) -> int:
    rows = await collect(settings)
    print(render(rows))
    return 0 if all(r.ok or r.warning for r in rows) else 1


def _shown(target: str) -> str:
    """A database URL without its password."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", target)
