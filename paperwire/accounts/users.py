"""Users: addresses, roles (user, admin), blocking, display names and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from paperwire.errors import InvalidInput, NotFound
from paperwire.store import Store
from paperwire.store import accounts as repo

ROLES = ("user", "admin")
TOKEN_PREFIX = "pw_"
MAX_NAME = 120
MAX_EMAIL = 254  # the longest address SMTP carries (RFC 5321 path limit)


class InvalidAddress(InvalidInput):
    """An address the validator refused; `shown` is the input cut for a message, `reason` the validator's why."""

    def __init__(self, shown: str, reason: str) -> None:
        super().__init__(f"not an email address: {shown}: {reason}")
        self.shown, self.reason = shown, reason


def normalise_email(text: str) -> str:
    """The one canonical form of a mailbox's address, or InvalidInput with a message fit for a form.

    Checked by email-validator, without DNS (no network). Only a bare address passes: no display name,
    comment, quoted or non-ASCII local part, IP literal, control character, or special-use domain (.test,
    .invalid, .local, localhost). Canonical: the ASCII (IDNA) form, all lower-case, local part included:
    mail providers fold its case, and per-address limits must not count Victim@ apart from victim@.
    """
    raw = (text or "").strip(" \t")
    if not raw:
        raise InvalidInput("enter your email address")
    shown = repr(raw[:80]) + ("…" if len(raw) > 80 else "")
    if len(raw) > MAX_EMAIL:
        raise InvalidAddress(shown, f"too long ({MAX_EMAIL} characters at most)")
    try:
        valid = validate_email(
            raw, check_deliverability=False, allow_smtputf8=False, strict=True
        )  # strict: <= 64 before @
    except EmailNotValidError as exc:
        raise InvalidAddress(shown, str(exc)) from None
    assert valid.ascii_email is not None  # allow_smtputf8=False: every accepted address has an ASCII form
    return valid.ascii_email.lower()


def mailbox_key(address: str) -> str:
    """The mailbox an address reaches, for per-address limits: case folded, the +tag dropped (victim+1@ is victim@)."""
    local, _, domain = address.lower().rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}"


def clean_display_name(text: str | None) -> str | None:
    """A display name without control characters and surplus spaces; None when empty."""
    name = " ".join("".join(ch for ch in (text or "") if ch.isprintable()).split())
    if len(name) > MAX_NAME:
        raise InvalidInput(f"the display name is too long ({len(name)} characters, at most {MAX_NAME})")
    return name or None


def hash_token(token: str) -> str:
    """The stored form of a secret token (sign-in link or API token)."""
    return hashlib.sha256(token.encode()).hexdigest()


def public_name(display_name: str | None, user_id: int) -> str:
    """What others see of a user: the display name, never the address."""
    return display_name or f"user {user_id}"


def add_user(store: Store, email: str, *, display_name: str | None = None, admin: bool = False) -> dict[str, Any]:
    """Create a user (or update the role and name of an existing one) and return it."""
    address = normalise_email(email)
    name = clean_display_name(display_name)
    role = "admin" if admin else "user"
    with store.write() as conn:
        user, created = repo.ensure_user(conn, address, now=datetime.now(UTC), display_name=name, role=role)
        changes: dict[str, Any] = {}
        if not created and admin and user["role"] != "admin":
            changes["role"] = "admin"
        if not created and name and user["display_name"] != name:
            changes["display_name"] = name
        if changes:
            repo.update_user(conn, user["id"], **changes)
            user.update(changes)
    return user


def get_user(store: Store, user_id: int) -> dict[str, Any]:
    with store.read() as conn:
        user = repo.get_user(conn, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def find_user(store: Store, email: str) -> dict[str, Any]:
    """The user with this address, or NotFound."""
    address = normalise_email(email)
    with store.read() as conn:
        user = repo.get_user_by_email(conn, address)
    if user is None:
        raise NotFound(f"no user with the address {address}")
    return user


def list_users(store: Store, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    with store.read() as conn:
        return repo.list_users(conn, limit=limit, offset=offset)


def set_role(store: Store, user_id: int, role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    _update(store, user_id, role=role)


def set_blocked(store: Store, user_id: int, blocked: bool) -> None:
    """Block (signed out everywhere, API token refused, comments hidden) or unblock a user."""
    _update(store, user_id, blocked_at=datetime.now(UTC) if blocked else None)


def set_display_name(store: Store, user_id: int, name: str | None) -> str | None:
    clean = clean_display_name(name)
    _update(store, user_id, display_name=clean)
    return clean


def create_api_token(store: Store, user_id: int) -> str:
    """Make a new personal API token (replacing any old one); returned once, stored only as a hash."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    _update(store, user_id, api_token_hash=hash_token(token))
    return token


def revoke_api_token(store: Store, user_id: int) -> None:
    _update(store, user_id, api_token_hash=None)


def user_for_api_token(store: Store, token: str) -> dict[str, Any] | None:
    """The active user a bearer token belongs to, or None (unknown token, blocked user)."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    with store.read() as conn:
        user = repo.get_user_by_token_hash(conn, hash_token(token))
    if user is None or user["blocked_at"] is not None:
        return None
    return user


def _update(store: Store, user_id: int, **values: Any) -> None:
    with store.write() as conn:
        if not repo.update_user(conn, user_id, **values):
            raise NotFound(f"no user {user_id}")
