"""Sign-in by emailed link, sign-out (here or everywhere), and the account settings page (display name, API token)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.accounts import sessions, signin, users
from paperwire.accounts.ratelimit import RateLimited
from paperwire.accounts.secret import secret_key
from paperwire.application import Paperwire
from paperwire.errors import InvalidInput
from paperwire.mail import MailUnavailable
from paperwire.web.app import render
from paperwire.web.deps import AppDep, StoreDep, UserDep
from paperwire.web.pages.digest import settings_context
from paperwire.web.security import check_csrf

router = APIRouter(include_in_schema=False)


# --- helpers shared by the account, submit, admin and comment pages ------------------------------


def signin_redirect(request: Request, next_url: str | None = None) -> RedirectResponse:
    """Send an anonymous visitor to the sign-in page, coming back to `next_url` (default: this page)."""
    target = next_url or request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(signin.safe_next(target), safe='/')}", status_code=303)


def flash(request: Request, message: str, *, bad: bool = False) -> None:
    """A one-line message shown on the next page rendered (after a redirect)."""
    request.session["flash"] = {"message": message, "bad": bad}


def take_flash(request: Request) -> dict[str, Any] | None:
    return request.session.pop("flash", None)


def _secret(app: Paperwire) -> str:
    return secret_key(app.settings, app.store)


# --- sign-in -------------------------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, user: UserDep, next: str | None = None) -> Response:
    if user:
        return RedirectResponse(signin.safe_next(next), status_code=303)
    return render(request, "signin.html", next=signin.safe_next(next), email="")


@router.post("/signin", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def signin_request(request: Request, app: AppDep, email: str = Form(""), next: str = Form("/")) -> Response:
    """Mail a sign-in link; the answer is the same whether or not the address has an account."""
    store, settings = app.store, app.settings
    target = signin.safe_next(next)
    typed = email[: users.MAX_EMAIL]  # echoed in the form: never more than an address may hold
    try:
        address = signin.request_link(
            store,
            settings,
            app.mailer,
            email,
            secret=_secret(app),
            ip=request.client.host if request.client else None,
            next_url=target,
        )
    except InvalidInput as exc:
        return render(request, "signin.html", status=400, next=target, email=typed, error=exc.message)
    except RateLimited as exc:
        response = render(request, "signin.html", status=429, next=target, email=typed, error=exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except MailUnavailable:
        return render(
            request,
            "signin.html",
            status=503,
            next=target,
            email=typed,
            error="we could not send mail just now: please try again in a few minutes",
        )
    return render(request, "signin.html", next=target, email=address, sent=True, minutes=settings.signin_link_minutes)


@router.get("/signin/{token}", response_class=HTMLResponse)
def signin_confirm(request: Request, app: AppDep, token: str) -> Response:
    """Ask for a click before using the link, so mail scanners that open links do not use it up."""
    try:
        pending = signin.check_link(app.store, token, secret=_secret(app))
    except signin.SigninLinkError as exc:
        return render(request, "signin_confirm.html", status=400, error=exc.message, token=None)
    return render(request, "signin_confirm.html", token=token, email=pending["email"])


@router.post("/signin/{token}", dependencies=[Depends(check_csrf)])
def signin_use(request: Request, app: AppDep, token: str) -> Response:
    try:
        user, target = signin.use_link(app.store, token, secret=_secret(app))
    except signin.SigninLinkError as exc:
        return render(request, "signin_confirm.html", status=400, error=exc.message, token=None)
    sessions.start_session(app.store, request.session, user["id"])
    return RedirectResponse(target, status_code=303)


@router.post("/signout", dependencies=[Depends(check_csrf)])
def signout(request: Request, store: StoreDep) -> Response:
    sessions.end_session(store, request.session)
    return RedirectResponse("/", status_code=303)


# --- settings ------------------------------------------------------------------------------------


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, app: AppDep, user: UserDep) -> Response:
    if user is None:
        return signin_redirect(request)
    return render(
        request,
        "settings.html",
        flash=take_flash(request),
        display_name=user["display_name"] or "",
        **settings_context(app, user),
    )


@router.post("/settings", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def settings_save(
    request: Request, app: AppDep, user: UserDep, action: str = Form("name"), display_name: str = Form("")
) -> Response:
    """One form per action: name (save the display name), token (make a new API token), revoke,
    signout_everywhere (end every session of the user, this one included; the API token stays)."""
    if user is None:
        return signin_redirect(request, "/settings")
    store = app.store
    if action == "name":
        try:
            users.set_display_name(store, user["id"], display_name)
        except InvalidInput as exc:
            return render(
                request,
                "settings.html",
                status=400,
                display_name=display_name,
                name_error=exc.message,
                **settings_context(app, user),
            )
        flash(request, "Display name saved.")
    elif action == "token":
        token = users.create_api_token(store, user["id"])
        request.state.user = users.get_user(store, user["id"])
        # Shown once, on this response only: not put in the session or a redirect.
        return render(
            request,
            "settings.html",
            display_name=user["display_name"] or "",
            new_token=token,
            **settings_context(app, user),
        )
    elif action == "revoke":
        users.revoke_api_token(store, user["id"])
        flash(request, "API token revoked.")
    elif action == "signout_everywhere":
        sessions.end_all_sessions(store, user["id"])
        request.session.clear()
        return RedirectResponse("/", status_code=303)
    else:
        raise InvalidInput(f"unknown settings action {action[:40]!r}")
    return RedirectResponse("/settings", status_code=303)
