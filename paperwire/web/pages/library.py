"""The library page (the reader's papers, remove one, the "not interested" marks with undo), the "not interested"
button of lists and paper pages, and the imports of the settings page (a file upload, a Zotero sync)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.accounts import ratelimit
from paperwire.accounts.signin import safe_next
from paperwire.errors import InvalidInput, PaperwireError, SourceUnavailable
from paperwire.papers import library
from paperwire.papers.library_import import ImportResult, import_file
from paperwire.papers.library_zotero import ZoteroLibrary, sync_zotero
from paperwire.web.app import render
from paperwire.web.deps import AppDep, UserDep
from paperwire.web.pages.account import flash, signin_redirect, take_flash
from paperwire.web.pages.digest import settings_context
from paperwire.web.security import check_csrf

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
DISMISSED_SHOWN = 200
MULTIPART_SLACK = 64 * 1024  # form fields and part headers around the file


@router.get("/library", response_class=HTMLResponse)
def library_page(request: Request, app: AppDep, user: UserDep, page: int = Query(1, ge=1, le=10_000)) -> Response:
    """The reader's papers, newest first, and the papers they marked "not interested"."""
    if user is None:
        return signin_redirect(request)
    return _render_library(request, app, user, page=page)


def _render_library(
    request: Request, app: Any, user: dict[str, Any], *, page: int = 1, report: ImportResult | None = None, **extra: Any
) -> HTMLResponse:
    offset = (page - 1) * PAGE_SIZE
    shown = library.library_page(app.store, user["id"], limit=PAGE_SIZE, offset=offset)
    return render(
        request,
        "library.html",
        flash=take_flash(request),
        papers=shown.papers,
        total=shown.total,
        page=page,
        offset=offset,
        has_more=offset + len(shown.papers) < shown.total,
        dismissed=library.dismissed_papers(app.store, user["id"], limit=DISMISSED_SHOWN),
        report=report,
        **extra,
    )


@router.post("/library/remove", dependencies=[Depends(check_csrf)])
def remove(request: Request, app: AppDep, user: UserDep, paper_id: str = Form("")) -> Response:
    if user is None:
        return signin_redirect(request, "/library")
    library.remove_paper(app.store, user["id"], paper_id)
    flash(request, f"Removed “{library.paper_title(app.store, paper_id)}” from your library.")
    return RedirectResponse("/library", status_code=303)


@router.post("/library/add", dependencies=[Depends(check_csrf)])
def add(request: Request, app: AppDep, user: UserDep, paper_id: str = Form(""), next: str = Form("")) -> Response:
    """Put one paper in the library (the paper page's button); back to where it was pressed."""
    if user is None:
        return signin_redirect(request, safe_next(next) if next else "/library")
    library.add_paper(app.store, user["id"], paper_id)
    if next:
        return RedirectResponse(safe_next(next), status_code=303)
    flash(request, f"Added “{library.paper_title(app.store, paper_id)}” to your library.")
    return RedirectResponse("/library", status_code=303)


@router.post("/library/dismiss", dependencies=[Depends(check_csrf)])
def dismiss(request: Request, app: AppDep, user: UserDep, paper_id: str = Form(""), next: str = Form("")) -> Response:
    """Mark a paper "not interested": back to the page that asked (a paper page shows the mark), else to the
    library page, whose list of marks has the undo button."""
    if user is None:
        return signin_redirect(request, safe_next(next) if next else "/library")
    arxiv_id = library.dismiss_paper(app.store, user["id"], paper_id)
    if next:
        return RedirectResponse(safe_next(next), status_code=303)
    flash(
        request,
        f"Marked “{library.paper_title(app.store, arxiv_id)}” not interested: it is listed below, with an undo button.",
    )
    return RedirectResponse("/library#dismissed", status_code=303)


@router.post("/library/undismiss", dependencies=[Depends(check_csrf)])
def undismiss(request: Request, app: AppDep, user: UserDep, paper_id: str = Form(""), next: str = Form("")) -> Response:
    if user is None:
        return signin_redirect(request, "/library")
    arxiv_id = library.undismiss_paper(app.store, user["id"], paper_id)
    if next:
        return RedirectResponse(safe_next(next), status_code=303)
    flash(request, f"“{library.paper_title(app.store, arxiv_id)}” is no longer marked not interested.")
    return RedirectResponse("/library#dismissed", status_code=303)


async def _size_limit(request: Request, app: AppDep) -> None:
    """Refuse an upload whose declared size is over the limit before its body is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > app.settings.library_upload_max_bytes + MULTIPART_SLACK:
        raise PaperwireError(_too_big(app.settings.library_upload_max_bytes), status=413)


def _too_big(limit: int) -> str:
    return f"the file is larger than {limit / 1_000_000:g} MB: split it, or import it with `paperwire library import`"


def _settings_error(request: Request, app: Any, user: dict[str, Any], status: int, **errors: str) -> HTMLResponse:
    """The settings page again, with the import's error beside its form."""
    return render(
        request,
        "settings.html",
        status=status,
        display_name=user["display_name"] or "",
        **errors,
        **settings_context(app, user),
    )


def _rate_limited(
    request: Request, app: Any, user: dict[str, Any], exc: ratelimit.RateLimited, **errors: str
) -> HTMLResponse:
    response = _settings_error(request, app, user, 429, **errors)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@router.post("/library/import", dependencies=[Depends(_size_limit), Depends(check_csrf)])
def upload(request: Request, app: AppDep, user: UserDep, file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Import an uploaded BibTeX, RIS, CSL-JSON or id-list file; the result (and every unmatched entry, with its
    reason) is shown on the library page. arXiv is asked once at most: a longer file is imported in turns."""
    if user is None:
        return signin_redirect(request, "/settings#library")
    limit = app.settings.library_upload_max_bytes
    if file is None or not file.filename:
        return _settings_error(request, app, user, 400, library_error="choose a file to import")
    data = file.file.read(limit + 1)
    if len(data) > limit:
        return _settings_error(request, app, user, 413, library_error=_too_big(limit))
    try:
        ratelimit.hit(app.store, ratelimit.imports_per_user(app.settings), user["id"])
    except ratelimit.RateLimited as exc:
        return _rate_limited(request, app, user, exc, library_error=exc.message)
    try:
        result = import_file(app, user["id"], data, filename=file.filename, fetch_limit=app.settings.arxiv_page_size)
    except InvalidInput as exc:
        return _settings_error(request, app, user, 400, library_error=f"{file.filename}: {exc.message}")
    return _render_library(request, app, user, report=result, report_name=file.filename)


@router.post("/library/zotero", dependencies=[Depends(check_csrf)])
def zotero(
    request: Request,
    app: AppDep,
    user: UserDep,
    kind: str = Form("users"),
    library_id: str = Form(""),
    api_key: str = Form(""),
) -> Response:
    """Sync a Zotero library with the key given in the form (used for this sync only, never stored)."""
    if user is None:
        return signin_redirect(request, "/settings#library")
    try:
        ratelimit.hit(app.store, ratelimit.imports_per_user(app.settings), user["id"])
    except ratelimit.RateLimited as exc:
        return _rate_limited(request, app, user, exc, zotero_error=exc.message)
    try:
        target = ZoteroLibrary(kind, library_id.strip())  # type: ignore[arg-type]
        synced = sync_zotero(app, user["id"], target, api_key, fetch_limit=app.settings.arxiv_page_size)
    except (InvalidInput, SourceUnavailable) as exc:
        status = 400 if isinstance(exc, InvalidInput) else 502
        return _settings_error(
            request, app, user, status, zotero_error=exc.message, zotero_kind=kind, zotero_id=library_id[:20]
        )
    return _render_library(request, app, user, report=synced.result, report_name="Zotero", zotero=synced.summary())
