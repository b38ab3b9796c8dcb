"""The key that signs what the API hands out and later takes back (search cursors), so a client can
neither forge nor alter one.

``NUTMEG_SECRET_KEY`` sets it. Unset, a key is generated once and kept in ``NUTMEG_SECRET_KEY_FILE``
(beside an SQLite store by default): every process of one deployment (``serve --workers N``, the CLI)
reads the same file, and the first to start creates it atomically (written to a temporary file, then
hard-linked into place, so no process ever reads half a key). Deployments on several hosts set
``NUTMEG_SECRET_KEY`` (or point the file at shared storage) so a cursor from one host works on another.
An in-memory store gets a key that lives as long as the process.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from catalog_api.settings import Settings

MIN_KEY_CHARS = 32


class SecretKeyError(RuntimeError):
    """The kept key file cannot be read or holds no usable key."""


def signing_key(settings: Settings) -> bytes:
    """The deployment's signing key: configured, kept in its file, or made for this process."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = settings.resolved_secret_key_file
    if path is None:
        return secrets.token_bytes(32)
    return kept_key(Path(path))


def kept_key(path: Path) -> bytes:
    """The key in ``path``, created there first if no process has yet."""
    if not path.exists():
        _create(path)
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretKeyError(f"cannot read the secret key file {path}: {exc}; set NUTMEG_SECRET_KEY") from None
    if len(key) < MIN_KEY_CHARS:
        raise SecretKeyError(f"the secret key file {path} holds no usable key; delete it to make a new one")
    return key.encode()


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".secret-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
