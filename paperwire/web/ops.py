"""Operations endpoints: /readyz (can this worker serve?) and /metrics (Prometheus), plus request timing.

Metrics are per process: each web worker counts only the requests it served and exposes them on its
own /metrics. Scrape every worker, or use prometheus-client's multi-process mode (PROMETHEUS_MULTIPROC_DIR),
which Paperwire does not set up. /healthz (in app.py) only says the process is up; /readyz also checks
the database and the search indexes, for a load balancer or an orchestrator's readiness probe.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DBAPIError

from paperwire import jobqueue
from paperwire.config import Settings
from paperwire.errors import PaperwireError
from paperwire.metrics import HTTP_REQUEST_SECONDS, job_queue, registry
from paperwire.store.database import check_reachable
from paperwire.web.deps import EngineDep, SettingsDep, StoreDep

router = APIRouter(include_in_schema=False)


@router.get("/readyz")
def readyz(store: StoreDep, engine: EngineDep) -> JSONResponse:
    """200 when the database answers and the search indexes are loaded (with their sizes); 503 with the reason otherwise."""
    try:
        check_reachable(store)
    except PaperwireError as exc:
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "reason": exc.message}, status_code=503
        )
    try:
        engine.sync(force=False)  # what every search does first: load the indexes, or catch up at most every few s
        indexes = {"keyword": len(engine.keyword), "vectors": len(engine.vectors)}
    except Exception as exc:
        reason = f"search indexes not loaded: {exc}" if str(exc) else f"search indexes not loaded: {type(exc).__name__}"
        return JSONResponse({"status": "unavailable", "database": "ok", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ready", "database": "ok", "indexes": indexes})


def is_loopback(host: str | None) -> bool:
    """Whether a client address is this machine's (127.0.0.0/8, ::1, or IPv4 loopback mapped into IPv6)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False  # a name (or no address at all, as on a Unix socket) is not trusted
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def metrics_refusal(request: Request, settings: Settings) -> Response | None:
    """Why this request may not read /metrics, or None when it may: with metrics_token set every client must
    send it; without, only loopback clients are served."""
    token = settings.metrics_token
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        return PlainTextResponse(
            "401: /metrics needs the metrics token (Authorization: Bearer <token>)\n",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    if is_loopback(request.client.host if request.client else None):
        return None
    return PlainTextResponse(
        "403: /metrics answers loopback clients only; set PAPERWIRE_METRICS_TOKEN to scrape it from elsewhere\n",
        status_code=403,
    )


@router.get("/metrics")
def metrics(request: Request, settings: SettingsDep, store: StoreDep) -> Response:
    """The web workers' metrics in Prometheus text format, plus the job queue's depth read from the database.

    Loopback clients only, or any client with the metrics token (settings.metrics_token)."""
    refusal = metrics_refusal(request, settings)
    if refusal is not None:
        return refusal
    body = generate_latest(registry())
    try:
        body += generate_latest(job_queue(jobqueue.depth(store)))
    except DBAPIError:
        pass  # the database is away: /readyz says so; the processes' own metrics still come back
    return Response(body, media_type=CONTENT_TYPE_LATEST)


class RequestTiming:
    """Times every HTTP request by route template (never the raw path), method and status; skips /metrics."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_status(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = getattr(scope.get("route"), "path_format", None) or "unmatched"  # set by the router on a match
            HTTP_REQUEST_SECONDS.labels(route=route, method=scope["method"], status=str(status)).observe(
                time.perf_counter() - started
            )
