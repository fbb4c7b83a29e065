"""Digest subscriptions: double opt-in by a signed link, preferences, one-click unsubscribe, admin changes.

Links carry itsdangerous signatures with one salt per purpose, so a confirmation token cannot be used
to unsubscribe or manage, and the other way round. Confirmation links expire after
`subscription_expiry_hours`; the manage and unsubscribe links in digests do not. An address has at
most one subscription row; asking again refreshes a pending one (its `created_at` is the time of the
latest request, from which it expires) and answers an active one with a "you are already subscribed" mail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from paperwire.accounts import ratelimit
from paperwire.accounts.ratelimit import HOUR, Limit
from paperwire.accounts.secret import secret_key
from paperwire.accounts.users import InvalidAddress, mailbox_key, normalise_email
from paperwire.config import Settings
from paperwire.digest.periods import FREQUENCIES, zone
from paperwire.errors import InvalidInput, NotFound
from paperwire.mail import Mailer
from paperwire.papers.record import check_category
from paperwire.search.query import parse_query
from paperwire.store import Store
from paperwire.store import digests as repo
from paperwire.store.accounts import utc

_CONFIRM, _MANAGE, _UNSUBSCRIBE = "paperwire.digest.confirm", "paperwire.digest.manage", "paperwire.digest.unsubscribe"
MAX_TOPICS, MAX_ENTRIES, MAX_TOPIC_CHARS, MAX_NAME_CHARS, MAX_TOP_N = 10, 20, 200, 120, 50


@dataclass(frozen=True)
class Preferences:
    """What a digest holds and when it comes. `validate()` raises InvalidInput naming the field (`exc.field`)."""

    frequency: str = "daily"
    weekday: int | None = None  # 0 = Monday; weekly digests only (Monday when empty)
    send_hour: int = 7
    timezone: str = "UTC"
    top_n: int = 10
    topics: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    use_upvotes: bool = True

    def validate(self) -> Preferences:
        if self.frequency not in FREQUENCIES:
            raise InvalidInput(
                f"frequency: expected daily or weekly, got {str(self.frequency)[:20]!r}", field="frequency"
            )
        if self.weekday is not None and not (isinstance(self.weekday, int) and 0 <= self.weekday <= 6):
            raise InvalidInput(f"weekday: expected 0 (Monday) to 6 (Sunday), got {self.weekday!r}", field="weekday")
        if not (isinstance(self.send_hour, int) and 0 <= self.send_hour <= 23):
            raise InvalidInput(f"send_hour: expected an hour from 0 to 23, got {self.send_hour!r}", field="send_hour")
        zone(self.timezone)
        if not (isinstance(self.top_n, int) and 1 <= self.top_n <= MAX_TOP_N):
            raise InvalidInput(f"top_n: expected 1 to {MAX_TOP_N} trending papers, got {self.top_n!r}", field="top_n")
        _check_list("topics", self.topics, MAX_TOPICS, MAX_TOPIC_CHARS)
        for topic in self.topics:
            try:
                parse_query(topic)
            except InvalidInput as exc:
                raise InvalidInput(f"topics: {topic[:40]!r}: {exc.message}", field="topics") from None
        _check_list("categories", self.categories, MAX_ENTRIES, 64)
        for category in self.categories:
            check_category(category, "categories")
        _check_list("authors", self.authors, MAX_ENTRIES, MAX_NAME_CHARS)
        return self

    def values(self) -> dict[str, Any]:
        """Column values of a subscription row (weekday kept only for weekly digests)."""
        data = asdict(self)
        data.update(topics=list(self.topics), categories=list(self.categories), authors=list(self.authors))
        if self.frequency != "weekly":
            data["weekday"] = None
        return data

    @classmethod
    def of(cls, subscription: dict[str, Any]) -> Preferences:
        """The preferences stored in a subscription row."""
        data = {f.name: subscription[f.name] for f in fields(cls)}
        for name in ("topics", "categories", "authors"):
            data[name] = tuple(data[name] or ())
        return cls(**data)


def _check_list(name: str, items: tuple[str, ...], most: int, longest: int) -> None:
    if len(items) > most:
        raise InvalidInput(f"{name}: at most {most}, got {len(items)}", field=name)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise InvalidInput(f"{name}: entries cannot be empty", field=name)
        if len(item) > longest:
            raise InvalidInput(f"{name}: {item[:30]!r}... is too long (at most {longest} characters)", field=name)


def _clean(preferences: Preferences | None) -> Preferences:
    prefs = preferences or Preferences()
    strip = lambda items: tuple(dict.fromkeys(" ".join(i.split()) for i in items if i and i.strip()))  # noqa: E731
    cleaned = Preferences(
        **{
            **asdict(prefs),
            "topics": strip(prefs.topics),
            "categories": strip(prefs.categories),
            "authors": strip(prefs.authors),
        }
    )
    return cleaned.validate()


def check_address(email: str) -> str:
    """A normalised address, or InvalidInput "not a valid email address"."""
    try:
        return normalise_email(email)
    except InvalidAddress as exc:
        raise InvalidInput(f"not a valid email address: {exc.shown}: {exc.reason}") from None


def _limits(settings: Settings) -> tuple[Limit, Limit]:
    return (
        Limit("subscribe-address", settings.subscription_mails_per_address, HOUR, "subscription mails to this address"),
        Limit("subscribe-ip", settings.subscription_mails_per_ip, HOUR, "subscription requests from your network"),
    )


# --- signed links --------------------------------------------------------------------------------


_SECRETS: WeakKeyDictionary[Store, str] = WeakKeyDictionary()


def _secret(settings: Settings, store: Store) -> str:
    """The signing key, read from the database once per store (a sender signs two links per digest)."""
    if settings.secret_key:
        return settings.secret_key
    if store not in _SECRETS:
        _SECRETS[store] = secret_key(settings, store)
    return _SECRETS[store]


def _token(settings: Settings, store: Store, salt: str, subscription: dict[str, Any], *, timed: bool = False) -> str:
    secret = _secret(settings, store)
    signer = URLSafeTimedSerializer(secret, salt=salt) if timed else URLSafeSerializer(secret, salt=salt)
    return signer.dumps({"s": subscription["id"], "e": subscription["email"]})


def _signed(settings: Settings, store: Store, salt: str, token: str, what: str) -> dict[str, Any]:
    """The payload of a signed link; InvalidInput when forged or malformed."""
    try:
        data = URLSafeSerializer(_secret(settings, store), salt=salt).loads(token)
    except BadSignature:
        raise InvalidInput(f"this {what} link is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise InvalidInput(f"this {what} link is not valid")
    return data


def _find(store: Store, data: dict[str, Any]) -> dict[str, Any] | None:
    with store.read() as conn:
        row = repo.get_subscription(conn, data["s"])
    return row if row is not None and row["email"] == data.get("e") else None


def _row_for(store: Store, data: dict[str, Any], what: str) -> dict[str, Any]:
    row = _find(store, data)
    if row is None:
        raise InvalidInput(f"this {what} link is no longer valid: the subscription does not exist any more")
    return row


def _site(settings: Settings) -> str:
    return settings.site_url.rstrip("/")


def confirm_url(settings: Settings, store: Store, subscription: dict[str, Any]) -> str:
    return f"{_site(settings)}/subscribe/confirm/{_token(settings, store, _CONFIRM, subscription, timed=True)}"


def manage_url(settings: Settings, store: Store, subscription: dict[str, Any]) -> str:
    return f"{_site(settings)}/digest/manage/{_token(settings, store, _MANAGE, subscription)}"


def unsubscribe_url(settings: Settings, store: Store, subscription: dict[str, Any]) -> str:
    return f"{_site(settings)}/unsubscribe/{_token(settings, store, _UNSUBSCRIBE, subscription)}"


# --- subscribing ---------------------------------------------------------------------------------


def request_subscription(
    store: Store,
    settings: Settings,
    mailer: Mailer,
    email: str,
    *,
    ip: str | None,
    preferences: Preferences | None = None,
    user_id: int | None = None,
) -> None:
    """Start (or restart) a double opt-in: mail a confirmation link, or a "manage" link to an active subscriber.

    Raises InvalidInput for a bad address or preferences, RateLimited past the per-IP or per-address
    limit, MailUnavailable when the mail cannot be sent. Nothing in the outcome tells whether the
    address was known.
    """
    address = check_address(email)
    prefs = _clean(preferences)
    per_address, per_ip = _limits(settings)
    if ip:
        ratelimit.hit(store, per_ip, ratelimit.client_key(ip))  # as sign-in: IPv6 per /64
    ratelimit.hit(store, per_address, mailbox_key(address))
    now = datetime.now(UTC)
    with store.write() as conn:
        repo.purge_pending(conn, now - timedelta(hours=settings.subscription_expiry_hours))
        row: dict[str, Any] | None
        row, created = repo.ensure_subscription(
            conn, {"email": address, "user_id": user_id, "status": "pending", "created_at": now, **prefs.values()}
        )
        if not created and row["status"] != "active":
            row = repo.update_subscription(
                conn,
                row["id"],
                status="pending",
                created_at=now,
                confirmed_at=None,
                user_id=row["user_id"] or user_id,
                **prefs.values(),
            )
        elif not created and row["user_id"] is None and user_id is not None:
            row = repo.update_subscription(conn, row["id"], user_id=user_id)
    assert row is not None
    if row["status"] == "active":
        _mail(
            mailer,
            address,
            "You are already subscribed to the Paperwire digest",
            "this address already receives the Paperwire digest, so nothing has changed.\n"
            f"To change what it holds or when it comes, or to unsubscribe, open:\n\n{manage_url(settings, store, row)}",
        )
        return
    hours = settings.subscription_expiry_hours
    _mail(
        mailer,
        address,
        "Confirm your Paperwire digest subscription",
        f"someone (hopefully you) asked for the Paperwire digest of trending papers at {settings.site_url}.\n"
        f"Open this link within {hours} hours to confirm:\n\n{confirm_url(settings, store, row)}\n\n"
        "If you did not ask for it, ignore this mail: you will not be subscribed.",
    )


def _mail(mailer: Mailer, to: str, subject: str, body: str) -> None:
    mailer.send(mailer.message(to, subject, f"Hello,\n\n{body}\n"))


def confirm_subscription(store: Store, settings: Settings, token: str) -> dict[str, Any]:
    """Activate the subscription of a confirmation link (idempotent); InvalidInput when forged or expired."""
    signer = URLSafeTimedSerializer(_secret(settings, store), salt=_CONFIRM)
    try:
        data, signed_at = signer.loads(token, max_age=settings.subscription_expiry_hours * 3600, return_timestamp=True)
    except SignatureExpired:
        raise InvalidInput("this confirmation link has expired: subscribe again to get a new one") from None
    except BadSignature:
        raise InvalidInput("this confirmation link is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise InvalidInput("this confirmation link is not valid")
    row = _find(store, data)
    if row is None:
        raise InvalidInput("this confirmation link has expired: subscribe again to get a new one")
    unsubscribed = utc(row["unsubscribed_at"])
    if row["status"] == "active":
        return row
    if unsubscribed is not None and unsubscribed > signed_at.astimezone(UTC):
        raise InvalidInput("this confirmation link is older than your unsubscription: subscribe again")
    now = datetime.now(UTC)
    with store.write() as conn:
        updated = repo.update_subscription(
            conn, row["id"], status="active", confirmed_at=now, unsubscribed_at=None, permanent_failures=0
        )
    assert updated is not None
    return updated


def unsubscribe(store: Store, settings: Settings, token: str) -> dict[str, Any] | None:
    """Stop the digests of an unsubscribe link (idempotent); None when the subscription was already removed."""
    row = _find(store, _signed(settings, store, _UNSUBSCRIBE, token, "unsubscribe"))
    if row is None:
        return None
    if row["status"] == "unsubscribed":
        return row
    with store.write() as conn:
        return repo.update_subscription(conn, row["id"], status="unsubscribed", unsubscribed_at=datetime.now(UTC))


def subscription_for_token(store: Store, settings: Settings, token: str) -> dict[str, Any]:
    """The subscription of a manage link; InvalidInput when forged or gone."""
    return _row_for(store, _signed(settings, store, _MANAGE, token, "manage"), "manage")


def update_preferences(store: Store, subscription_id: int, preferences: Preferences) -> dict[str, Any]:
    prefs = _clean(preferences)
    with store.write() as conn:
        row = repo.update_subscription(conn, subscription_id, **prefs.values())
    if row is None:
        raise NotFound(f"no subscription {subscription_id}")
    return row


def subscription_of_user(store: Store, user_id: int) -> dict[str, Any] | None:
    with store.read() as conn:
        return repo.subscription_of_user(conn, user_id)


def subscribe_user(store: Store, user: dict[str, Any], preferences: Preferences | None = None) -> dict[str, Any]:
    """Subscribe a signed-in user's own address at once: signing in by emailed link already proved it."""
    return add_subscriber(store, user["email"], preferences, confirmed=True, user_id=user["id"])


# --- administration ------------------------------------------------------------------------------


def add_subscriber(
    store: Store,
    email: str,
    preferences: Preferences | None = None,
    *,
    confirmed: bool = False,
    user_id: int | None = None,
) -> dict[str, Any]:
    """Create or update a subscription directly (admin CLI); `confirmed` skips the double opt-in."""
    address = check_address(email)
    prefs = _clean(preferences)
    now = datetime.now(UTC)
    state = (
        {"status": "active", "confirmed_at": now, "unsubscribed_at": None, "permanent_failures": 0} if confirmed else {}
    )
    with store.write() as conn:
        row: dict[str, Any] | None
        row, _created = repo.ensure_subscription(
            conn, {"email": address, "user_id": user_id, "status": "pending", "created_at": now, **prefs.values()}
        )
        row = repo.update_subscription(
            conn, row["id"], **prefs.values(), **state, **({"user_id": user_id} if user_id is not None else {})
        )
    assert row is not None
    return row


def list_subscribers(store: Store, *, status: str | None = None) -> list[dict[str, Any]]:
    with store.read() as conn:
        return repo.list_subscriptions(conn, status=status)


def remove_subscriber(store: Store, email: str) -> dict[str, Any]:
    """Delete a subscription with its ledger; NotFound when the address has none."""
    address = check_address(email)
    with store.write() as conn:
        row = repo.get_subscription_by_email(conn, address)
        if row is None:
            raise NotFound(f"no subscription for {address}")
        repo.delete_subscription(conn, row["id"])
    return row


def find_subscriber(store: Store, email: str) -> dict[str, Any]:
    address = check_address(email)
    with store.read() as conn:
        row = repo.get_subscription_by_email(conn, address)
    if row is None:
        raise NotFound(f"no subscription for {address}")
    return row


def purge_expired(store: Store, settings: Settings, now: datetime | None = None) -> int:
    """Delete pending subscriptions whose confirmation link has expired."""
    moment = now or datetime.now(UTC)
    with store.write() as conn:
        return repo.purge_pending(conn, moment - timedelta(hours=settings.subscription_expiry_hours))
