"""Submit a paper to today's daily list (signed-in users; metadata fetched from arXiv when unknown)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.errors import PaperwireError, SourceUnavailable
from paperwire.papers.record import ParsedItem, parse_arxiv_id
from paperwire.papers.submit import submit
from paperwire.sources.arxiv_api import fetch_ids
from paperwire.sources.http import PoliteClient
from paperwire.web.app import render
from paperwire.web.deps import SettingsDep, StoreDep, UserDep
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
def submit_paper(
    request: Request, store: StoreDep, settings: SettingsDep, user: UserDep, arxiv: str = Form("")
) -> Response:
    """Add the paper to today's list; any problem re-renders the form with its message."""
    if user is None:
        return signin_redirect(request, "/submit")
    try:
        parse_arxiv_id(arxiv)
        web_settings = settings.model_copy(
            update={
                "http_retries": min(settings.http_retries, WEB_RETRIES),
                "http_timeout": min(settings.http_timeout, WEB_TIMEOUT),
            }
        )
        with PoliteClient(web_settings) as client:

            def fetch(arxiv_id: str) -> list[ParsedItem]:
                return fetch_ids(client, web_settings, [arxiv_id])

            done = submit(
                store,
                arxiv,
                day=datetime.now(UTC).date(),
                fetch=fetch,
                submitter=user["display_name"],
                user_id=user["id"],
                max_age_days=settings.submission_max_age_days,
                daily_quota=settings.submissions_per_day,
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
