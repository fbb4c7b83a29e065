"""Sessions in a signed cookie, CSRF tokens for every form and POST, and the site's secret key."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from paperwire.errors import PaperwireError

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfError(PaperwireError):
    status = 403


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
