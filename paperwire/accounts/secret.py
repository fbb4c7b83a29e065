"""The site's secret key, which signs sessions and the links sent by email (sign-in, confirm, unsubscribe).

PAPERWIRE_SECRET_KEY when set; otherwise a key generated on first start and kept in `<home>/secret_key`
(mode 0600), shared by every worker of the host. It is never kept in the database, where every backup
and dump would carry it: a key that an older version kept there is moved to the file once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from paperwire.config import Settings
from paperwire.store import Store
from paperwire.store.keyfile import read_or_create
from paperwire.store.state import delete_state, get_state, set_state

KEY_FILE = "secret_key"
_LEGACY = "web:secret_key"  # where versions before the key file kept a generated key
_FINGERPRINT = "web:secret_key_sha256"
log = logging.getLogger("paperwire.accounts")
_known: dict[Path, str] = {}
_lock = threading.Lock()


def key_file(settings: Settings) -> Path:
    """Where a generated key is kept."""
    return Path(settings.home).resolve() / KEY_FILE


def secret_key(settings: Settings, store: Store) -> str:
    """The configured secret, or the one kept in the home's key file (made on first start); read once per process."""
    if settings.secret_key:
        return settings.secret_key
    path = key_file(settings)
    with _lock:
        if path not in _known:
            _known[path] = _load(path, store)
        return _known[path]


def _load(path: Path, store: Store) -> str:
    legacy = get_state(store, _LEGACY)
    key = read_or_create(path, legacy or secrets.token_urlsafe(48))
    if legacy is not None:
        if legacy != key:
            log.warning("the database held a signing key other than the one in %s; the file's key is used", path)
        try:
            delete_state(store, _LEGACY, legacy)
            log.info("moved the signing key from the database to %s", path)
        except SQLAlchemyError as exc:  # e.g. a read-only database: the next start with write access does it
            log.warning("the signing key is still in the database as well (could not delete it: %s)", exc)
    _check_shared(store, key, path)
    return key


def _check_shared(store: Store, key: str, path: Path) -> None:
    """Warn when the database last saw another key: machines serving one site must share it (or set
    PAPERWIRE_SECRET_KEY), else each refuses the others' sessions and links. Only a hash is stored."""
    fingerprint = hashlib.sha256(key.encode()).hexdigest()
    seen = get_state(store, _FINGERPRINT)
    if seen == fingerprint:
        return
    if seen is not None:
        log.warning(
            "the signing key in %s is not the one this database was last used with: sessions and mailed "
            "links made before are refused. If several machines serve this site, copy one key file to all "
            "of them or set PAPERWIRE_SECRET_KEY",
            path,
        )
    try:
        set_state(store, _FINGERPRINT, fingerprint)
    except SQLAlchemyError:  # a read-only database: nothing to compare with until it is writable
        pass
