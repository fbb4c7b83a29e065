"""The site's secret key, which signs sessions and the links sent by email (sign-in, confirm, unsubscribe)."""

from __future__ import annotations

import secrets

from paperwire.config import Settings
from paperwire.store import Store
from paperwire.store.state import get_state, set_state


def secret_key(settings: Settings, store: Store) -> str:
    """The configured secret, or one generated on first start and shared through the database by all workers."""
    if settings.secret_key:
        return settings.secret_key
    key = get_state(store, "web:secret_key")
    if key is None:
        try:
            set_state(store, "web:secret_key", secrets.token_urlsafe(48))
        except Exception:  # noqa: BLE001 - another worker won the race; read its key below
            pass
        key = get_state(store, "web:secret_key")
    assert key is not None
    return key
