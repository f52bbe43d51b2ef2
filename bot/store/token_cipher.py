"""Marketplace tokens encrypted at rest (Fernet, several keys for rotation).

``STOREBRIDGE_SECRET_KEY`` lists one or more Fernet keys, comma-separated: the
first encrypts, every one decrypts, so a new key goes first and the old one stays
after it until the service has started once (start re-encrypts every row under
the first key; see :meth:`bot.store.bookkeeping.Bookkeeping.seal_tokens`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_ENV = "STOREBRIDGE_SECRET_KEY"
MAKE_KEY = ('python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"')
#: Marks a sealed value; a row without it is a plaintext token from before encryption.
PREFIX = "fernet:"


class SecretKeyError(Exception):
    """The key is missing, malformed or not the one the tokens were sealed with.
    The message says what to do; it is meant to be shown as is."""


#: A secret that is not a Fernet key (a platform's generated secret, such as
#: Heroku's 64 hex characters from app.json) must be at least this long.
MIN_SECRET = 32


def _fernet(key: str) -> Fernet:
    """A Fernet key as is; any other secret of at least 32 characters is stretched
    into one with HKDF-SHA256 (so a deploy platform's generated secret works)."""
    try:
        return Fernet(key.encode())
    except ValueError:
        pass
    if len(key) < MIN_SECRET:
        raise SecretKeyError(
            f"{SECRET_ENV} holds a key that is neither a Fernet key (32 url-safe base64 "
            f"bytes) nor a secret of at least {MIN_SECRET} characters (keys are "
            f"comma-separated). Make one with: {MAKE_KEY}")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"storebridge marketplace tokens").derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class TokenCipher:
    def __init__(self, keys: str | None) -> None:
        names = [k.strip() for k in (keys or "").split(",") if k.strip()]
        self._fernet: MultiFernet | None = None
        self._first: Fernet | None = None
        if names:
            fernets = [_fernet(k) for k in names]
            self._fernet, self._first = MultiFernet(fernets), fernets[0]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TokenCipher:
        return cls(env.get(SECRET_ENV))

    @property
    def ready(self) -> bool:
        return self._fernet is not None

    def _need(self) -> MultiFernet:
        if self._fernet is None:
            raise SecretKeyError(
                f"{SECRET_ENV} is not set, so marketplace tokens cannot be stored "
                f"(they are kept encrypted). Make a key with: {MAKE_KEY}")
        return self._fernet

    def seal(self, text: str) -> str:
        if not text:
            return text  # an absent refresh token stays absent, not a ciphertext of ""
        return PREFIX + self._need().encrypt(text.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # plaintext from before encryption; sealed at the next start
        try:
            return self._need().decrypt(stored[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                f"the marketplace tokens in the database were encrypted with another key: "
                f"put the key they were sealed with in {SECRET_ENV} (after the new one, "
                "comma-separated, to rotate)") from None

    def reseal(self, stored: str) -> str | None:
        """The value sealed under the first key, or None when it already is."""
        if not stored:
            return None
        if not stored.startswith(PREFIX):
            return self.seal(stored)
        body = stored[len(PREFIX):].encode()
        try:
            if self._first is not None:
                self._first.decrypt(body)
                return None  # already under the first key: leave the row alone
        except InvalidToken:
            pass
        self.open(stored)  # raises the clear message when no key opens it
        return PREFIX + self._need().rotate(body).decode()
