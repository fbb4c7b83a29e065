"""Operations endpoints: /readyz (can this worker serve?) and /metrics (Prometheus), plus request timing.

Metrics are per process: each web worker counts only the requests it served and exposes them on its
own /metrics. Scrape every worker, or use prometheus-client's multi-process mode (PROMETHEUS_MULTIPROC_DIR),
which Paperwire does not set up. /healthz (in app.py) only says the process is up; /readyz also checks
the database and the search indexes, for a load balancer or an orchestrator's readiness probe.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DBAPIError

from paperwire.errors import PaperwireError
from paperwire.metrics import HTTP_REQUEST_SECONDS, job_queue, registry
from paperwire.store import jobs as job_rows
from paperwire.store.database import check_reachable

router = APIRouter(include_in_schema=False)


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """200 when the database answers and the search indexes are loaded (with their sizes); 503 with the reason otherwise."""
    try:
        check_reachable(request.app.state.store)
    except PaperwireError as exc:
        return JSONResponse({"status": "unavailable", "database": "unreachable", "reason": exc.message}, status_code=503)
    engine = request.app.state.engine
    try:
        engine.sync(force=False)  # what every search does first: load the indexes, or catch up at most every few s
        indexes = {"keyword": len(engine.keyword), "vectors": len(engine.vectors)}
    except Exception as exc:  # noqa: BLE001 - any failure to load an index means "not ready", with its reason
        reason = f"search indexes not loaded: {exc}" if str(exc) else f"search indexes not loaded: {type(exc).__name__}"
        return JSONResponse({"status": "unavailable", "database": "ok", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ready", "database": "ok", "indexes": indexes})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """The web workers' metrics in Prometheus text format, plus the job queue's depth read from the database."""
    body = generate_latest(registry())
    try:
        with request.app.state.store.read() as conn:
            body += generate_latest(job_queue(job_rows.depth(conn, datetime.now(UTC))))
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
