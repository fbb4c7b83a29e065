"""Commands that run and look after an instance: migrate, serve, demo, status, backup."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from paperwire.cli.common import app, app_of, err, out, settings_of
from paperwire.config import Settings
from paperwire.store import Store


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Create or upgrade the database schema (also done on every start)."""
    from paperwire.store.migrate import current_revision, upgrade

    store = Store.open(app_of(ctx).settings, migrate=False)  # opened as it is, to upgrade it here
    applied = upgrade(store)
    out.print(
        f"database {store.url} at revision {current_revision(store)}"
        + (f" (applied {', '.join(applied)})" if applied else " (already up to date)"),
        markup=False,
    )


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Web worker processes.")] = 1,
) -> None:
    """Serve the web site and the JSON API."""
    _serve(settings_of(ctx), host, port, workers)


def with_served_url(settings: Settings, host: str, port: int) -> Settings:
    """The settings whose mailed and feed links point at where this server listens, unless site_url was given.

    A wildcard address (0.0.0.0, ::) names no host a reader can reach, so the links say 127.0.0.1 there.
    """
    if "site_url" in settings.model_fields_set:
        return settings
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else f"[{host}]" if ":" in host else host
    return settings.model_copy(update={"site_url": f"http://{shown}:{port}"})


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import os
    import shutil
    import sys
    import tempfile
    from functools import partial

    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from paperwire.application import Paperwire
    from paperwire.jobs.worker import start_background
    from paperwire.logs import configure_logging
    from paperwire.web.factory import build

    settings = with_served_url(settings, host, port)
    configure_logging(settings)
    with Paperwire(settings) as paperwire:
        paperwire.engine.sync()  # build or catch up the indexes once, before workers start
    # A job worker in this process (off: scheduler_enabled, with `paperwire worker` elsewhere).
    start_background(settings)
    err.print(f"Paperwire at http://{host}:{port}/ (API docs at /docs)", markup=False)
    err.print(f"links in mail and feeds start with {settings.site_url} (PAPERWIRE_SITE_URL)", markup=False)
    shared_metrics = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # prometheus-client's own switch, inherited by the workers: each writes its counters here, so /metrics on
        # any worker reports all of them.
        shared_metrics = tempfile.mkdtemp(prefix="paperwire-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = shared_metrics
    # The factory is pickled to each worker process: the settings travel with it, not through the environment.
    config = uvicorn.Config(
        partial(build, settings),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,  # open connections get 10 s to finish
        # A busy new worker may take over 5 s to answer; a killed one is replaced after at most this.
        timeout_worker_healthcheck=10,
    )
    server = uvicorn.Server(config)
    try:
        if workers > 1:
            # What uvicorn.run does with an import string: the parent binds the socket, the workers share it.
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if shared_metrics:
            shutil.rmtree(shared_metrics, ignore_errors=True)
    if workers == 1 and not server.started:
        sys.exit(STARTUP_FAILURE)


@app.command()
def demo(
    ctx: typer.Context,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the site after loading.")] = True,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
) -> None:
    """Load the bundled demo corpus (real arXiv papers of Feb 2026 with Hugging Face daily lists) and serve it."""
    from paperwire.demo.install import install_demo

    pw = app_of(ctx)
    done = install_demo(pw)
    days = done.days
    out.print(f"demo corpus: {done.report.summary()}", markup=False)
    out.print(
        f"{done.totals['papers']} papers, {done.totals['listings']} daily-list entries over {len(days)} days "
        f"({days[-1][0]} to {days[0][0]}) in {pw.store.url}",
        markup=False,
    )
    out.print(
        f"{done.vectors} precomputed vectors imported; search indexes updated "
        f"({done.indexed['keyword']} keyword documents, {done.indexed['vectors']} vectors)",
        markup=False,
    )
    if serve:
        _serve(pw.settings, host, port, 1)


@app.command()
def status(ctx: typer.Context) -> None:
    """Show what the database holds."""
    from paperwire.store.migrate import current_revision
    from paperwire.store.papers import counts, listing_days

    store = app_of(ctx).store
    with store.read() as conn:
        totals = counts(conn)
        days = listing_days(conn)
    out.print(f"database: {store.url} (revision {current_revision(store)})", markup=False)
    for name, value in totals.items():
        out.print(f"{name}: {value}", markup=False)
    if days:
        out.print(f"daily lists: {len(days)} days, latest {days[0][0]} ({days[0][1]} papers)", markup=False)


@app.command()
def backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="File to write the copy to.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH if it exists.")] = False,
) -> None:
    """Copy the live SQLite database to PATH while the site runs (for PostgreSQL, use pg_dump)."""
    from paperwire.store.backup import backup_sqlite

    store = Store.open(app_of(ctx).settings, migrate=False)  # a backup copies the database as it is
    try:
        size = backup_sqlite(store, path, force=force)
    finally:
        store.close()
    out.print(f"backed up {store.url} to {path} ({size / 1e6:.1f} MB)", markup=False)
