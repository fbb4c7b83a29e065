"""The admin area: hide papers, moderate comments, block users. Admins only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.accounts import moderation, users
from paperwire.errors import InvalidInput, PaperwireError
from paperwire.feed import comments
from paperwire.web.app import current_user, render
from paperwire.web.pages.account import flash, signin_redirect, take_flash
from paperwire.web.security import check_csrf

router = APIRouter(include_in_schema=False)


def _admin(request: Request) -> dict[str, Any] | None:
    """The signed-in admin; None for anonymous visitors (sent to sign in); 403 for everyone else."""
    user = current_user(request)
    if user is not None and not comments.is_admin(user):
        raise PaperwireError("this page is for administrators", status=403)
    return user


def _done(request: Request, message: str) -> Response:
    flash(request, message)
    return RedirectResponse("/admin", status_code=303)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request) -> Response:
    admin = _admin(request)
    if admin is None:
        return signin_redirect(request)
    store = request.app.state.store
    return render(
        request,
        "admin.html",
        flash=take_flash(request),
        comments=comments.recent_comments(store),
        users=users.list_users(store, limit=100),
        hidden=moderation.hidden_papers(store),
    )


@router.post("/admin/papers", dependencies=[Depends(check_csrf)])
def admin_paper(request: Request, paper_id: str = Form(""), action: str = Form("hide")) -> Response:
    if _admin(request) is None:
        return signin_redirect(request, "/admin")
    if action not in ("hide", "unhide"):
        raise InvalidInput(f"unknown action {action[:40]!r}: hide or unhide")
    try:
        arxiv_id = moderation.hide_paper(request.app.state.store, paper_id, hidden=action == "hide")
    except PaperwireError as exc:
        flash(request, exc.message, bad=True)
        return RedirectResponse("/admin", status_code=303)
    return _done(request, f"Paper {arxiv_id} is now {'hidden' if action == 'hide' else 'visible'}.")


@router.post("/admin/comments/{comment_id}", dependencies=[Depends(check_csrf)])
def admin_comment(request: Request, comment_id: int, action: str = Form("hide")) -> Response:
    admin = _admin(request)
    if admin is None:
        return signin_redirect(request, "/admin")
    store = request.app.state.store
    if action in ("hide", "unhide"):
        comments.hide_comment(store, admin, comment_id, hidden=action == "hide")
    elif action == "delete":
        comments.delete_comment(store, admin, comment_id)
    else:
        raise InvalidInput(f"unknown action {action[:40]!r}: hide, unhide or delete")
    return _done(request, f"Comment {comment_id}: {action} done.")


@router.post("/admin/users/{user_id}", dependencies=[Depends(check_csrf)])
def admin_user(request: Request, user_id: int, action: str = Form("block")) -> Response:
    admin = _admin(request)
    if admin is None:
        return signin_redirect(request, "/admin")
    store = request.app.state.store
    if user_id == admin["id"]:
        raise InvalidInput("you cannot block or demote yourself")
    if action in ("block", "unblock"):
        users.set_blocked(store, user_id, action == "block")
    elif action in ("admin", "user"):
        users.set_role(store, user_id, action)
    else:
        raise InvalidInput(f"unknown action {action[:40]!r}: block, unblock, admin or user")
    return _done(request, f"User {user_id}: {action} done.")
