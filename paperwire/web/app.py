"""create_app(paperwire): the FastAPI application serving the pages, the JSON API and the feeds."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from paperwire.accounts.secret import secret_key
from paperwire.application import Paperwire
from paperwire.errors import PaperwireError
from paperwire.store.failures import DatabaseUnavailable, database_failure, disk_failure
from paperwire.web.deps import attach, current_user, paperwire_of
from paperwire.web.ops import RequestTiming
from paperwire.web.security import csrf_token
from paperwire.web.templating import templates

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("paperwire.web")


def create_app(paperwire: Paperwire) -> FastAPI:
    """Build the web application around one Paperwire, which every route reaches through paperwire.web.deps."""
    settings = paperwire.settings
    app = FastAPI(
        title="Paperwire API",
        description="Daily papers, search and votes. Shaped like Hugging Face's daily papers API.",
        version="0.1.0",
        docs_url=None,  # served by paperwire.web.apidocs from the site's own files, under the CSP
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    attach(app, paperwire)
    secure = (
        settings.secure_cookies if settings.secure_cookies is not None else settings.site_url.startswith("https://")
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings, paperwire.store),
        session_cookie="paperwire_session",
        max_age=30 * 24 * 3600,
        same_site="lax",
        https_only=secure,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestTiming)
    app.add_middleware(HeadAsGet)  # outermost: every route, mount and error below sees a GET
    _install_error_handlers(app)
    from paperwire.web import routes

    for router in routes.routers():
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    return app


_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
# base-uri and form-action: an injected <base> or <form> can neither re-point the page's links nor post its CSRF token.
_CSP = (
    b"content-security-policy",
    b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
)
_EXTRA = [*_HEADERS, _CSP]


class SecurityHeaders:
    """Adds safe defaults to every response (a plain ASGI middleware: no per-request task overhead)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in _EXTRA if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """Answers HEAD wherever GET is answered (pages, API, feeds, static files): the request runs as a GET and the
    response keeps its status and headers (Content-Length, ETag included) without its body.

    FastAPI routes declared with @get answer only GET; link checkers and uptime probes send HEAD. The server
    keeps its own scope (method HEAD, so it sends no body either); the application gets a copy.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: dict) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with what every page needs: the user, the CSRF token, the settings."""
    settings = paperwire_of(request.app).settings
    context.update(request=request, user=current_user(request), csrf=csrf_token(request), settings=settings)
    return templates().TemplateResponse(request, template, context, status_code=status)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error_response(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None, field: str | None = None
) -> Response:
    """JSON `{"error": message}` (what Hugging Face's API returns and its client reads; `field` names the parameter
    at fault when one is known) for the API, an error page for people; the status code carries the kind."""
    if _wants_json(request):
        body: dict[str, str] = {"error": message}
        if field:
            body["field"] = field
        response: Response = JSONResponse(body, status_code=status)
    else:
        try:
            response = render(request, "error.html", status=status, status_code=status, message=message)
        except Exception:
            response = PlainTextResponse(f"{status}: {message}", status_code=status)
    response.headers.update(headers or {})
    return response


class _OutageLog:
    """Logs a storage outage once per kind and then at most every `every` seconds, without tracebacks."""

    def __init__(self, every: float = 30.0) -> None:
        self.every = every
        self.last: dict[str, float] = {}
        self.quiet: dict[str, int] = {}

    def note(self, request: Request, failure: DatabaseUnavailable) -> None:
        now = time.monotonic()
        if now - self.last.get(failure.kind, -self.every) < self.every:
            self.quiet[failure.kind] = self.quiet.get(failure.kind, 0) + 1
            return
        more = self.quiet.pop(failure.kind, 0)
        self.last[failure.kind] = now
        log.warning(
            "storage outage (%s) on %s %s: %s%s",
            failure.kind,
            request.method,
            request.url.path,
            failure.detail,
            f" ({more} more such errors since the last report)" if more else "",
        )


def _install_error_handlers(app: FastAPI) -> None:
    outages = _OutageLog()

    def _outage(request: Request, failure: DatabaseUnavailable) -> Response:
        outages.note(request, failure)
        if not hasattr(request.state, "user"):
            request.state.user = None  # the error page must not ask the database who is signed in
        return _error_response(request, failure.status, failure.message, {"Retry-After": str(failure.retry_after)})

    @app.exception_handler(PaperwireError)
    async def _domain(request: Request, exc: PaperwireError) -> Response:
        if isinstance(exc, DatabaseUnavailable):
            return _outage(request, exc)
        return _error_response(request, exc.status, exc.message, field=getattr(exc, "field", None))

    @app.exception_handler(sa_exc.DBAPIError)
    @app.exception_handler(sa_exc.TimeoutError)
    async def _database(request: Request, exc: Exception) -> Response:
        failure = database_failure(exc)
        if failure is None:  # a failing query, not an outage: a bug
            return await _unexpected(request, exc)
        return _outage(request, failure)

    @app.exception_handler(OSError)
    async def _disk(request: Request, exc: OSError) -> Response:
        failure = disk_failure(exc)  # e.g. a search index's file on a full disk
        if failure is None:
            return await _unexpected(request, exc)
        return _outage(request, failure)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        fields = [
            ".".join(str(p) for p in err["loc"] if p not in ("query", "body", "path", "form")) for err in exc.errors()
        ]
        problems = "; ".join(f"{name}: {err['msg']}" for name, err in zip(fields, exc.errors(), strict=True))
        return _error_response(request, 400, f"invalid request: {problems}", field=fields[0] if fields else None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "not found", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
        return _error_response(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error_response(request, 500, "something went wrong on our side; it has been logged")
