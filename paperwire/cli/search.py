"""Search commands: search, similar, eval, index (embed, import, export), distill."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from paperwire.cli.common import app, app_of, out, progress_bar
from paperwire.search.query import Filters, build_filters


def _filters(category: list[str] | None, author: list[str] | None, since: str | None, until: str | None) -> Filters:
    return build_filters(category or (), author or (), since, until, prefix="--")


def _print_hits(hits: list[Any], as_json: bool, *, close: bool = True) -> None:
    if as_json:
        out.print(json.dumps([hit.as_dict() for hit in hits], ensure_ascii=False), markup=False)
        return
    if not close:
        out.print("no close matches; the nearest papers:")
    elif not hits:
        out.print("no results")
    for rank, hit in enumerate(hits, start=1):
        day = hit.published.isoformat() if hit.published else "----------"
        match = f" {hit.match:<7}" if hit.match else ""
        out.print(
            f"{rank:>3}. {hit.id:<16} {day}  {' '.join(hit.categories[:3]):<20} {hit.score:.4f}{match}  {hit.title}",
            markup=False,
        )


Category = Annotated[
    list[str] | None, typer.Option("--category", help="Only papers in this category (repeatable: any of them).")
]
Author = Annotated[
    list[str] | None,
    typer.Option("--author", help="Only papers by an author with this name (repeatable: all of them)."),
]
Since = Annotated[
    str | None, typer.Option("--since", help="Only papers first published on or after this date (YYYY-MM-DD).")
]
Until = Annotated[
    str | None, typer.Option("--until", help="Only papers first published on or before this date (YYYY-MM-DD).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON array of results.")]


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(help='Query: words, "phrases", -excluded, author:"Name", cat:cs.CL, since:/until:YYYY-MM-DD.'),
    ],
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
    results = app_of(ctx).engine.search(query, mode=mode, limit=limit, offset=offset, filters=filters)
    _print_hits(results.hits, as_json, close=results.close)


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

    hits = similar_papers(app_of(ctx).engine, arxiv_id, limit=limit, filters=_filters(category, None, since, until))
    _print_hits(hits, as_json)


@app.command("eval")
def eval_command(
    ctx: typer.Context,
    corpus: Annotated[Path, typer.Argument(help="BEIR corpus.jsonl ({_id, title, text} per line).")],
    queries: Annotated[Path, typer.Argument(help="BEIR queries.jsonl ({_id, text} per line).")],
    qrels: Annotated[Path, typer.Argument(help="BEIR qrels TSV (query-id, corpus-id, score), or a folder of them.")],
    variant: Annotated[
        list[str] | None,
        typer.Option(
            "--variant", help="keyword, semantic, hybrid, rrf or linear:W (repeatable); default the three modes."
        ),
    ] = None,
    vectors: Annotated[
        Path | None,
        typer.Option("--vectors", help="Precomputed corpus vectors (.npz/.parquet) to import instead of embedding."),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Embedding model (default: the configured one).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as one JSON object.")] = False,
) -> None:
    """Measure search quality on a BEIR data set, in a temporary home: nDCG@10, Recall@100, MRR@10 per mode."""
    from paperwire.search.evaluate import DEFAULT_VARIANTS, evaluate_beir, parse_variant

    chosen = [parse_variant(v) for v in variant] if variant else list(DEFAULT_VARIANTS)
    with progress_bar(unit="papers") as progress:
        task = progress.add_task("embedding corpus", total=None, records=0)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, records=done)

        run = evaluate_beir(
            app_of(ctx).settings, corpus, queries, qrels, chosen, vectors=vectors, model=model, on_progress=on_progress
        )
    documents, results = run.documents, run.results
    if as_json:
        out.print(json.dumps({"documents": documents, "model": run.model, "results": results}), markup=False)
        return
    out.print(f"{documents} documents, model {run.model}", markup=False)
    out.print(f"{'variant':<24} {'nDCG@10':>8} {'R@100':>8} {'MRR@10':>8} {'queries':>8}", markup=False)
    for label, metrics in results.items():
        out.print(
            f"{label:<24} {metrics['ndcg@10']:>8.4f} {metrics['recall@100']:>8.4f} "
            f"{metrics['mrr@10']:>8.4f} {metrics['queries']:>8}",
            markup=False,
        )


@app.command("eval-recs")
def eval_recs_command(
    ctx: typer.Context,
    cutoff: Annotated[
        str, typer.Option("--cutoff", help="The day that splits each reader's library from their next papers.")
    ] = "2026-02-01",
    window: Annotated[int, typer.Option("--window", min=1, help="Days of candidates from the cut-off on.")] = 28,
    readers: Annotated[int, typer.Option("--readers", min=1, help="Readers (authors) sampled.")] = 200,
    min_papers: Annotated[int, typer.Option("--min-papers", min=2, help="Papers an author needs to be a reader.")] = 8,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method", help="popularity, keyword, centroid, nearest, logistic, svm (repeatable; default all)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the reader sample.")] = 7,
    relevance: Annotated[
        str,
        typer.Option("--relevance", help="group: a reader's later papers and their co-authors'; own: theirs only."),
    ] = "group",
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as one JSON object.")] = False,
) -> None:
    """Measure the For you rankings on the store's papers: authors as readers, nDCG@10 and Recall@50 per method."""
    from paperwire.recommend.evaluation import BASELINES, FUSED, evaluate_recs
    from paperwire.search.taste import METHODS

    pw = app_of(ctx)
    with progress_bar(unit="steps") as progress:
        tasks: dict[str, Any] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total, records=0)
            progress.update(tasks[stage], completed=done, total=total, records=done)

        run = evaluate_recs(
            pw.store,
            pw.engine,
            cutoff=_day(cutoff),
            window_days=window,
            readers=readers,
            min_papers=min_papers,
            seed=seed,
            relevance=relevance,
            methods=tuple(method) if method else (*BASELINES, *METHODS, *FUSED),
            on_progress=on_progress,
        )
    if as_json:
        out.print(json.dumps(run.as_dict()), markup=False)
        return
    out.print(
        f"{run.readers} readers (library {run.library_mean:.1f} papers, {run.relevant_mean:.1f} relevant on average), "
        f"{run.candidates} candidates from {run.cutoff} over {run.window_days} days; relevant: {run.relevance}; "
        f"{run.embedded} papers embedded",
        markup=False,
    )
    out.print(f"{'method':<12} {'nDCG@10':>8} {'R@50':>8} {'ms/reader':>10}", markup=False)
    for name, scores in run.scores.items():
        out.print(
            f"{name:<12} {scores['ndcg@10']:>8.4f} {scores['recall@50']:>8.4f} {run.seconds[name] * 1000:>10.1f}",
            markup=False,
        )


def _day(text: str) -> date:
    from paperwire.feed.lists import parse_period

    period = parse_period(day=text)
    assert period is not None, "typer gives a value"
    return period.start


@app.command()
def index(
    ctx: typer.Context,
    import_file: Annotated[
        Path | None,
        typer.Option(
            "--import",
            help="Import precomputed vectors keyed by paper id (.npz with ids+vectors, .npy + .ids.txt, or .parquet with id+vector).",
        ),
    ] = None,
    export_file: Annotated[
        Path | None,
        typer.Option("--export", help="Write the stored vectors of the model to this .npz or .parquet file."),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Embedding model name or path (default: PAPERWIRE_EMBEDDING_MODEL).")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Embed at most this many papers now.")] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rebuild the keyword and vector indexes from the database.")
    ] = False,
) -> None:
    """Embed papers that have no current vector (resumable), import or export vectors, and update the search indexes."""
    from paperwire.application import Paperwire
    from paperwire.search.indexer import SORT_WINDOW, embed_pending, export_vectors, import_vectors

    pw = app_of(ctx)
    if model:  # the same database, another model's vectors and indexes
        pw = Paperwire(pw.settings.model_copy(update={"embedding_model": model}), store=pw.store)
    settings, store = pw.settings, pw.store
    if export_file is not None:
        count = export_vectors(store, export_file, settings.embedding_model)
        out.print(f"exported {count} vectors of {settings.embedding_model} to {export_file}", markup=False)
        return
    if import_file is not None:
        out.print(import_vectors(store, import_file, settings.embedding_model).summary(), markup=False)
    engine = pw.engine
    embedder = engine.embedder
    with progress_bar(unit="papers") as progress:
        task = progress.add_task("embedding", total=None, records=0)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, records=done)

        report = embed_pending(
            store,
            embedder,
            batch_size=settings.embed_batch_size,
            sort_window=SORT_WINDOW,
            on_progress=on_progress,
            limit=limit,
        )
    out.print(report.summary(), markup=False)
    counts = engine.rebuild() if rebuild else engine.sync()
    out.print(
        f"search indexes: {counts['keyword']} keyword documents and {counts['vectors']} vectors "
        + ("rebuilt" if rebuild else "updated"),
        markup=False,
    )


@app.command()
def distill(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the static model to.")],
    dims: Annotated[int, typer.Option("--dims", help="Dimensions of the static model (PCA).")] = 256,
    base: Annotated[
        str | None, typer.Option("--base", help="Model to distill from (default: the packaged all-MiniLM-L6-v2).")
    ] = None,
) -> None:
    """Distill a fast static embedding model (model2vec) from the default one; set PAPERWIRE_EMBEDDING_MODEL to its folder."""
    from paperwire.search.indexer import distill_static

    path = distill_static(out_dir, base=base, dims=dims).resolve()  # the path is the model's stored name
    out.print(f"static model written to {path}; use it with PAPERWIRE_EMBEDDING_MODEL={path}", markup=False)
