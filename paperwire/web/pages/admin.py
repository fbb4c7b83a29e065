"""The admin area: hide papers, moderate comments, block users. Admins only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.accounts import moderation, users
from paperwire.errors import InvalidInput, PaperwireError
from paperwire.feed import comments
from paperwire.web.app import render
from paperwire.web.deps import AdminDep, StoreDep
from paperwire.web.pages.account import flash, signin_redirect, take_flash
from paperwire.web.security import check_csrf

router = APIRouter(include_in_schema=False)


def _done(request: Request, message: str) -> Response:
    flash(request, message)
    return RedirectResponse("/admin", status_code=303)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, store: StoreDep, admin: AdminDep) -> Response:
    if admin is None:
        return signin_redirect(request)
    return render(
        request,
        "admin.html",
        flash=take_flash(request),
        comments=comments.recent_comments(store),
        users=users.list_users(store, limit=100),
        hidden=moderation.hidden_papers(store),
    )


@router.post("/admin/papers", dependencies=[Depends(check_csrf)])
def admin_paper(
    request: Request, store: StoreDep, admin: AdminDep, paper_id: str = Form(""), action: str = Form("hide")
) -> Response:
    if admin is None:
        return signin_redirect(request, "/admin")
    if action not in ("hide", "unhide"):
        raise InvalidInput(f"unknown action {action[:40]!r}: hide or unhide")
    try:
        arxiv_id = moderation.hide_paper(store, paper_id, hidden=action == "hide")
    except PaperwireError as exc:
        flash(request, exc.message, bad=True)
        return RedirectResponse("/admin", status_code=303)
    return _done(request, f"Paper {arxiv_id} is now {'hidden' if action == 'hide' else 'visible'}.")


@router.post("/admin/comments/{comment_id}", dependencies=[Depends(check_csrf)])
def admin_comment(
    request: Request, store: StoreDep, admin: AdminDep, comment_id: int, action: str = Form("hide")
) -> Response:
    if admin is None:
        return signin_redirect(request, "/admin")
    if action in ("hide", "unhide"):
        comments.hide_comment(store, admin, comment_id, hidden=action == "hide")
    elif action == "delete":
        comments.delete_comment(store, admin, comment_id)
    else:
        raise InvalidInput(f"unknown action {action[:40]!r}: hide, unhide or delete")
    return _done(request, f"Comment {comment_id}: {action} done.")


@router.post("/admin/users/{user_id}", dependencies=[Depends(check_csrf)])
def admin_user(
    request: Request, store: StoreDep, admin: AdminDep, user_id: int, action: str = Form("block")
) -> Response:
    if admin is None:
        return signin_redirect(request, "/admin")
    if user_id == admin["id"]:
        raise InvalidInput("you cannot block or demote yourself")
    if action in ("block", "unblock"):
        users.set_blocked(store, user_id, action == "block")
    elif action in ("admin", "user"):
        users.set_role(store, user_id, action)
    else:
        raise InvalidInput(f"unknown action {action[:40]!r}: block, unblock, admin or user")
    return _done(request, f"User {user_id}: {action} done.")
