"""What ``storebridge run`` demands of ``STOREBRIDGE_SECRET_KEY`` before it starts."""

from __future__ import annotations

from bot.config import Settings
from bot.store import SecretKeyError, Store, TokenCipher
from bot.store.token_cipher import MAKE_KEY, SECRET_ENV


def needs_tokens(settings: Settings) -> bool:
    """A store reached through a marketplace (not the sandbox) keeps tokens, and so
    does any store a seller connects through the OAuth callback (a public URL)."""
    return bool(settings.public_url) or any(s.connector != "sandbox" for s in settings.stores)


async def key_refusal(settings: Settings) -> str | None:
    """None when the service may start; otherwise what to tell the operator.

    Opening the database here (rather than inside the web app's start-up) turns a
    wrong key into one clear line instead of a traceback from the event loop."""
    try:
        cipher = TokenCipher.from_env(settings.env)
    except SecretKeyError as e:
        return str(e)
    if not cipher.ready:
        if needs_tokens(settings):
            return (f"{SECRET_ENV} is not set: StoreBridge keeps marketplace tokens "
                    f"encrypted and will not store them in clear. Make a key with:\n"
                    f"  {MAKE_KEY}\nand set {SECRET_ENV} to it (keep it out of the "
                    "database's backups).")
        return None
    store = await Store.open(settings.database, cipher=cipher)
    try:
        await store.credentials.seal_tokens()
    except SecretKeyError as e:
        return str(e)
    finally:
        await store.close()
    return None
