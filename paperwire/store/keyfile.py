"""A secret kept in a file readable by its owner only (mode 0600), created once even under a race.

The new file is written in full under a private temporary name (O_CREAT | O_EXCL, 0600) and then
hard-linked to its final name, which fails if the name exists: the first writer wins, every other
starter reads that writer's key, and nobody ever reads a half-written file.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import stat
import time
from pathlib import Path

from paperwire.errors import ConfigError

log = logging.getLogger("paperwire.store")


def read_or_create(path: Path, new_key: str) -> str:
    """The key kept in `path`; when there is none yet, `new_key` written there first. Safe between processes."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _create(path, new_key)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the secret key file {path}: {exc.strerror or exc}; make its folder "
            "writable or set PAPERWIRE_SECRET_KEY"
        ) from None
    return _read(path)


def _create(path: Path, key: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    _write_new(temporary, key)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another starter won: its key is read back
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        try:  # a file system without hard links: create the final name exclusively instead
            _write_new(path, key)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the new name survives a power cut: a lost key would end every session
    finally:
        os.close(folder)


def _write_new(path: Path, key: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(key + "\n")
        out.flush()
        os.fsync(out.fileno())


def _read(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("the secret key file %s can be read by other users (mode %o): chmod 600 it", path, mode)
    for _ in range(50):  # only a file system without hard links shows a key before it is written
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
        time.sleep(0.05)
    raise ConfigError(
        f"the secret key file {path} is empty: delete it to have a new key made "
        "(signing everyone out) or put the key in it"
    )
