"""Email digest pages: subscribe (double opt-in), confirm, one-click unsubscribe, preferences and a preview.

The pages only parse, call paperwire.digest and render. Links mailed to subscribers carry signed tokens:
a GET never changes anything (link scanners and prefetchers open links), a POST does.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from paperwire.accounts.ratelimit import RateLimited
from paperwire.accounts.users import MAX_EMAIL
from paperwire.application import Paperwire
from paperwire.config import Settings
from paperwire.digest import subscriptions as subs
from paperwire.digest.compose import compose
from paperwire.digest.periods import current_period
from paperwire.digest.subscriptions import Preferences
from paperwire.errors import InvalidInput
from paperwire.feed import lists
from paperwire.mail import MailUnavailable
from paperwire.web.app import render
from paperwire.web.deps import AppDep, SettingsDep, StoreDep, User, UserDep
from paperwire.web.security import check_csrf

router = APIRouter(include_in_schema=False)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PREFERENCE_FIELDS = tuple(f.name for f in fields(Preferences))
_DEFAULTS = Preferences()
_LIST_SPLIT = re.compile(r"[\s,;]+")


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone name this machine knows (for validation and the form's suggestions)."""
    return tuple(sorted(available_timezones()))


# --- parsing the preferences form ----------------------------------------------------------------


def _lines(text: str) -> tuple[str, ...]:
    """One entry per non-empty line, trimmed, duplicates dropped (first kept)."""
    seen: dict[str, None] = {}
    for line in text.splitlines():
        if line.strip():
            seen.setdefault(" ".join(line.split()), None)
    return tuple(seen)


def _int(form: FormData, name: str, errors: dict[str, str], label: str) -> int | None:
    text = str(form.get(name) or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors[name] = f"{label}: expected a whole number, got {text[:20]!r}"
        return None


def has_preferences(form: FormData) -> bool:
    """Whether the form carries preference fields (the full form does; the footer form only has an address)."""
    return any(name in form for name in ("frequency", "send_hour", "timezone", "top_n", "topics"))


def parse_preferences(form: FormData) -> tuple[Preferences, dict[str, str]]:
    """Preferences from a submitted form, and a message per field that is wrong (empty when all are right)."""
    errors: dict[str, str] = {}
    frequency = str(form.get("frequency") or _DEFAULTS.frequency).strip()
    weekday = _int(form, "weekday", errors, "Weekday")
    if frequency != "weekly":
        weekday = None
    send_hour = _int(form, "send_hour", errors, "Send hour")
    top_n = _int(form, "top_n", errors, "Number of trending papers")
    timezone = str(form.get("timezone") or "").strip() or _DEFAULTS.timezone
    if timezone not in time_zones():
        errors["timezone"] = f"Time zone: {timezone[:64]!r} is not a time zone we know; pick one like Europe/Paris"
        timezone = _DEFAULTS.timezone
    topics, authors = _lines(str(form.get("topics") or "")), _lines(str(form.get("authors") or ""))
    categories = tuple(dict.fromkeys(c for c in _LIST_SPLIT.split(str(form.get("categories") or "")) if c))
    values: dict[str, Any] = {
        "frequency": frequency,
        "weekday": weekday,
        "timezone": timezone,
        "topics": topics,
        "categories": categories,
        "authors": authors,
        "use_upvotes": bool(form.get("use_upvotes")),
        "send_hour": _DEFAULTS.send_hour if send_hour is None else send_hour,
        "top_n": _DEFAULTS.top_n if top_n is None else top_n,
    }
    return _validate(Preferences(**values), errors)


def _validate(prefs: Preferences, errors: dict[str, str]) -> tuple[Preferences, dict[str, str]]:
    """Run the domain's checks; each failing field is noted and reset to its default to find the next one."""
    reset: set[str] = set()
    for _ in PREFERENCE_FIELDS:
        try:
            prefs.validate()
            break
        except InvalidInput as exc:
            field = exc.field if exc.field in PREFERENCE_FIELDS else None
            if field is None:
                errors.setdefault("form", exc.message)
            if field is None or field in reset:  # a default that is still refused: already reported
                break
            errors.setdefault(field, exc.message)
            reset.add(field)
            prefs = replace(prefs, **{field: getattr(_DEFAULTS, field)})
    return prefs, errors


def form_values(prefs: Preferences | dict[str, Any]) -> dict[str, Any]:
    """What the preferences form shows: lists as text, one entry per line."""
    get = prefs.get if isinstance(prefs, dict) else lambda name, default=None: getattr(prefs, name, default)
    return {
        "frequency": get("frequency") or "daily",
        "weekday": get("weekday"),
        "send_hour": get("send_hour", 7),
        "timezone": get("timezone") or "UTC",
        "top_n": get("top_n", 10),
        "use_upvotes": bool(get("use_upvotes", True)),
        "topics": "\n".join(get("topics") or ()),
        "authors": "\n".join(get("authors") or ()),
        "categories": " ".join(get("categories") or ()),
    }


def typed_values(form: FormData, prefs: Preferences) -> dict[str, Any]:
    """The form as the visitor typed it (to show again with the messages), over the parsed preferences."""
    return {
        **form_values(prefs),
        **{name: str(form.get(name) or "") for name in ("topics", "authors", "categories", "timezone")},
    }


def _form_context(settings: Settings, values: dict[str, Any], errors: dict[str, str] | None = None) -> dict[str, Any]:
    """What the preferences form needs: its values, its messages and the choices it offers."""
    return {
        "prefs": values,
        "errors": errors or {},
        "weekdays": WEEKDAYS,
        "time_zones": time_zones(),
        "followed": lists.followed(settings),
    }


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


# --- subscribe -----------------------------------------------------------------------------------


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_form(
    request: Request, settings: SettingsDep, user: UserDep, email: str = Query("", max_length=320)
) -> Response:
    """The full form: an address and, optionally, what the digest should hold and when it comes."""
    address = email or (user["email"] if user else "")
    return render(request, "subscribe.html", email=address, **_form_context(settings, form_values(_DEFAULTS)))


@router.post("/subscribe", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def subscribe(request: Request, app: AppDep, user: UserDep) -> Response:
    """Mail a confirmation link; the answer is the same whether or not the address is already subscribed."""
    form = await request.form()
    email = str(form.get("email") or "")[: MAX_EMAIL + 1]  # echoed: no more than an address may hold
    preferences, errors = parse_preferences(form) if has_preferences(form) else (None, {})
    values = typed_values(form, preferences) if preferences else form_values(_DEFAULTS)

    def again(status: int, message: str | None = None) -> Response:
        return render(
            request,
            "subscribe.html",
            status=status,
            email=email,
            error=message,
            **_form_context(app.settings, values, errors),
        )

    if errors:
        return again(400, "Some preferences need fixing: see the messages below.")
    try:
        address = subs.check_address(email)
        user_id = user["id"] if user and user["email"] == address else None
        subs.request_subscription(
            app.store,
            app.settings,
            app.mailer,
            address,
            ip=_client_ip(request),
            preferences=preferences,
            user_id=user_id,
        )
    except InvalidInput as exc:
        return again(400, exc.message)
    except RateLimited as exc:
        response = again(429, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except MailUnavailable:
        return again(503, "we could not send mail just now: please try again in a few minutes")
    return render(request, "subscribe_sent.html", email=address)


@router.get("/subscribe/confirm/{token}", response_class=HTMLResponse)
def confirm_form(request: Request, token: str) -> Response:
    """A button, not an action: mail scanners and prefetchers that open the link must not confirm."""
    return render(request, "subscribe_confirm.html", token=token)


@router.post("/subscribe/confirm/{token}", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def confirm(request: Request, store: StoreDep, settings: SettingsDep, token: str) -> Response:
    try:
        subscription = subs.confirm_subscription(store, settings, token)
    except InvalidInput as exc:
        return render(request, "subscribe_confirm.html", status=400, token=None, error=exc.message)
    return render(
        request,
        "subscribe_confirm.html",
        token=None,
        subscription=subscription,
        manage_url=_local(subs.manage_url(settings, store, subscription)),
    )


@router.post("/digest/subscribe", dependencies=[Depends(check_csrf)])
def subscribe_signed_in(store: StoreDep, settings: SettingsDep, user: UserDep) -> Response:
    """The settings page's button: a signed-in user's own address needs no confirmation (signing in proved it)."""
    if user is None:
        return RedirectResponse("/signin?next=/settings", status_code=303)
    existing = subs.subscription_of_user(store, user["id"])
    subscription = subs.subscribe_user(store, user, Preferences.of(existing) if existing else None)
    return RedirectResponse(_local(subs.manage_url(settings, store, subscription)), status_code=303)


# --- unsubscribe (RFC 8058 one-click) ------------------------------------------------------------


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_form(request: Request, token: str) -> Response:
    return render(request, "unsubscribe.html", token=token, done=False)


# No CSRF check, deliberately: mail clients POST "List-Unsubscribe=One-Click" here with no cookie and no
# form of ours (RFC 8058). The signed token is the credential, and unsubscribing twice changes nothing.
@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, store: StoreDep, settings: SettingsDep, token: str) -> Response:
    try:
        subscription = subs.unsubscribe(store, settings, token)
    except InvalidInput as exc:
        return render(request, "unsubscribe.html", status=400, token=None, done=False, error=exc.message)
    return render(request, "unsubscribe.html", token=None, done=True, subscription=subscription)


# --- preferences ---------------------------------------------------------------------------------


@router.get("/digest/manage", response_class=HTMLResponse)
def manage_own(store: StoreDep, settings: SettingsDep, user: UserDep) -> Response:
    """For signed-in users: their own manage page, or the subscribe form with their address."""
    if user is None:
        return RedirectResponse("/signin?next=/digest/manage", status_code=303)
    subscription = subs.subscription_of_user(store, user["id"])
    if subscription is None:
        return RedirectResponse("/subscribe", status_code=303)
    return RedirectResponse(_local(subs.manage_url(settings, store, subscription)), status_code=303)


@router.get("/digest/manage/{token}", response_class=HTMLResponse)
def manage_form(request: Request, app: AppDep, token: str) -> Response:
    try:
        subscription = subs.subscription_for_token(app.store, app.settings, token)
    except InvalidInput as exc:
        return render(request, "digest_manage.html", status=400, error=exc.message, subscription=None)
    return _manage_page(request, app, token, subscription, form_values(subscription))


@router.post("/digest/manage/{token}", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def manage_save(request: Request, app: AppDep, token: str) -> Response:
    try:
        subscription = subs.subscription_for_token(app.store, app.settings, token)
    except InvalidInput as exc:
        return render(request, "digest_manage.html", status=400, error=exc.message, subscription=None)
    form = await request.form()
    preferences, errors = parse_preferences(form)
    if errors:
        values = typed_values(form, preferences)
        return _manage_page(request, app, token, subscription, values, errors=errors, status=400)
    try:
        subscription = subs.update_preferences(app.store, subscription["id"], preferences)
    except InvalidInput as exc:
        return _manage_page(
            request, app, token, subscription, form_values(preferences), errors={"form": exc.message}, status=400
        )
    return _manage_page(request, app, token, subscription, form_values(subscription), saved=True)


def _manage_page(
    request: Request,
    app: Paperwire,
    token: str,
    subscription: dict[str, Any],
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status: int = 200,
) -> Response:
    return render(
        request,
        "digest_manage.html",
        status=status,
        token=token,
        subscription=subscription,
        saved=saved,
        unsubscribe_url=_local(subs.unsubscribe_url(app.settings, app.store, subscription)),
        **_form_context(app.settings, values, errors),
    )


def _local(url: str) -> str:
    """A mailed (absolute) link as a path on this site, so pages work behind any host name."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- preview -------------------------------------------------------------------------------------


@router.get("/digest/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    app: AppDep,
    user: UserDep,
    token: str | None = Query(None, max_length=2000),
    day: str | None = Query(None, alias="date"),
    week: str | None = None,
) -> Response:
    """The digest as it would be composed now (or for ?date= / ?week=), for a token's or the signed-in user's."""
    store, settings = app.store, app.settings
    subscription: dict[str, Any] | None
    if token:
        try:
            subscription = subs.subscription_for_token(store, settings, token)
        except InvalidInput as exc:
            return render(request, "digest_preview.html", status=400, error=exc.message, digest=None)
    elif user is not None:
        subscription = subs.subscription_of_user(store, user["id"])
        if subscription is None:
            return render(request, "digest_preview.html", digest=None, no_subscription=True)
    else:
        return RedirectResponse("/signin?next=/digest/preview", status_code=303)
    period = lists.parse_period(day=day, week=week) or current_period(store, settings, subscription)
    digest = compose(store, settings, app.engine, subscription, period)
    return render(request, "digest_preview.html", digest=digest, period=period, subscription=subscription, token=token)


def settings_context(app: Paperwire, user: User | None) -> dict[str, Any]:
    """What the settings page's digest section shows: the signed-in user's subscription and its manage link."""
    if user is None:
        return {}
    store, settings = app.store, app.settings
    subscription = subs.subscription_of_user(store, user["id"])
    manage = _local(subs.manage_url(settings, store, subscription)) if subscription else None
    return {"digest_subscription": subscription, "digest_manage_url": manage}
