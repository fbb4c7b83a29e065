"""Submit a paper to today's daily list (signed-in users; metadata fetched from arXiv when unknown)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.errors import PaperwireError, SourceUnavailable
from paperwire.papers.fetch import submit_from_arxiv
from paperwire.papers.submit import AlreadyListed
from paperwire.web.app import render
from paperwire.web.deps import AppDep, UserDep
from paperwire.web.pages.account import flash, signin_redirect, take_flash
from paperwire.web.security import check_csrf

router = APIRouter(include_in_schema=False)
WEB_RETRIES = 1  # a visitor is waiting: one retry, then an answer
WEB_TIMEOUT = 15.0


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request, user: UserDep) -> Response:
    if user is None:
        return signin_redirect(request)
    return render(
        request, "submit.html", flash=take_flash(request), arxiv="", submitted=request.session.pop("submitted", None)
    )


@router.post("/submit", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
def submit_paper(request: Request, app: AppDep, user: UserDep, arxiv: str = Form("")) -> Response:
    """Add the paper to today's list; any problem re-renders the form with its message."""
    if user is None:
        return signin_redirect(request, "/submit")
    try:
        done = submit_from_arxiv(
            app,
            arxiv,
            day=datetime.now(UTC).date(),
            submitter=user["display_name"],
            user_id=user["id"],
            max_age_days=app.settings.submission_max_age_days,
            daily_quota=app.settings.submissions_per_day,
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
    except AlreadyListed as listed:
        return render(
            request,
            "submit.html",
            status=listed.status,
            arxiv=arxiv,
            error=listed.message,
            listed_url=f"/?date={listed.day.isoformat()}",
            paper_url=f"/papers/{listed.arxiv_id}",
        )
    except PaperwireError as exc:
        return render(request, "submit.html", status=exc.status, arxiv=arxiv, error=exc.message)
    flash(request, f"Added “{done.title}” ({done.arxiv_id}) to the list of {done.list_date.isoformat()}.")
    request.session["submitted"] = done.arxiv_id
    return RedirectResponse("/submit", status_code=303)
