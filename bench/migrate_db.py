"""migrate-db benchmark: copy an SQLite instance into PostgreSQL, rerun it, against a bare COPY of the papers.

Run from the repository root (prints figures, asserts nothing):

    .venv/bin/python bench/migrate_db.py                          # 74,728 papers, a vector each, 3 repeats
    .venv/bin/python bench/migrate_db.py --limit 10000 --repeat 1 # quick look
    .venv/bin/python bench/migrate_db.py --vectors demo           # only the 4,393 shipped demo vectors

The source is built once and kept under bench/out/migrate-db-source-<limit>-<vectors>/ (delete it to
rebuild): `paperwire ingest` of ../shared/data/arxiv-daily-2025-2026/papers.jsonl.xz (first --limit
records) plus, with --vectors all, one random L2-normalised 384-dim vector for every paper stored through
paperwire.store.embeddings.save_vectors (what `paperwire index` writes), or with --vectors demo the
demo corpus (`paperwire demo`'s 4,393 papers of February 2026, many already in the file) with its shipped
vectors. The target server is a temporary pgserver (PostgreSQL 16 + pgvector) unless
--postgres-url is given; every run gets a new, empty database.

Each repeat, in a fresh subprocess each:
- migrate-db: `open_target` (pgvector, schema migration) + `migrate_database`, timed together, as the
  command runs them; papers/s = papers / that time. Peak RSS (VmHWM) of the process shows the memory bound.
- rerun: `migrate_database` again into the same database (nothing changed: reads and compares every row).
- bare COPY: the papers table alone, the same columns read raw from the same SQLite file, written with one
  psycopg `COPY papers (...) FROM STDIN` in one transaction into a freshly migrated database (same indexes
  and generated tsvector column). Ratio = migrate-db's time for its papers table / bare COPY time, paired per
  repeat, median: the cost of batching, checksumming and committing per batch over the plainest load.
Figures are medians over --repeat; the load average is printed before and after.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import lzma
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from itertools import islice
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "arxiv-daily-2025-2026" / "papers.jsonl.xz"
OUT = REPO / "bench" / "out"
MODEL = "bench-random-384"


def _vm_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- worker side (one run per process)


def _work(spec: dict[str, Any]) -> dict[str, Any]:
    from paperwire.store.transfer import migrate_database, open_source, open_target

    start_kb = _vm_kb("VmRSS")
    source = open_source(spec["source"])
    began = time.perf_counter()
    if spec["kind"] == "copy":
        return _bare_copy(source, spec["target"])
    target = open_target(spec["target"])
    migrated = time.perf_counter()
    report = migrate_database(source, target, batch_size=spec["batch_size"])
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "schema_seconds": migrated - began,
        "fresh": report.fresh,
        "tables": {
            t.name: {
                "rows": t.rows,
                "seconds": t.seconds,
                "inserted": t.inserted,
                "updated": t.updated,
                "deleted": t.deleted,
            }
            for t in report.tables
        },
        "rss_start_mb": start_kb / 1024,
        "rss_peak_mb": _vm_kb("VmHWM") / 1024,
    }


def _bare_copy(source: Any, target_url: str) -> dict[str, Any]:
    import psycopg

    from paperwire.store.schema import papers
    from paperwire.store.transfer import open_target

    open_target(target_url).close()  # the same schema, indexes and generated column; not timed
    columns = ", ".join(f'"{c.name}"' for c in papers.columns)
    libpq = target_url.replace("postgresql+psycopg://", "postgresql://", 1)
    began = time.perf_counter()
    with source.read() as src, psycopg.connect(libpq) as dst:
        dst.execute("SET TIME ZONE 'UTC'")
        cursor = src.connection.dbapi_connection.cursor()
        cursor.execute(f"SELECT {columns} FROM papers")
        with dst.cursor() as out, out.copy(f"COPY papers ({columns}) FROM STDIN") as copy:
            while rows := cursor.fetchmany(5000):
                for row in rows:
                    copy.write_row(row)
        rows_copied = dst.execute("SELECT count(*) FROM papers").fetchone()[0]
    return {"seconds": time.perf_counter() - began, "rows": rows_copied}


# ---------------------------------------------------------------- driver side


def build_source(data: Path, limit: int | None, vectors: str) -> Path:
    """The SQLite instance to copy, built once and reused."""
    home = OUT / f"migrate-db-source-{limit or 'all'}-{vectors}"
    db = home / "paperwire.db"
    if (home / "complete").exists():
        return db
    import numpy as np

    from paperwire.config import load_settings
    from paperwire.papers.load import ingest_paths
    from paperwire.store import Store
    from paperwire.store.embeddings import save_vectors

    home.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    path = data
    if limit:
        path = home / "input.jsonl"
        with lzma.open(data, "rt", encoding="utf-8") as lines, path.open("w", encoding="utf-8") as out:
            out.writelines(islice(lines, limit))
    store = Store.open(load_settings(home=home))
    began = time.perf_counter()
    report = ingest_paths(store, [path])
    print(f"source: ingested {report.summary()} in {time.perf_counter() - began:.0f} s", flush=True)
    if vectors == "demo":
        from paperwire.demo import import_demo_vectors, load_demo

        load_demo(store)
        print(f"source: {import_demo_vectors(store, 'all-MiniLM-L6-v2')} demo vectors", flush=True)
    elif vectors == "all":
        rng = np.random.default_rng(7)
        with store.read() as conn:
            rows = [
                dict(r._mapping)
                for r in conn.execute(__import__("sqlalchemy").text("SELECT id, content_hash FROM papers"))
            ]
        for start in range(0, len(rows), 5000):
            part = rows[start : start + 5000]
            matrix = rng.standard_normal((len(part), 384)).astype(np.float32)
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
            with store.write() as conn:
                save_vectors(conn, MODEL, part, matrix)
        print(f"source: {len(rows)} random vectors", flush=True)
    store.close()
    (home / "complete").touch()
    return db


class Postgres:
    """A PostgreSQL server that hands out one fresh, empty database per run."""

    def __init__(self, url: str | None) -> None:
        import sqlalchemy as sa

        self._server = None
        self._folder: str | None = None
        if url is None:
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
            import pgserver

            self._folder = tempfile.mkdtemp(prefix="paperwire-migrate-bench-pg-")
            self._server = pgserver.get_server(self._folder, cleanup_mode="stop")
            url = self._server.get_uri()
        self.url = sa.engine.make_url(url.replace("postgresql+psycopg://", "postgresql://", 1))

    def _admin(self):
        import psycopg

        return psycopg.connect(self.url.render_as_string(hide_password=False), autocommit=True)

    def create(self) -> tuple[str, str]:
        name = f"pwmigrate_{uuid.uuid4().hex[:12]}"
        with self._admin() as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return name, self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            shutil.rmtree(self._folder, ignore_errors=True)


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)], cwd=REPO, capture_output=True, text=True, timeout=3600
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _load() -> str:
    return "load average {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="only the first N records of --data")
    parser.add_argument("--vectors", choices=("all", "demo", "none"), default="all")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--postgres-url", default=None, help="a server to create scratch databases on (else pgserver)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_work(json.loads(args.worker))))
        return
    source = f"sqlite:///{build_source(args.data, args.limit, args.vectors)}"
    pg = Postgres(args.postgres_url)
    load_before = _load()
    runs: list[dict[str, Any]] = []
    try:
        for repeat in range(args.repeat):
            name, url = pg.create()
            bare = run_worker({"kind": "copy", "source": source, "target": url})
            pg.drop(name)
            name, url = pg.create()
            first = run_worker({"kind": "migrate", "source": source, "target": url, "batch_size": args.batch_size})
            rerun = run_worker({"kind": "migrate", "source": source, "target": url, "batch_size": args.batch_size})
            pg.drop(name)
            assert first["fresh"] and not rerun["fresh"]
            changed = sum(t["inserted"] + t["updated"] + t["deleted"] for t in rerun["tables"].values())
            runs.append({"bare": bare, "first": first, "rerun": rerun, "rerun_changed": changed})
            print(
                f"repeat {repeat + 1}: migrate-db {first['seconds']:.1f} s (papers table "
                f"{first['tables']['papers']['seconds']:.1f} s), rerun {rerun['seconds']:.1f} s, "
                f"bare COPY of papers {bare['seconds']:.1f} s; {_load()}",
                flush=True,
            )
    finally:
        pg.close()
    median = statistics.median
    papers = runs[0]["first"]["tables"]["papers"]["rows"]
    figures = {
        "papers": papers,
        "rows": sum(t["rows"] for t in runs[0]["first"]["tables"].values()),
        "vectors": runs[0]["first"]["tables"]["embeddings"]["rows"],
        "migrate_s": median(r["first"]["seconds"] for r in runs),
        "schema_s": median(r["first"]["schema_seconds"] for r in runs),
        "papers_per_s": median(papers / r["first"]["seconds"] for r in runs),
        "rerun_s": median(r["rerun"]["seconds"] for r in runs),
        "rerun_changed_rows": max(r["rerun_changed"] for r in runs),
        "papers_table_s": median(r["first"]["tables"]["papers"]["seconds"] for r in runs),
        "bare_copy_papers_s": median(r["bare"]["seconds"] for r in runs),
        "ratio_papers_vs_bare_copy": median(
            r["first"]["tables"]["papers"]["seconds"] / r["bare"]["seconds"] for r in runs
        ),
        "rss_peak_mb": max(r["first"]["rss_peak_mb"] for r in runs),
        "rss_start_mb": runs[0]["first"]["rss_start_mb"],
        "tables_s": {
            name: median(r["first"]["tables"][name]["seconds"] for r in runs) for name in runs[0]["first"]["tables"]
        },
        "rerun_tables_s": {
            name: median(r["rerun"]["tables"][name]["seconds"] for r in runs) for name in runs[0]["rerun"]["tables"]
        },
        "repeats": len(runs),
        "load_before": load_before,
        "load_after": _load(),
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"\n{figures['papers']:,} papers, {figures['rows']:,} rows in all, {figures['vectors']:,} vectors; "
        f"medians of {figures['repeats']} repeats"
    )
    print(
        f"migrate-db (schema + copy + verify): {figures['migrate_s']:.1f} s = {figures['papers_per_s']:,.0f} papers/s "
        f"(schema {figures['schema_s']:.1f} s); peak RSS {figures['rss_peak_mb']:.0f} MB (at start {figures['rss_start_mb']:.0f} MB)"
    )
    print(f"rerun (nothing changed): {figures['rerun_s']:.1f} s, rows written {figures['rerun_changed_rows']}")
    print(
        f"papers table: migrate-db {figures['papers_table_s']:.1f} s vs bare COPY {figures['bare_copy_papers_s']:.1f} s "
        f"= ratio {figures['ratio_papers_vs_bare_copy']:.2f}"
    )
    for label, times in (("copy", figures["tables_s"]), ("rerun", figures["rerun_tables_s"])):
        slowest = sorted(times.items(), key=lambda kv: -kv[1])[:5]
        print(f"slowest tables ({label}): " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in slowest))
    print(f"{figures['load_before']} before, {figures['load_after']} after")


if __name__ == "__main__":
    main()
