"""Sessions in a signed cookie, CSRF tokens for every form and POST, and the site's secret key."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from paperwire.config import Settings
from paperwire.errors import PaperwireError
from paperwire.store import Store
from paperwire.store.state import get_state, set_state

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfError(PaperwireError):
    status = 403


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


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use), for forms and for JavaScript requests."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request whose CSRF token (form field or header) does not match the session's."""
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise CsrfError("the form has expired or did not come from this site: reload the page and try again")
