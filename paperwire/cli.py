"""The `paperwire` command: parses arguments, calls the domain modules, prints. No logic of its own."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import exc as sa_exc
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from typer.core import TyperGroup

from paperwire.config import Settings, load_settings
from paperwire.errors import InvalidInput, PaperwireError
from paperwire.papers.ingest import IngestReport, StrictStop, ingest_items
from paperwire.papers.record import RecordError
from paperwire.sources.files import FORMATS
from paperwire.store import Store
from paperwire.store.failures import database_failure

err = Console(stderr=True, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


class _Group(TyperGroup):
    """Renders domain errors as one clean line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except PaperwireError as exc:
            show_error(exc)
            raise typer.Exit(3 if isinstance(exc, StrictStop) else 1) from None
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
            failure = database_failure(exc)
            if failure is None:  # a bug, not an outage: keep the traceback
                raise
            show_error(PaperwireError(f"{failure.message} ({failure.detail})"))
            raise typer.Exit(1) from None


def show_error(exc: PaperwireError) -> None:
    """The one place a domain error becomes terminal output."""
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False)


app = typer.Typer(cls=_Group, no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  help="Paperwire: a self-hosted research-paper hub.")  # fmt: skip
fetch_app = typer.Typer(cls=_Group, no_args_is_help=True, help="Fetch papers from live sources (arXiv, OAI-PMH, Hugging Face).")
app.add_typer(fetch_app, name="fetch")


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (overrides PAPERWIRE_DATABASE_URL).")] = None,
    home: Annotated[Path | None, typer.Option("--home", help="Data folder (overrides PAPERWIRE_HOME).")] = None,
) -> None:
    """Paperwire: a self-hosted research-paper hub."""
    ctx.obj = load_settings(database_url=db, home=home)


def _settings(ctx: typer.Context) -> Settings:
    return ctx.find_root().obj


def _open(ctx: typer.Context) -> Store:
    return Store.open(_settings(ctx))


def _parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option}: expected a date as YYYY-MM-DD, got {text!r}") from None


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Create or upgrade the database schema (also done on every start)."""
    from paperwire.store.migrate import current_revision, upgrade

    store = Store.open(_settings(ctx), migrate=False)
    applied = upgrade(store)
    out.print(f"database {store.url} at revision {current_revision(store)}"
              + (f" (applied {', '.join(applied)})" if applied else " (already up to date)"))  # fmt: skip


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[records]} records"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )


def _print_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        out.print(json.dumps(report.as_dict(), ensure_ascii=False), markup=False)
    else:
        out.print(report.summary())


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files to read: plain, .gz or .xz.")],
    fmt: Annotated[str | None, typer.Option("--format", help=f"Input format, one of {', '.join(FORMATS)}; detected when omitted.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad record with exit code 3.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Ingest paper files (arXiv snapshot, API Atom, OAI-PMH, Hugging Face daily lists, plain JSONL)."""
    from paperwire.papers.load import ingest_paths

    if fmt is not None and fmt not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    settings = _settings(ctx)
    store = Store.open(settings)

    def show_error(error: RecordError) -> None:
        if not as_json:
            err.print(f"[yellow]skipped[/] {error}", highlight=False)

    with _progress() as progress:
        tasks: dict[Path, Any] = {}

        def on_progress(path: Path, done: int, size: int, records: int) -> None:
            if path not in tasks:
                tasks[path] = progress.add_task(path.name, total=size, records=0)
            progress.update(tasks[path], completed=done, records=records)

        try:
            report = ingest_paths(store, paths, fmt=fmt, strict=strict, batch_size=settings.ingest_batch_size,
                                  on_error=show_error, on_progress=on_progress)  # fmt: skip
        except StrictStop as stop:
            _print_report(stop.report, as_json)
            raise
    _print_report(report, as_json)


def _ingest_fetched(store: Store, settings: Settings, items: Any, source: str, label: str, as_json: bool) -> IngestReport:
    with _progress() as progress:
        task = progress.add_task(label, total=None, records=0)
        report = ingest_items(
            store, items, source=source, batch_size=min(settings.ingest_batch_size, 100),
            on_error=lambda e: None if as_json else err.print(f"[yellow]skipped[/] {e}", highlight=False),
            on_batch=lambda r: progress.update(task, records=r.processed),
        )  # fmt: skip
    _print_report(report, as_json)
    return report


@fetch_app.command("arxiv")
def fetch_arxiv(
    ctx: typer.Context,
    category: Annotated[str, typer.Option("--category", help="arXiv category, e.g. cs.CL.")],
    since: Annotated[str | None, typer.Option("--since", help="Stop at papers last updated before this date (YYYY-MM-DD).")] = None,
    max_results: Annotated[int | None, typer.Option("--max", help="Fetch at most this many papers.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Fetch a category's newest papers from the arXiv API (one request every 3 s, paged, retried)."""
    from paperwire.sources.arxiv_api import fetch_category
    from paperwire.sources.http import PoliteClient

    settings = _settings(ctx)
    since_day = _parse_day(since, "--since")
    store = Store.open(settings)
    with PoliteClient(settings) as client:
        items = fetch_category(client, settings, category, since=since_day, max_results=max_results)
        _ingest_fetched(store, settings, items, "arxiv-api", f"arXiv {category}", as_json)


@fetch_app.command("oai")
def fetch_oai(
    ctx: typer.Context,
    set_spec: Annotated[str, typer.Option("--set", help="OAI-PMH set, e.g. cs or physics:hep-th.")],
    from_date: Annotated[str | None, typer.Option("--from", help="Harvest records changed since this date; default: where the last run stopped.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Harvest records changed up to this date.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Harvest arXiv's OAI-PMH feed (arXivRaw), following resumption tokens; remembers where it stopped."""
    from paperwire.sources.http import PoliteClient
    from paperwire.sources.oai_harvest import harvest
    from paperwire.store.state import get_state, set_state

    settings = _settings(ctx)
    store = Store.open(settings)
    key = f"oai:{set_spec}:last_datestamp"
    start = _parse_day(from_date, "--from") or _parse_day(get_state(store, key), "stored datestamp")
    with PoliteClient(settings) as client:
        run = harvest(client, settings, set_spec, start, _parse_day(until, "--until"))
        _ingest_fetched(store, settings, run, "oai", f"OAI-PMH {set_spec}", as_json)
    if run.last_datestamp:
        set_state(store, key, run.last_datestamp[:10])
        if not as_json:
            err.print(f"next incremental harvest starts from {run.last_datestamp[:10]}")


@fetch_app.command("hf")
def fetch_hf(
    ctx: typer.Context,
    day: Annotated[str, typer.Option("--date", help="The daily list to fetch (YYYY-MM-DD).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Fetch one day of Hugging Face daily papers, with upvotes, into that day's list."""
    from paperwire.sources.hf_api import fetch_daily
    from paperwire.sources.http import PoliteClient

    settings = _settings(ctx)
    list_day = _parse_day(day, "--date")
    assert list_day is not None
    store = Store.open(settings)
    with PoliteClient(settings) as client:
        items = fetch_daily(client, settings, list_day)
    _ingest_fetched(store, settings, items, "huggingface", f"Hugging Face {day}", as_json)


@app.command()
def submit(
    ctx: typer.Context,
    arxiv_id: Annotated[str, typer.Argument(help="arXiv id or URL, e.g. 2503.11731 or https://arxiv.org/abs/2503.11731.")],
    day: Annotated[str | None, typer.Option("--date", help="Daily list to add it to (default: today, UTC).")] = None,
    submitter: Annotated[str | None, typer.Option("--submitter", help="Name shown as the submitter.")] = None,
) -> None:
    """Add a paper to today's daily list, fetching its metadata from arXiv if it is unknown."""
    from paperwire.papers.submit import submit as submit_paper
    from paperwire.sources.arxiv_api import fetch_ids
    from paperwire.sources.http import PoliteClient

    settings = _settings(ctx)
    list_day = _parse_day(day, "--date") or datetime.now(UTC).date()
    store = Store.open(settings)
    with PoliteClient(settings) as client:
        done = submit_paper(store, arxiv_id, day=list_day, submitter=submitter,
                            fetch=lambda pid: fetch_ids(client, settings, [pid]))  # fmt: skip
    origin = "fetched from arXiv" if done.fetched else "already known"
    out.print(f"added {done.arxiv_id} ({origin}) to the list of {done.list_date}: {done.title}")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Web worker processes.")] = 1,
) -> None:
    """Serve the web site and the JSON API."""
    _serve(_settings(ctx), host, port, workers)


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import os
    import shutil
    import tempfile

    import uvicorn

    from paperwire.logs import configure_logging
    from paperwire.search.engine import SearchEngine

    configure_logging(settings)
    store = Store.open(settings)
    SearchEngine(settings, store).sync()  # build or catch up the indexes once, before workers start
    store.close()
    # Workers build their app from the same environment (uvicorn's factory runs in each process).
    os.environ.update({f"PAPERWIRE_{k.upper()}": str(v) for k, v in settings.model_dump().items() if v is not None})
    from paperwire.jobs.worker import start_background

    start_background(settings)  # a job worker in this process (off: scheduler_enabled, with `paperwire worker` elsewhere)
    err.print(f"Paperwire at http://{host}:{port}/ (API docs at /docs)")
    shared_metrics = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its counters here, so /metrics on any worker reports all of them.
        shared_metrics = tempfile.mkdtemp(prefix="paperwire-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = shared_metrics
    try:
        uvicorn.run("paperwire.web.factory:app_from_environment", factory=True, host=host, port=port,
                    workers=workers, log_config=None, log_level=settings.log_level.lower(), access_log=False,
                    proxy_headers=True)  # fmt: skip
    finally:
        if shared_metrics:
            shutil.rmtree(shared_metrics, ignore_errors=True)


@app.command()
def demo(
    ctx: typer.Context,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the site after loading.")] = True,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
) -> None:
    """Load the bundled demo corpus (real arXiv papers of Feb 2026 with Hugging Face daily lists) and serve it."""
    from paperwire.demo import import_demo_vectors, load_demo
    from paperwire.search.engine import SearchEngine
    from paperwire.store.papers import counts, listing_days

    settings = _settings(ctx)
    store = Store.open(settings)
    report = load_demo(store, batch_size=settings.ingest_batch_size)
    vectors = import_demo_vectors(store, settings.embedding_model)
    indexed = SearchEngine(settings, store).sync()
    with store.read() as conn:
        totals = counts(conn)
        days = listing_days(conn)
    out.print(f"demo corpus: {report.summary()}")
    out.print(f"{totals['papers']} papers, {totals['listings']} daily-list entries over {len(days)} days "
              f"({days[-1][0]} to {days[0][0]}) in {store.url}")  # fmt: skip
    out.print(f"{vectors} precomputed vectors imported; search indexes updated "
              f"({indexed['keyword']} keyword documents, {indexed['vectors']} vectors)")  # fmt: skip
    if serve:
        _serve(settings, host, port, 1)


@app.command()
def status(ctx: typer.Context) -> None:
    """Show what the database holds."""
    from paperwire.store.migrate import current_revision
    from paperwire.store.papers import counts, listing_days

    store = Store.open(_settings(ctx))
    with store.read() as conn:
        totals = counts(conn)
        days = listing_days(conn)
    out.print(f"database: {store.url} (revision {current_revision(store)})")
    for name, value in totals.items():
        out.print(f"{name}: {value}")
    if days:
        out.print(f"daily lists: {len(days)} days, latest {days[0][0]} ({days[0][1]} papers)")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except PaperwireError as exc:  # raised outside a command, e.g. by the settings callback
        show_error(exc)
        sys.exit(1)


def _filters(category: list[str] | None, author: list[str] | None, since: str | None, until: str | None) -> Any:
    from paperwire.search.query import Filters, check_category, parse_date_option

    return Filters(
        categories=tuple(check_category(c) for c in category or ()),
        authors=tuple(author or ()),
        since=parse_date_option(since, "--since") if since else None,
        until=parse_date_option(until, "--until") if until else None,
    )


def _engine(ctx: typer.Context) -> Any:
    from paperwire.search.engine import SearchEngine

    settings = _settings(ctx)
    return SearchEngine(settings, Store.open(settings))


def _print_hits(hits: list[Any], as_json: bool) -> None:
    if as_json:
        out.print(json.dumps([hit.as_dict() for hit in hits], ensure_ascii=False), markup=False)
        return
    if not hits:
        out.print("no results")
    for rank, hit in enumerate(hits, start=1):
        day = hit.published.isoformat() if hit.published else "----------"
        out.print(f"{rank:>3}. {hit.id:<16} {day}  {' '.join(hit.categories[:3]):<20} {hit.score:.4f}  {hit.title}",
                  markup=False)  # fmt: skip


Category = Annotated[list[str] | None, typer.Option("--category", help="Only papers in this category (repeatable: any of them).")]
Author = Annotated[list[str] | None, typer.Option("--author", help="Only papers by an author with this name (repeatable: all of them).")]
Since = Annotated[str | None, typer.Option("--since", help="Only papers first published on or after this date (YYYY-MM-DD).")]
Until = Annotated[str | None, typer.Option("--until", help="Only papers first published on or before this date (YYYY-MM-DD).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON array of results.")]


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='Query: words, "phrases", -excluded, author:"Name", cat:cs.CL, since:/until:YYYY-MM-DD.')],
    mode: Annotated[str, typer.Option("--mode", help="hybrid (default), keyword or semantic.")] = "hybrid",
    limit: Annotated[int, typer.Option("--limit", help="Number of results (1-100).")] = 10,
    offset: Annotated[int, typer.Option("--offset", help="Skip this many results (for paging).")] = 0,
    category: Category = None,
    since: Since = None,
    until: Until = None,
    author: Author = None,
    as_json: AsJson = False,
) -> None:
    """Search papers by meaning and by keyword together (hybrid), with filters."""
    filters = _filters(category, author, since, until)
    results = _engine(ctx).search(query, mode=mode, limit=limit, offset=offset, filters=filters)
    _print_hits(results.hits, as_json)


@app.command()
def similar(
    ctx: typer.Context,
    arxiv_id: Annotated[str, typer.Argument(help="The paper to start from (arXiv id or URL).")],
    limit: Annotated[int, typer.Option("--limit", help="Number of results (1-100).")] = 10,
    category: Category = None,
    since: Since = None,
    until: Until = None,
    as_json: AsJson = False,
) -> None:
    """Papers nearest to a paper by meaning (excluding the paper itself)."""
    from paperwire.search.similar import similar as similar_papers

    hits = similar_papers(_engine(ctx), arxiv_id, limit=limit, filters=_filters(category, None, since, until))
    _print_hits(hits, as_json)


@app.command("eval")
def eval_command(
    ctx: typer.Context,
    corpus: Annotated[Path, typer.Argument(help="BEIR corpus.jsonl ({_id, title, text} per line).")],
    queries: Annotated[Path, typer.Argument(help="BEIR queries.jsonl ({_id, text} per line).")],
    qrels: Annotated[Path, typer.Argument(help="BEIR qrels TSV (query-id, corpus-id, score), or a folder of them.")],
    variant: Annotated[list[str] | None, typer.Option("--variant", help="keyword, semantic, hybrid, rrf or linear:W (repeatable); default the three modes.")] = None,
    vectors: Annotated[Path | None, typer.Option("--vectors", help="Precomputed corpus vectors (.npz/.parquet) to import instead of embedding.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Embedding model (default: the configured one).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as one JSON object.")] = False,
) -> None:
    """Measure search quality on a BEIR data set, in a temporary home: nDCG@10, Recall@100, MRR@10 per mode."""
    import tempfile

    from paperwire.search.embedder import load_embedder
    from paperwire.search.evaluate import DEFAULT_VARIANTS, load_corpus, parse_variant, read_qrels, read_queries, run_eval

    chosen = [parse_variant(v) for v in variant] if variant else list(DEFAULT_VARIANTS)
    query_texts, judgements = read_queries(queries), read_qrels(qrels)
    base = _settings(ctx)
    with tempfile.TemporaryDirectory(prefix="paperwire-eval-") as home:
        settings = base.model_copy(update={"home": Path(home), "database_url": None,
                                           "embedding_model": model or base.embedding_model})  # fmt: skip
        store = Store.open(settings)
        embedder = load_embedder(settings)
        with _progress() as progress:
            task = progress.add_task("embedding corpus", total=None, records=0)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total, records=done)

            documents = load_corpus(store, settings, corpus, embedder, vectors=vectors, on_progress=on_progress)
        results = run_eval(store, settings, query_texts, judgements, embedder, chosen)
        store.close()
    if as_json:
        out.print(json.dumps({"documents": documents, "model": embedder.name, "results": results}), markup=False)
        return
    out.print(f"{documents} documents, model {embedder.name}")
    out.print(f"{'variant':<24} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8} {'queries':>8}")
    for label, metrics in results.items():
        out.print(f"{label:<24} {metrics['ndcg@10']:>8.4f} {metrics['recall@100']:>8.4f} "
                  f"{metrics['mrr@10']:>8.4f} {metrics['queries']:>8}")  # fmt: skip


@app.command()
def index(
    ctx: typer.Context,
    import_file: Annotated[Path | None, typer.Option("--import", help="Import precomputed vectors keyed by paper id (.npz with ids+vectors, .npy + .ids.txt, or .parquet with id+vector).")] = None,
    export_file: Annotated[Path | None, typer.Option("--export", help="Write the stored vectors of the model to this .npz or .parquet file.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Embedding model name or path (default: PAPERWIRE_EMBEDDING_MODEL).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Embed at most this many papers now.")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild the keyword and vector indexes from the database.")] = False,
) -> None:
    """Embed papers that have no current vector (resumable), import or export vectors, and update the search indexes."""
    from paperwire.search.engine import SearchEngine
    from paperwire.search.indexer import embed_pending, export_vectors, import_vectors

    settings = _settings(ctx)
    if model:
        settings = settings.model_copy(update={"embedding_model": model})
    store = Store.open(settings)
    if export_file is not None:
        count = export_vectors(store, export_file, settings.embedding_model)
        out.print(f"exported {count} vectors of {settings.embedding_model} to {export_file}")
        return
    if import_file is not None:
        out.print(import_vectors(store, import_file, settings.embedding_model).summary())
    engine = SearchEngine(settings, store)
    with _progress() as progress:
        task = progress.add_task("embedding", total=None, records=0)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, records=done)

        report = embed_pending(store, engine.embedder, batch_size=settings.embed_batch_size,
                               on_progress=on_progress, limit=limit)  # fmt: skip
    out.print(report.summary())
    counts = engine.rebuild() if rebuild else engine.sync()
    out.print(f"search indexes: {counts['keyword']} keyword documents and {counts['vectors']} vectors "
              + ("rebuilt" if rebuild else "updated"))  # fmt: skip


@app.command()
def distill(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the static model to.")],
    dims: Annotated[int, typer.Option("--dims", help="Dimensions of the static model (PCA).")] = 256,
    base: Annotated[str | None, typer.Option("--base", help="Model to distill from (default: the packaged all-MiniLM-L6-v2).")] = None,
) -> None:
    """Distill a fast static embedding model (model2vec) from the default one; set PAPERWIRE_EMBEDDING_MODEL to its folder."""
    from paperwire.search.indexer import distill_static

    path = distill_static(out_dir, base=base, dims=dims).resolve()  # the path is the model's stored name
    out.print(f"static model written to {path}; use it with PAPERWIRE_EMBEDDING_MODEL={path}")


user_app = typer.Typer(cls=_Group, no_args_is_help=True, help="Manage users: add, list, block, API tokens.")
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The user's email address (they sign in with a link sent there).")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator.")] = False,
    name: Annotated[str | None, typer.Option("--name", help="Display name shown with comments.")] = None,
) -> None:
    """Add a user (or promote an existing one with --admin)."""
    from paperwire.accounts.users import add_user

    user = add_user(_open(ctx), email, display_name=name, admin=admin)
    out.print(f"user {user['id']}: {user['email']} ({user['role']})", markup=False)


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array of users.")] = False,
) -> None:
    """List users, newest first."""
    from paperwire.accounts.users import list_users

    rows = list_users(_open(ctx), limit=10_000)
    if as_json:
        keys = ("id", "email", "display_name", "role", "blocked_at", "created_at", "comments", "votes")
        data = [{k: (row[k].isoformat() if isinstance(row[k], datetime) else row[k]) for k in keys} for row in rows]
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    if not rows:
        out.print("no users")
    for row in rows:
        state = " blocked" if row["blocked_at"] else ""
        out.print(f"{row['id']:>5}  {row['email']:<40} {row['role']:<6}{state}  {row['display_name'] or ''}", markup=False)


@user_app.command("block")
def user_block(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The user's email address.")],
    unblock: Annotated[bool, typer.Option("--unblock", help="Lift the block instead.")] = False,
) -> None:
    """Block a user (signed out, token refused, comments hidden), or --unblock."""
    from paperwire.accounts.users import find_user, set_blocked

    store = _open(ctx)
    user = find_user(store, email)
    set_blocked(store, user["id"], not unblock)
    out.print(f"{'unblocked' if unblock else 'blocked'} {user['email']}", markup=False)


@user_app.command("token")
def user_token(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The user's email address.")],
) -> None:
    """Make a new personal API token for a user (replacing the old one) and print it once."""
    from paperwire.accounts.users import create_api_token, find_user

    store = _open(ctx)
    token = create_api_token(store, find_user(store, email)["id"])
    err.print("new API token (shown once; use it as 'Authorization: Bearer <token>'):")
    out.print(token, markup=False)


from paperwire.digest_cli import digest_app, subscriber_app  # noqa: E402 - registered once `app` exists
from paperwire.jobs_cli import jobs_app, worker  # noqa: E402

app.add_typer(subscriber_app, name="subscriber")
app.add_typer(digest_app, name="digest")
app.add_typer(jobs_app, name="jobs")
app.command()(worker)


@app.command()
def backup(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="File to write the copy to.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH if it exists.")] = False,
) -> None:
    """Copy the live SQLite database to PATH while the site runs (for PostgreSQL, use pg_dump)."""
    from paperwire.store.backup import backup_sqlite

    store = Store.open(_settings(ctx), migrate=False)  # a backup copies the database as it is
    try:
        size = backup_sqlite(store, path, force=force)
    finally:
        store.close()
    out.print(f"backed up {store.url} to {path} ({size / 1e6:.1f} MB)", markup=False)


from paperwire.transfer_cli import migrate_db  # noqa: E402 - registered once `app` exists

app.command("migrate-db")(migrate_db)
