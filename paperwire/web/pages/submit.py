"""Submit a paper to today's daily list (signed-in users; metadata fetched from arXiv when unknown)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.application import Paperwire
from paperwire.errors import PaperwireError, SourceUnavailable
from paperwire.papers.fetch import submit_from_arxiv
from paperwire.web.app import current_user, render
from paperwire.web.pages.account import flash, signin_redirect, take_flash
from paperwire.web.security import check_csrf

router = APIRouter(include_in_schema=False)
WEB_RETRIES = 1  # a visitor is waiting: one retry, then an answer
WEB_TIMEOUT = 15.0


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request) -> Response:
    if current_user(request) is None:
        return signin_redirect(request)
    return render(
        request, "submit.html", flash=take_flash(request), arxiv="", submitted=request.session.pop("submitted", None)
    )


@router.post("/submit", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def submit_paper(request: Request, arxiv: str = Form("")) -> Response:
    """Add the paper to today's list; any problem re-renders the form with its message."""
    user = current_user(request)
    if user is None:
        return signin_redirect(request, "/submit")
    settings = request.app.state.settings
    # The site's objects wrapped as the application object, until the page takes it as a typed dependency.
    app = Paperwire(settings, store=request.app.state.store, engine=request.app.state.engine)
    try:
        done = submit_from_arxiv(
            app,
            arxiv,
            day=datetime.now(UTC).date(),
            submitter=user["display_name"],
            user_id=user["id"],
            max_age_days=settings.submission_max_age_days,
            daily_quota=settings.submissions_per_day,
            retries=WEB_RETRIES,
            timeout=WEB_TIMEOUT,
        )
    except SourceUnavailable:
        return render(
            request,
            "submit.html",
            status=502,
            arxiv=arxiv,
            error="arXiv could not be reached just now, so the paper could not be looked up: please try again later",
        )
    except PaperwireError as exc:
        return render(request, "submit.html", status=exc.status, arxiv=arxiv, error=exc.message)
    flash(request, f"Added “{done.title}” ({done.arxiv_id}) to the list of {done.list_date.isoformat()}.")
    request.session["submitted"] = done.arxiv_id
    return RedirectResponse("/submit", status_code=303)
