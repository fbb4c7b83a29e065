"""Votes: the HTML/JS vote form (/papers/{id}/vote) and the JSON API (/api/papers/{id}/vote, session or token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Form, Request, Security
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from paperwire.accounts.signin import safe_next
from paperwire.accounts.users import user_for_api_token
from paperwire.errors import Unauthorized
from paperwire.feed.votes import own_vote, toggle_vote
from paperwire.store import Store
from paperwire.web.deps import AppDep, StoreDep, User, UserDep, current_user
from paperwire.web.pages.account import signin_redirect
from paperwire.web.security import check_csrf

router = APIRouter()
# Declares the token scheme in the OpenAPI document (and /docs' Authorize button); api_user checks it.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    description="A personal API token from the settings page or `paperwire user token`.",
)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/papers/{paper_id:path}/vote", include_in_schema=False, dependencies=[Depends(check_csrf)])
def vote_form(request: Request, app: AppDep, user: UserDep, paper_id: str, next: str | None = Form(None)) -> Response:
    """Toggle the signed-in user's vote; JSON for the page's script, otherwise a redirect back (303)."""
    if user is None:
        if _wants_json(request):
            return JSONResponse({"error": "sign in to vote"}, status_code=401)
        return signin_redirect(request, next or f"/papers/{paper_id}")
    result = toggle_vote(app.store, app.settings, user["id"], paper_id)
    if _wants_json(request):
        return JSONResponse(result)
    return RedirectResponse(safe_next(next or f"/papers/{paper_id}"), status_code=303)


@router.post(
    "/api/papers/{paper_id:path}/vote",
    tags=["votes"],
    summary="Toggle your upvote on a paper",
    dependencies=[Security(BEARER)],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Missing CSRF header"},
        404: {"description": "No such paper"},
        429: {"description": "Too many votes"},
    },
)
async def vote_api(request: Request, app: AppDep, paper_id: str) -> dict[str, Any]:
    """Toggle the caller's vote and return `{"voted": bool, "upvotes": int}`.

    Authenticate with `Authorization: Bearer <token>` (a personal token from the settings page; no CSRF
    header needed), or with the site's session cookie plus an `X-CSRF-Token` header.
    """
    auth = request.headers.get("authorization", "")
    user = await run_in_threadpool(api_user, request, app.store, auth)
    if not auth:
        await check_csrf(request)
    return await run_in_threadpool(toggle_vote, app.store, app.settings, user["id"], paper_id)


@router.get(
    "/api/papers/{paper_id:path}/vote",
    tags=["votes"],
    summary="Your vote on a paper",
    dependencies=[Security(BEARER)],
    responses={401: {"description": "Not signed in"}, 404: {"description": "No such paper"}},
)
async def vote_get(request: Request, store: StoreDep, paper_id: str) -> dict[str, Any]:
    """Return `{"voted": bool, "upvotes": int}` for the caller (token or session), writing nothing."""
    user = await run_in_threadpool(api_user, request, store, request.headers.get("authorization", ""))
    return await run_in_threadpool(own_vote, store, user["id"], paper_id)


@router.put(
    "/api/papers/{paper_id:path}/vote",
    tags=["votes"],
    summary="Set your upvote on a paper (idempotent)",
    dependencies=[Security(BEARER)],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Missing CSRF header"},
        404: {"description": "No such paper"},
        429: {"description": "Too many votes"},
    },
)
async def vote_put(
    request: Request,
    app: AppDep,
    paper_id: str,
    voted: bool = Body(..., embed=True, description="true to upvote, false to withdraw"),
) -> dict[str, Any]:
    """Set the caller's vote to `voted` and return `{"voted": bool, "upvotes": int}`.

    Unlike the toggle (POST), repeating it changes nothing, so a client whose request got no answer can
    simply send it again. Same authentication as POST.
    """
    auth = request.headers.get("authorization", "")
    user = await run_in_threadpool(api_user, request, app.store, auth)
    if not auth:
        await check_csrf(request)
    return await run_in_threadpool(lambda: toggle_vote(app.store, app.settings, user["id"], paper_id, value=voted))


def api_user(request: Request, store: Store, auth: str, purpose: str = "to vote") -> User:
    """The caller: the bearer token's user, else the session's; Unauthorized when neither."""
    if auth:
        scheme, _, token = auth.partition(" ")
        user = user_for_api_token(store, token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise Unauthorized("invalid or revoked API token")
        return user
    user = current_user(request)
    if user is None:
        raise Unauthorized(f"sign in or send an API token (Authorization: Bearer ...) {purpose}")
    return user
