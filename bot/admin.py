"""One-off commands that work on the database beside a running service."""

from __future__ import annotations

import getpass
import os
import socket
import sys
from collections.abc import Sequence

import aiohttp

from bot import oauth
from bot.config import Settings
from bot.connector_hub import ConnectorHub
from bot.ingest import Ingest
from bot.store import SecretKeyError, Store, TokenCipher


async def print_authorize_link(settings: Settings, platform: str,
                               store_key: str | None = None) -> int:
    try:
        cipher = TokenCipher.from_env(settings.env)
    except SecretKeyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    store = await Store.open(settings.database, cipher=cipher)
    try:
        async with aiohttp.ClientSession() as session:
            link = await oauth.authorize_link(settings, store, session, platform, store_key,
                                              issued_by=_operator())
    except oauth.AuthorizationError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 2
    finally:
        await store.close()
    meant = f"store {store_key}" if store_key else f"a new {platform} store"
    print(f"Open this link as the seller of {meant} (valid for one hour, once; a grant "
          f"for any other shop is refused):\n{link}")
    print(f"\nThe marketplace sends the seller back to {oauth.redirect_url(settings, platform)}")
    return 0


def _operator() -> str:
    """Who issued a link from the command line, as the machine knows them."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    return f"{user}@{socket.gethostname()} (command line)"


async def sync_stores(settings: Settings, keys: Sequence[str], *, full: bool) -> int:
    """Messages found are stored with their Slack work queued; the running service
    picks that work up within seconds (its sweep), so nothing here talks to Slack."""
    unknown = [k for k in keys if k not in {s.key for s in settings.stores}]
    if unknown:
        print(f"error: no such store: {', '.join(unknown)} (known: "
              f"{', '.join(s.key for s in settings.stores)})", file=sys.stderr)
        return 2
    try:
        cipher = TokenCipher.from_env(settings.env)
    except SecretKeyError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    store = await Store.open(settings.database, cipher=cipher)
    failed = 0
    try:
        async with aiohttp.ClientSession() as session:
            hub = ConnectorHub(settings, session, store.books)
            ingest = Ingest(store, hub, on_claimed=lambda ref: None)
            for key in keys or list(hub.stores):
                try:
                    count = await ingest.repair(key, full)
                except Exception as e:  # noqa: BLE001 - reported per store
                    failed += 1
                    words = getattr(e, "user_message", None) or f"{type(e).__name__}: {e}"
                    print(f"✗ {key}: {words}")
                    continue
                print(f"✓ {key}: {count} new message(s)")
            await hub.close()
    finally:
        await store.close()
    return 1 if failed else 0
