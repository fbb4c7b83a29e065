"""Sign-in by emailed one-time link: a random token, only its hash stored, signed, short-lived, single use.

The same answer goes to every address, known or not (the user is created on first sign-in),
so the form never reveals who has an account.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer

from paperwire.accounts import ratelimit
from paperwire.accounts.users import hash_token, mailbox_key, normalise_email
from paperwire.config import Settings
from paperwire.errors import Forbidden, PaperwireError
from paperwire.mail import Mailer
from paperwire.store import Store
from paperwire.store import accounts as repo

_SALT = "paperwire.signin"


class SigninLinkError(PaperwireError):
    """A sign-in link that is forged, unknown, expired or already used."""

    status = 400


def safe_next(url: str | None) -> str:
    """A local path to return to after signing in; anything else (other sites, //host) becomes "/"."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if not text.startswith("/") or text.startswith("//") or "\\" in text or parts.scheme or parts.netloc:
        return "/"
    return text


def _signer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT)


def request_link(
    store: Store,
    settings: Settings,
    mailer: Mailer,
    email: str,
    *,
    secret: str,
    ip: str | None = None,
    next_url: str | None = None,
    now: datetime | None = None,
) -> str:
    """Mail a one-time sign-in link to `email`; returns the normalised address.

    Raises InvalidInput for a malformed address, RateLimited past the per-IP limit or the per-address
    one (whose window is as long as a link lives, so the links already mailed still work meanwhile),
    MailUnavailable when the mail server cannot be reached.
    """
    address = normalise_email(email)
    now = now or datetime.now(UTC)
    if ip:
        ratelimit.hit(store, ratelimit.signin_per_ip(settings), ratelimit.client_key(ip), now=now.timestamp())
    # counted per mailbox: victim+1@ and victim+2@ reach victim@, and share its limit
    ratelimit.hit(store, ratelimit.signin_per_address(settings), mailbox_key(address), now=now.timestamp())
    raw = secrets.token_urlsafe(32)
    minutes = settings.signin_link_minutes
    with store.write() as conn:
        repo.prune_login_tokens(conn, now - timedelta(days=1))
        repo.insert_login_token(
            conn,
            {
                "token_hash": hash_token(raw),
                "email": address,
                "next_url": safe_next(next_url),
                "created_at": now,
                "expires_at": now + timedelta(minutes=minutes),
                "requested_ip": (ip or None),
            },
        )
    link = f"{settings.site_url.rstrip('/')}/signin/{_signer(secret).dumps(raw)}"
    text = (
        f"Hello,\n\nsomeone (hopefully you) asked to sign in to Paperwire at {settings.site_url} with this address.\n"
        f"Open this link within {minutes} minutes to sign in; it works once:\n\n{link}\n\n"
        "If you did not ask for it, ignore this mail: nothing happens without the link.\n"
    )
    mailer.send(mailer.message(address, "Your Paperwire sign-in link", text))
    return address


def check_link(store: Store, token: str, *, secret: str) -> dict[str, Any]:
    """The pending sign-in of a link (email, next_url, expires_at) without using it; SigninLinkError if unusable."""
    raw = _unsign(token, secret)
    with store.read() as conn:
        row = repo.get_login_token(conn, hash_token(raw))
    _check_row(row)
    assert row is not None
    return row


def use_link(store: Store, token: str, *, secret: str) -> tuple[dict[str, Any], str]:
    """Use a sign-in link once: returns the user (created on first sign-in) and where to go next."""
    raw = _unsign(token, secret)
    digest = hash_token(raw)
    now = datetime.now(UTC)
    with store.write() as conn:
        row = repo.get_login_token(conn, digest)
        _check_row(row, now)
        assert row is not None
        if not repo.use_login_token(conn, digest, now):
            raise SigninLinkError("this sign-in link has already been used: ask for a new one")
        user, _ = repo.ensure_user(conn, row["email"], now=now)
        if user["blocked_at"] is not None:
            raise Forbidden("this account is blocked")
        repo.update_user(conn, user["id"], last_seen_at=now)
    return user, safe_next(row["next_url"])


def _unsign(token: str, secret: str) -> str:
    try:
        raw = _signer(secret).loads(token)
    except BadSignature:
        raise SigninLinkError("this sign-in link is not valid: ask for a new one") from None
    if not isinstance(raw, str):
        raise SigninLinkError("this sign-in link is not valid: ask for a new one")
    return raw


def _check_row(row: dict[str, Any] | None, now: datetime | None = None) -> None:
    moment = now or datetime.now(UTC)
    if row is None:
        raise SigninLinkError("this sign-in link is not valid: ask for a new one")
    if row["used_at"] is not None:
        raise SigninLinkError("this sign-in link has already been used: ask for a new one")
    expires = repo.utc(row["expires_at"])
    if expires is None or expires <= moment:
        raise SigninLinkError("this sign-in link has expired: ask for a new one")
