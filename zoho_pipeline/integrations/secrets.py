"""Encryption at rest for Zoho client secrets, refresh tokens and cached access tokens (Fernet).

The key comes from `ZOHO_PIPELINE_SECRET_KEY` when it is set (any high-entropy string; a Fernet key is
derived from it), else from `<home>/secret.key`, generated on first use and readable only by its owner.
Secrets never appear in messages: errors name the integration and what to do, never the value.
"""
from __future__ import annotations

import base64
import hashlib
import os
import stat
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from zoho_pipeline import settings
from zoho_pipeline.errors import UserError

KEY_ENV = "ZOHO_PIPELINE_SECRET_KEY"
KEY_FILE = "secret.key"


class SecretKeyError(UserError):
    """The encryption key is missing, unreadable or not the one the secrets were encrypted with."""


class SecretBox:
    """Encrypts and decrypts the secrets of integrations with one Fernet key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"

    @classmethod
    def from_settings(cls) -> SecretBox:
        """The key from `ZOHO_PIPELINE_SECRET_KEY`, else the owner-only key file under home."""
        passphrase = os.environ.get(KEY_ENV, "")
        if passphrase.strip():
            return cls(derive_key(passphrase.strip()))
        return cls(load_or_create_key_file(settings.home() / KEY_FILE))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str, what: str) -> str:
        """Plain text of `ciphertext`; `what` names the secret in the error (never its value)."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise SecretKeyError(
                f"cannot decrypt {what}: the key ({KEY_ENV} or {KEY_FILE} under ZOHO_PIPELINE_HOME) is not "
                "the one it was encrypted with; restore that key, or remove the integration and add it again"
            ) from None


def derive_key(passphrase: str) -> bytes:
    """A Fernet key from the configured secret (SHA-256; the secret is expected to be random, not a word)."""
    digest = hashlib.sha256(b"zoho-pipeline/control-store/v1\0" + passphrase.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key file, creating it (mode 0600, atomically) the first time."""
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    key = Fernet.generate_key()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    return key


def _read_key_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretKeyError(f"{path} can be read by other users: run `chmod 600 {path}`")
    key = path.read_bytes().strip()
    if not key:
        # Another process is between creating the file and writing it.
        for _ in range(50):
            time.sleep(0.02)
            key = path.read_bytes().strip()
            if key:
                break
    try:
        Fernet(key)
    except ValueError:
        raise SecretKeyError(
            f"{path} is not a valid key file: restore it from a backup (or set {KEY_ENV})"
        ) from None
    return key
