"""Ingest benchmark: Paperwire's file ingest against a bare `executemany` of the same rows.

Run from the repository root (about 5-8 minutes on 2 cores; prints figures, asserts nothing):

    .venv/bin/python bench/ingest.py                       # SQLite and PostgreSQL, 3 repeats
    .venv/bin/python bench/ingest.py --backend sqlite --repeat 1 --limit 20000   # quick look
    .venv/bin/python bench/ingest.py --json                # the same figures as JSON

Requirement measured: ingest of the 74,728-paper `../shared/data/arxiv-daily-2025-2026/papers.jsonl.xz`
(metadata only) in under 60 s, memory flat as the input grows, on SQLite and on PostgreSQL.

Every measurement runs in a fresh subprocess on a fresh database (a new SQLite home; a new
database created on the PostgreSQL server: a temporary `pgserver` unless --postgres-url is given).
Figures are medians over --repeat runs; runs of different kinds are interleaved so that drift of a
noisy machine hits them alike.

- Paperwire ingest: `Store.open(settings)` (migrations, not timed), then `ingest_paths(store, [file])`
  timed: decompressing, parsing, merging, hashing and writing every paper. papers/s = papers / time.
- Re-ingest: the same file again into the same database (every paper unchanged: reads and hashes,
  no paper writes).
- Peak RSS: the worker process's high-water resident memory (VmHWM) while ingesting, which
  includes the interpreter, the imports and the open store ("RSS at start"); growth = peak - start.
  (VmHWM rather than ru_maxrss, which on Linux also carries the parent's size across fork+exec.)
- Bare executemany: the same file parsed first with Paperwire's own parser and merge (not timed)
  into exactly the rows Paperwire writes (papers, paper_authors, paper_categories, paper_versions,
  paper_sources, values converted by the same SQLAlchemy types), then written into the same migrated
  schema through the DB-API connection (sqlite3 / psycopg): one transaction, one `executemany` per
  table. Only that write is timed.
- Ratio = Paperwire ingest time / bare executemany time, paired per repeat, median. It compares
  parse + write against write alone, so it cannot reach 1; "ratio vs parse+write" divides by the
  baseline's untimed parse plus its write, the cost of a naive loader doing the same work.
- Memory flatness: Paperwire ingest of the first 25%, 50% and 100% of the records; a flat
  ingest shows the same peak RSS at each size.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "arxiv-daily-2025-2026" / "papers.jsonl.xz"
FRACTIONS = (0.25, 0.5)  # the flatness runs; 100% is the main run
TARGET_S = 60.0


# ---------------------------------------------------------------- worker side (one run per process)


def _vm_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _settings(spec: dict[str, Any]):
    from paperwire.config import load_settings

    return load_settings(home=spec["home"], database_url=spec["url"])


@contextmanager
def _items(path: Path, limit: int | None) -> Iterator[tuple[str, Iterator[Any]]]:
    """Open and parse the file as `ingest_paths` does, stopping after `limit` records."""
    from paperwire.sources.files import detect_format, iter_file, open_input

    fmt = detect_format(path)
    with open_input(path) as (stream, _), closing(iter_file(stream, str(path), fmt)) as items:
        yield fmt, islice(items, limit)


def run_paperwire(spec: dict[str, Any]) -> dict[str, Any]:
    """Time Paperwire's ingest (and optionally a second, unchanged pass) on a fresh database."""
    from paperwire.papers.ingest import ingest_items
    from paperwire.papers.load import SOURCE_OF_FORMAT, ingest_paths
    from paperwire.store import Store
    from paperwire.store import papers as repo

    settings = _settings(spec)
    path, limit = Path(spec["data"]), spec["limit"]
    store = Store.open(settings)

    def ingest() -> Any:
        if limit is None:
            return ingest_paths(store, [path], batch_size=settings.ingest_batch_size)
        with _items(path, limit) as (fmt, items):  # the code path of ingest_paths, fewer records
            return ingest_items(store, items, source=SOURCE_OF_FORMAT[fmt], batch_size=settings.ingest_batch_size)

    start_kb = _vm_kb("VmRSS")
    t0 = time.perf_counter()
    report = ingest()
    ingest_s = time.perf_counter() - t0
    out = {
        "ingest_s": ingest_s,
        "papers": report.added + report.updated + report.unchanged,
        "added": report.added,
        "skipped": report.skipped,
        "rss_start_mb": start_kb / 1024,
        "peak_rss_mb": _vm_kb("VmHWM") / 1024,
    }
    if spec.get("reingest"):
        t0 = time.perf_counter()
        again = ingest()
        out.update(reingest_s=time.perf_counter() - t0, reingest_unchanged=again.unchanged)
    with store.read() as conn:
        out["counts"] = repo.counts(conn)
    store.close()
    return out


def _baseline_rows(path: Path, limit: int | None) -> dict[str, list[dict[str, Any]]]:
    """The rows Paperwire writes for this file into an empty database, built with its own code."""
    from paperwire.papers.ingest import _versions_of, merge
    from paperwire.papers.load import SOURCE_OF_FORMAT
    from paperwire.papers.record import RecordError
    from paperwire.store.papers import name_key

    now = datetime.now(UTC)
    rows: dict[str, list[dict[str, Any]]] = {
        "papers": [],
        "paper_authors": [],
        "paper_categories": [],
        "paper_versions": [],
        "paper_sources": [],
    }
    seen: set[str] = set()
    with _items(path, limit) as (fmt, items):
        for item in items:
            if isinstance(item, RecordError) or item.paper.arxiv_id in seen:
                continue  # a repeated id would be an update in Paperwire; the data set has none
            record, pid = item.paper, item.paper.arxiv_id
            seen.add(pid)
            paper = {"id": pid, **merge(None, record), "created_at": now, "updated_at": now}
            rows["papers"].append(paper)
            rows["paper_authors"] += [
                {"paper_id": pid, "position": i, "name": name, "name_key": name_key(name)}
                for i, name in enumerate(paper["authors"])
            ]
            rows["paper_categories"] += [
                {"paper_id": pid, "position": i, "category": cat} for i, cat in enumerate(paper["categories"])
            ]
            rows["paper_versions"] += [{"paper_id": pid, **v, "first_seen_at": now} for v in _versions_of(record)]
            rows["paper_sources"].append(
                {"paper_id": pid, "source": SOURCE_OF_FORMAT[fmt], "ref": item.file, "first_seen_at": now}
            )
    return rows


def _as_tuples(table: Any, rows: list[dict[str, Any]], dialect: Any) -> tuple[str, list[tuple]]:
    """An INSERT statement in the driver's paramstyle and the rows converted by the columns' types."""
    columns = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
    mark = "?" if dialect.name == "sqlite" else "%s"
    quote = dialect.identifier_preparer.quote
    names, marks = ", ".join(quote(c) for c in columns), ", ".join([mark] * len(columns))
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
    converted = [
        tuple(proc(row[name]) if proc else row[name] for name, proc in zip(columns, processors, strict=True))
        for row in rows
    ]
    return sql, converted


def run_baseline(spec: dict[str, Any]) -> dict[str, Any]:
    """Parse (untimed), then time one transaction of bare executemany calls on the DB-API connection."""
    from paperwire.store import Store, schema

    store = Store.open(_settings(spec))
    dialect = store.engine.dialect
    t0 = time.perf_counter()
    rows = _baseline_rows(Path(spec["data"]), spec["limit"])
    statements = [
        _as_tuples(getattr(schema, name), table_rows, dialect) for name, table_rows in rows.items() if table_rows
    ]
    parse_s = time.perf_counter() - t0
    pooled = store.engine.raw_connection()  # Paperwire's own connect settings (WAL, pragmas)
    conn = pooled.driver_connection
    cur = conn.cursor()
    t0 = time.perf_counter()
    if dialect.name == "sqlite":
        cur.execute("BEGIN IMMEDIATE")
        for sql, params in statements:
            cur.executemany(sql, params)
        cur.execute("COMMIT")
    else:
        for sql, params in statements:
            cur.executemany(sql, params)
        conn.commit()
    write_s = time.perf_counter() - t0
    cur.close()
    pooled.close()
    store.close()
    return {
        "write_s": write_s,
        "parse_s": parse_s,
        "papers": len(rows["papers"]),
        "rows": sum(len(r) for r in rows.values()),
        "peak_rss_mb": _vm_kb("VmHWM") / 1024,
    }


def worker_main(spec_json: str) -> None:
    spec = json.loads(spec_json)
    result = (run_paperwire if spec["kind"] == "paperwire" else run_baseline)(spec)
    print(json.dumps(result))


# ---------------------------------------------------------------- driver side


class Postgres:
    """A PostgreSQL server that hands out one fresh, empty database per run."""

    def __init__(self, url: str | None) -> None:
        import sqlalchemy as sa

        self._server = None
        if url is None:
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
            import pgserver

            self._server = pgserver.get_server(tempfile.mkdtemp(prefix="paperwire-bench-pg-"), cleanup_mode="stop")
            url = self._server.get_uri()
        self.url = sa.engine.make_url(url.replace("postgresql+psycopg://", "postgresql://", 1))

    def _admin(self):
        import psycopg

        return psycopg.connect(self._libpq(self.url.database or "postgres"), autocommit=True)

    def _libpq(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def create(self) -> tuple[str, str]:
        name = f"pwbench_{uuid.uuid4().hex[:12]}"
        with self._admin() as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return name, self._libpq(name)

    def drop(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        if self._server is not None:
            self._server.cleanup()


def run_one(kind: str, backend: str, data: Path, limit: int | None, pg: Postgres | None, reingest: bool) -> dict:
    """One measurement in a fresh subprocess on a fresh database."""
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-") as home:
        name, url = pg.create() if backend == "postgresql" else (None, None)
        spec = {"kind": kind, "home": home, "url": url, "data": str(data), "limit": limit, "reingest": reingest}
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--worker", json.dumps(spec)],
                capture_output=True,
                text=True,
                cwd=REPO,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
        finally:
            if name:
                pg.drop(name)
    if done.returncode != 0:
        raise SystemExit(f"{kind} run on {backend} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def count_records(data: Path, limit: int | None) -> int:
    from paperwire.papers.record import RecordError

    with _items(data, limit) as (_, items):
        return sum(1 for item in items if not isinstance(item, RecordError))


def bench_backend(backend: str, args: argparse.Namespace, total: int, pg: Postgres | None) -> dict[str, Any]:
    sizes = [max(1, round(total * f)) for f in FRACTIONS]
    runs: dict[str, list[dict]] = {"paperwire": [], "baseline": [], **{f"flat_{n}": [] for n in sizes}}
    for rep in range(args.repeat):
        steps = [("paperwire", args.limit, True), ("baseline", args.limit, False)] + [
            (f"flat_{n}", n, False) for n in sizes
        ]
        for key, limit, reingest in steps:
            t0 = time.perf_counter()
            kind = "baseline" if key == "baseline" else "paperwire"
            result = run_one(kind, backend, args.data, limit, pg, reingest)
            runs[key].append(result)
            print(f"[{backend} {rep + 1}/{args.repeat}] {key}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return summarise(runs, sizes, total)


def summarise(runs: dict[str, list[dict]], sizes: list[int], total: int) -> dict[str, Any]:
    med = statistics.median
    pw, base = runs["paperwire"], runs["baseline"]
    papers = pw[0]["papers"]
    out = {
        "papers": papers,
        "rows": base[0]["rows"],
        "counts": pw[0]["counts"],
        "ingest_s": med(r["ingest_s"] for r in pw),
        "reingest_s": med(r["reingest_s"] for r in pw),
        "peak_rss_mb": med(r["peak_rss_mb"] for r in pw),
        "rss_start_mb": med(r["rss_start_mb"] for r in pw),
        "baseline_write_s": med(r["write_s"] for r in base),
        "baseline_parse_s": med(r["parse_s"] for r in base),
        "baseline_peak_rss_mb": med(r["peak_rss_mb"] for r in base),
        "ratio": med(p["ingest_s"] / b["write_s"] for p, b in zip(pw, base, strict=True)),
        "ratio_vs_parse_write": med(
            p["ingest_s"] / (b["write_s"] + b["parse_s"]) for p, b in zip(pw, base, strict=True)
        ),
        "runs": runs,
    }
    out["papers_per_s"] = papers / out["ingest_s"]
    out["reingest_papers_per_s"] = papers / out["reingest_s"]
    out["baseline_papers_per_s"] = out["papers"] / out["baseline_write_s"]
    out["baseline_rows_per_s"] = out["rows"] / out["baseline_write_s"]
    out["flat"] = [
        {
            "records": n,
            "papers": runs[f"flat_{n}"][0]["papers"],
            "ingest_s": med(r["ingest_s"] for r in runs[f"flat_{n}"]),
            "rss_start_mb": med(r["rss_start_mb"] for r in runs[f"flat_{n}"]),
            "peak_rss_mb": med(r["peak_rss_mb"] for r in runs[f"flat_{n}"]),
        }
        for n in sizes
    ] + [
        {
            "records": total,
            "papers": papers,
            "ingest_s": out["ingest_s"],
            "rss_start_mb": out["rss_start_mb"],
            "peak_rss_mb": out["peak_rss_mb"],
        }
    ]
    for row in out["flat"]:
        row["papers_per_s"] = row["papers"] / row["ingest_s"]
        row["growth_mb"] = row["peak_rss_mb"] - row["rss_start_mb"]
    return out


def render(backend: str, fig: dict[str, Any], args: argparse.Namespace) -> str:
    title = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]
    verdict = "PASS" if fig["ingest_s"] < TARGET_S else "FAIL"
    lines = [
        f"{title}: {args.data.name}, {fig['papers']:,} papers, {fig['rows']:,} rows; median of {args.repeat}",
        f"  {'':34} {'time s':>8} {'papers/s':>10} {'peak RSS MB':>12}",
        f"  {'Paperwire ingest (new db)':34} {fig['ingest_s']:8.2f} {fig['papers_per_s']:10,.0f}"
        f" {fig['peak_rss_mb']:12.0f}",
        f"  {'Paperwire re-ingest (unchanged)':34} {fig['reingest_s']:8.2f} {fig['reingest_papers_per_s']:10,.0f}",
        f"  {'bare executemany, write only':34} {fig['baseline_write_s']:8.2f} {fig['baseline_papers_per_s']:10,.0f}"
        f" {'':>12}  ({fig['baseline_rows_per_s']:,.0f} rows/s)",
        f"  {'  its parse + rows (untimed)':34} {fig['baseline_parse_s']:8.2f}",
        f"  ratio Paperwire / executemany:   {fig['ratio']:.2f}x  (Paperwire parse+write vs write only)",
        f"  ratio Paperwire / (parse+write): {fig['ratio_vs_parse_write']:.2f}x  (both sides parse and write)",
        f"  target: whole file under {TARGET_S:.0f} s: {verdict} ({fig['ingest_s']:.1f} s)"
        + ("" if args.limit is None else f"  [--limit {args.limit}: not the whole file]"),
        "  memory flatness (Paperwire ingest, first N records):",
        f"  {'records':>10} {'time s':>8} {'papers/s':>10} {'RSS start MB':>13} {'peak RSS MB':>12} {'growth MB':>10}",
    ]
    for row in fig["flat"]:
        lines.append(
            f"  {row['records']:10,} {row['ingest_s']:8.2f} {row['papers_per_s']:10,.0f} {row['rss_start_mb']:13.0f}"
            f" {row['peak_rss_mb']:12.0f} {row['growth_mb']:10.0f}"
        )
    counts = ", ".join(f"{k} {v:,}" for k, v in fig["counts"].items())
    lines.append(f"  stored after ingest: {counts}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="input file (default: %(default)s)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; medians are reported")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N records of the file")
    parser.add_argument("--postgres-url", default=None, help="a server to create scratch databases on (else pgserver)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of tables")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(args.worker)
        return
    args.data = args.data.resolve()
    if not args.data.is_file():
        raise SystemExit(f"no such file: {args.data}")
    total = count_records(args.data, args.limit)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    pg = Postgres(args.postgres_url) if "postgresql" in backends else None
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        for backend in backends:
            figures[backend] = bench_backend(backend, args, total, pg)
    finally:
        if pg is not None:
            pg.close()
    if args.json:
        print(json.dumps({"data": str(args.data), "repeat": args.repeat, "limit": args.limit, **figures}, indent=2))
    else:
        print("\n\n".join(render(backend, fig, args) for backend, fig in figures.items()))
        print(f"\n(total {time.perf_counter() - started:.0f} s; {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
