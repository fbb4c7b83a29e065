"""The comment forms of the paper page: post or reply, edit, delete (author or admin), hide and show (admins)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.accounts.signin import safe_next
from paperwire.errors import InvalidInput
from paperwire.feed import comments as domain
from paperwire.papers.record import parse_arxiv_id
from paperwire.web.app import render
from paperwire.web.deps import AppDep, StoreDep, UserDep
from paperwire.web.pages.account import signin_redirect
from paperwire.web.security import check_csrf

router = APIRouter(include_in_schema=False)


def _paper_url(paper_id: str, anchor: str = "comments") -> str:
    return f"/papers/{paper_id}#{anchor}"


@router.post("/papers/{paper_id:path}/comments", dependencies=[Depends(check_csrf)])
def post_comment(
    request: Request, app: AppDep, user: UserDep, paper_id: str, body: str = Form(""), reply_to: str = Form("")
) -> Response:
    """Add a comment, or a reply to comment `reply_to`; a bad one comes back in a form with its message."""
    arxiv_id, _ = parse_arxiv_id(paper_id)
    if user is None:
        return signin_redirect(request, _paper_url(arxiv_id))
    try:
        parent = _comment_id(reply_to)
        comment_id = domain.add_comment(app.store, app.settings, user, arxiv_id, body, reply_to=parent)
    except InvalidInput as exc:
        return render(
            request,
            "comment_form.html",
            status=400,
            action=f"/papers/{arxiv_id}/comments",
            paper_id=arxiv_id,
            body=body,
            reply_to=reply_to.strip() if _COMMENT_NUMBER.fullmatch(reply_to.strip()) else "",
            error=exc.message,
            heading="Your reply" if reply_to.strip() else "Your comment",
        )
    return RedirectResponse(_paper_url(arxiv_id, f"comment-{comment_id}"), status_code=303)


_COMMENT_NUMBER = re.compile(r"[0-9]{1,18}")


def _comment_id(text: str) -> int | None:
    """The comment a form replies to: none when blank, InvalidInput when not a comment number."""
    text = text.strip()
    if not text:
        return None
    if not _COMMENT_NUMBER.fullmatch(text):
        raise InvalidInput(f"cannot reply to {text[:40]!r}: not a comment number", field="reply_to")
    return int(text)


@router.get("/comments/{comment_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, store: StoreDep, user: UserDep, comment_id: int) -> Response:
    if user is None:
        return signin_redirect(request)
    comment = domain.editable_comment(store, user, comment_id)
    return render(
        request,
        "comment_form.html",
        action=f"/comments/{comment_id}/edit",
        paper_id=comment["paper_id"],
        body=comment["body"],
        heading="Edit your comment",
    )


@router.post("/comments/{comment_id}/edit", dependencies=[Depends(check_csrf)])
def edit(request: Request, app: AppDep, user: UserDep, comment_id: int, body: str = Form("")) -> Response:
    if user is None:
        return signin_redirect(request, f"/comments/{comment_id}/edit")
    try:
        comment = domain.edit_comment(app.store, app.settings, user, comment_id, body)
    except InvalidInput as exc:
        comment = domain.editable_comment(app.store, user, comment_id)
        return render(
            request,
            "comment_form.html",
            status=400,
            action=f"/comments/{comment_id}/edit",
            paper_id=comment["paper_id"],
            body=body,
            error=exc.message,
            heading="Edit your comment",
        )
    return RedirectResponse(_paper_url(comment["paper_id"], f"comment-{comment_id}"), status_code=303)


@router.post("/comments/{comment_id}/delete", dependencies=[Depends(check_csrf)])
def delete(
    request: Request, store: StoreDep, user: UserDep, comment_id: int, next: str | None = Form(None)
) -> Response:
    if user is None:
        return signin_redirect(request, safe_next(next))
    comment = domain.delete_comment(store, user, comment_id)
    return RedirectResponse(safe_next(next) if next else _paper_url(comment["paper_id"]), status_code=303)


@router.post("/comments/{comment_id}/hide", dependencies=[Depends(check_csrf)])
def hide(
    request: Request,
    store: StoreDep,
    user: UserDep,
    comment_id: int,
    hidden: str = Form("1"),
    next: str | None = Form(None),
) -> Response:
    """Hide (hidden=1) or show again (hidden=0) a comment; admins only."""
    if user is None:
        return signin_redirect(request, safe_next(next))
    comment = domain.hide_comment(store, user, comment_id, hidden=hidden != "0")
    return RedirectResponse(
        safe_next(next) if next else _paper_url(comment["paper_id"], f"comment-{comment_id}"), status_code=303
    )
