"""The key that signs sign-off decisions; it lives outside MLflow.

``WORKBENCH_SIGNING_KEY`` when set (a shared secret, e.g. from the bank's vault, for several
machines on one tracking server), else the key file ``<state dir>/.workbench-signing-key``,
created on first use with ``secrets`` and mode 0600. A key file that group or others may read
or write is refused: anyone who can read the key can forge a decision.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from ..paths import state_dir

__all__ = ["KEY_ENV", "KEY_FILE_NAME", "SigningKeyError", "key_file", "signing_key", "key_source"]

KEY_ENV = "WORKBENCH_SIGNING_KEY"
KEY_FILE_NAME = ".workbench-signing-key"
MIN_KEY_CHARS = 16


class SigningKeyError(Exception):
    """No usable signing key: missing, too short, or a key file others can read."""


def key_file() -> Path:
    """Where the key file is (whether or not it exists)."""
    return state_dir() / KEY_FILE_NAME


def key_source() -> str:
    """Where the key comes from, for messages: the environment variable or the file."""
    return f"${KEY_ENV}" if os.environ.get(KEY_ENV, "").strip() else str(key_file())


def signing_key(*, create: bool = False) -> bytes:
    """The signing key. ``create=True`` (recording a decision) makes the key file when there is
    none; verifying never does (a fresh key could only say that nothing verifies)."""
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        if len(env) < MIN_KEY_CHARS:
            raise SigningKeyError(f"{KEY_ENV} holds {len(env)} characters; a signing key needs at least "
                                  f"{MIN_KEY_CHARS} (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return env.encode("utf-8")
    path = key_file()
    if not path.exists():
        if not create:
            raise SigningKeyError(
                f"no signing key: {KEY_ENV} is not set and there is no key file {path}. The sign-off decisions "
                f"were signed with a key that is not on this machine: set {KEY_ENV} or restore {path}")
        _create_key_file(path)
    _check_permissions(path)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SigningKeyError(f"cannot read the signing key file {path}: {exc}") from None
    if len(text) < MIN_KEY_CHARS:
        raise SigningKeyError(f"signing key file {path} is empty or truncated ({len(text)} characters): restore it "
                              f"from its backup (decisions it signed cannot be verified without it)")
    return text.encode("utf-8")


def _create_key_file(path: Path) -> None:
    """Write a new random key with mode 0600, atomically (a half-written key is never read)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # fails if another process made the key first: theirs wins
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


def _check_permissions(path: Path) -> None:
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SigningKeyError(
            f"signing key file {path} is readable or writable by group or others (mode {mode:03o}); anyone who "
            f"can read it can forge a sign-off. Make it the owner's alone: chmod 600 {path}")
