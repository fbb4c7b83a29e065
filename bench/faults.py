"""Fault benchmark: what a real `paperwire serve --workers 4` under load does when something breaks.
Each scenario prints PASS or FAIL with its figures.

    .venv/bin/python bench/faults.py                                  # every scenario
    .venv/bin/python bench/faults.py --scenario pg-restart --users 50 --duration 20   # one, smaller

Scenarios (the load is bench/loadgen.py's simulated users on the demo corpus, as in bench/load.py):

- worker-kill (PostgreSQL and SQLite): `kill -9` one uvicorn worker a third into the load. The other
  workers must keep answering, uvicorn's supervisor must start a replacement, and the votes must be
  exact: a vote that got no answer is settled by voting again (see loadgen), then the database must hold
  exactly the votes the users were told about.
- embed-kill (SQLite; --embed-backend postgresql): N real papers without vectors (the first N of
  ../shared/data/arxiv-daily-2025-2026/papers.jsonl.xz), embedded by `paperwire worker --kind embed`
  (the job queue: an embed job under a lease) with the static model bench/out/m2v-384 when it exists.
  The worker is killed with `kill -9` once some batches are committed and started again, once on the
  same host (it sees the dead pid in the job's lease holder and takes the job over at once) and once
  under another host name (unshare --uts, as a second machine would: it must wait until the lease,
  PAPERWIRE_JOB_LEASE = 10 s here, runs out). The vectors committed before the kill must be kept (same
  updated_at: not recomputed), and every paper must end with exactly one vector.
- pg-restart (PostgreSQL): `pg_ctl restart -m fast` a third into the load, Paperwire left running. The
  failures must fit in a window of a few seconds, then every route serves again by itself; votes exact.
- read-only: PostgreSQL: `ALTER DATABASE ... SET default_transaction_read_only = on` and every session
  ended (pg_terminate_backend), later reset the same way. SQLite: the database file and its -wal/-shm
  made read-only (chmod 0444) and the workers recycled (SIGHUP to uvicorn's supervisor, which replaces
  them one by one while the others serve), later chmod 0644 and SIGHUP again. Root ignores file modes,
  so when run as root the server starts without CAP_DAC_OVERRIDE (then the 0444 binds it as it would
  bind any user). A chmod does not touch already-open
  connections, which keep writing until they are reopened; the scenario reports how many votes that let
  through. While read-only, reads must answer 200 and votes 503 with "the database is read-only";
  never a 500; afterwards votes work again, PRAGMA integrity_check (SQLite) passes, or on PostgreSQL
  (pgserver has no amcheck) pg_dump reads every table and seq-scan and index counts agree; votes exact.
- disk-full (SQLite): the home folder on a tmpfs with a size limit (a real quota: writes fail with
  ENOSPC, the error a full disk gives, so SQLite answers SQLITE_FULL); the tmpfs is filled with a file
  during the load and the file removed later. This is truer than RLIMIT_FSIZE (which makes writes fail
  with EFBIG, which SQLite reports as a generic I/O error, and which also limits every other file the
  server writes) or PRAGMA max_page_count (a limit inside SQLite: no write to the disk ever fails).
  Mounting needs root (CAP_SYS_ADMIN); without it the scenario is skipped with its reason. SQLite in WAL
  mode reuses the space of its -wal file after a checkpoint, so some writes can still succeed on a full
  disk; they are counted. Every failed vote must be a 503 saying the disk is full, reads must keep
  answering, integrity_check must pass, votes exact.

Loopback only; each scenario is bounded (--duration of load, plus loading and at most a few minutes of
recovery waits). Working files go under bench/out/faults-*.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import lzma
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa
from loadgen import (
    OUT,
    REPO,
    Postgres,
    Sample,
    Server,
    Site,
    check_votes,
    error_window,
    failures,
    load_average,
    log,
    prepare_site,
    print_routes,
    print_votes,
    route_table,
    run_load,
    site_env,
)

DATA = REPO.parent / "shared" / "data" / "arxiv-daily-2025-2026" / "papers.jsonl.xz"
STATIC_MODEL = OUT / "m2v-384"
READS = ("home day", "home week", "paper", "search keyword", "search hybrid", "api daily", "api paper", "api search")
verdicts: list[dict[str, Any]] = []


def verdict(name: str, ok: bool, figures: dict[str, Any], why: list[str]) -> None:
    line = f"{'PASS' if ok else 'FAIL'} {name}: " + "; ".join(f"{k} {v}" for k, v in figures.items())
    print(line + ("" if ok else "\n  because: " + "; ".join(why)), flush=True)
    verdicts.append({"scenario": name, "pass": ok, "figures": figures, "failed_checks": why})


def event(result: Any, prefix: str) -> float | None:
    return next((t for t, name in result.events if name.startswith(prefix)), None)


def between(result: Any, t0: float, t1: float, routes: tuple[str, ...] | None = None) -> list[Sample]:
    return [s for s in result.samples if t0 <= s.t < t1 and (routes is None or s.route in routes)]


def statuses(samples: list[Sample]) -> dict[str, int]:
    return dict(Counter("no answer" if s.status is None else str(s.status) for s in samples))


def database(args: argparse.Namespace, backend: str, pg: Postgres | None, name: str) -> str:
    return pg.fresh_database(f"paperwire_{name.replace('-', '_')}") if backend == "postgresql" else ""


def report_load(title: str, result: Any, args: argparse.Namespace, before: str, after: str) -> None:
    dump = OUT / f"faults-samples-{title.split(' (')[0].replace(' ', '-')}.json"
    dump.write_text(
        json.dumps(
            {
                "events": result.events,
                "samples": [[round(s.t, 3), s.route, s.status, round(s.ms, 1), s.error[:100]] for s in result.samples],
            }
        )
    )
    print(
        f"\n== {title}: {args.users} users, think {args.think} s, {result.duration:.0f} s; {before} before, "
        f"{after} after =="
    )
    for at, name in result.events:
        print(f"  t={at:6.2f} s  {name}")
    print_routes(route_table(result))


def loaded(
    scenario: str, backend: str, args: argparse.Namespace, pg: Postgres | None, **env: str
) -> tuple[Site, Server]:
    site = prepare_site(
        backend,
        OUT / f"faults-{scenario}-{backend}" / "home",
        database(args, backend, pg, scenario),
        args.users,
        seed=args.seed,
    )
    site.env.update(env)
    return site, Server(site.env, OUT / f"faults-{scenario}-{backend}.log", workers=args.workers)


def exact_votes(site: Site, result: Any) -> dict[str, Any]:
    store = site.store()
    try:
        check = check_votes(store, site, result.votes)
    finally:
        store.close()
    print_votes(check, result.votes)
    return check


# --- a. kill -9 a web worker ------------------------------------------------------------------------


def worker_kill(args: argparse.Namespace, backend: str, pg: Postgres | None) -> None:
    site, server = loaded("worker-kill", backend, args, pg)
    server.start()
    killed: dict[str, Any] = {}

    def kill(mark: Callable[[str], float]) -> None:
        pids = server.worker_pids()
        victim = random.Random(args.seed).choice(pids)
        os.kill(victim, signal.SIGKILL)
        killed.update(pid=victim, at=mark(f"kill -9 worker {victim} (of {pids})"))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            now = server.worker_pids()
            fresh = [p for p in now if p not in pids]
            if len(now) == len(pids) and fresh:
                killed.update(new_pid=fresh[0], replaced_at=mark(f"supervisor started worker {fresh[0]}"))
                return
            time.sleep(0.1)
        mark("no replacement worker within 120 s")

    try:
        server.warm_up(site)
        before = load_average()
        result = run_load(
            server.base,
            site,
            users=args.users,
            duration=args.duration,
            think=args.think,
            seed=args.seed,
            actions=[(args.duration / 3, "worker-kill", kill)],
        )
        after = load_average()
        workers_after = server.worker_pids()
    finally:
        server.stop()
    report_load(f"worker-kill on {backend}", result, args, before, after)
    failed = failures(result)
    window = error_window(failed)
    kill_at = killed.get("at", 0.0)
    replaced_at = killed.get("replaced_at")
    gap_end = replaced_at if replaced_at is not None else result.duration
    served = [s for s in between(result, kill_at, gap_end) if s.status is not None and s.status < 500]
    check = exact_votes(site, result)
    why = []
    if replaced_at is None:
        why.append("no replacement worker")
    if not served:
        why.append("nothing was served between the kill and the replacement")
    if any(s.end < kill_at for s in failed):
        why.append("failures before the kill")
    if not check["exact"]:
        why.append("votes not exact")
    verdict(
        f"worker-kill ({backend})",
        not why,
        {
            "failed requests": window["failed"],
            "by status": statuses(failed),
            "failure window": f"{window['first_s']}-{window['last_s']} s (kill at {kill_at:.2f} s)",
            "replacement started after": f"{(replaced_at - kill_at):.2f} s" if replaced_at is not None else "never",
            "served by the other workers meanwhile": len(served),
            "workers at the end": len(workers_after),
            "votes": f"{check['votes_in_db']} in db = {check['votes_believed']} believed, lost {check['n_lost']}, "
            f"extra {check['n_extra']}, ambiguous settled {result.votes.resolved}/{result.votes.ambiguous_seen}",
        },
        why,
    )


# --- b. kill -9 the embedding worker ------------------------------------------------------------------


def embed_kill(args: argparse.Namespace, backend: str, pg: Postgres | None, restart: str) -> None:
    """`restart` same-host: the new worker sees the old one's pid is gone and takes the job over at once;
    other-host: it runs under another host name (a UTS namespace), as on a second machine, and must wait
    for the lease to run out."""
    home = OUT / f"faults-embed-kill-{backend}-{restart}" / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    corpus = home.parent / f"papers-{args.embed_papers}.jsonl"
    with lzma.open(DATA, "rt", encoding="utf-8") as src, corpus.open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= args.embed_papers:
                break
            dst.write(line)
    model = str(STATIC_MODEL.resolve()) if STATIC_MODEL.exists() else "all-MiniLM-L6-v2"
    env = site_env(
        home,
        database(args, backend, pg, "embed-kill"),
        PAPERWIRE_EMBEDDING_MODEL=model,
        PAPERWIRE_JOB_LEASE="10",
        PAPERWIRE_JOB_POLL_INTERVAL="1",
        PAPERWIRE_SCHEDULER_INTERVAL="3600",
        PAPERWIRE_SCHEDULER_FETCH="false",
        PAPERWIRE_SCHEDULER_EMBED_LIMIT=str(args.embed_papers),
        PAPERWIRE_EMBED_BATCH_SIZE=str(args.embed_batch),
        PAPERWIRE_LOG_LEVEL="INFO",
    )
    subprocess.run(
        [sys.executable, "-m", "paperwire", "ingest", str(corpus)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=1800,
    )
    from paperwire.config import load_settings
    from paperwire.store import Store
    from paperwire.store.schema import embeddings, jobs, papers

    store = Store.open(load_settings(home=home, database_url=env["PAPERWIRE_DATABASE_URL"] or None), migrate=False)

    def vectors() -> dict[str, Any]:
        with store.read() as conn:
            return {row[0]: row[1] for row in conn.execute(sa.select(embeddings.c.paper_id, embeddings.c.updated_at))}

    with store.read() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()
    log(f"embed-kill ({backend}): {total} papers without vectors; model {model}")
    worker_log = (OUT / f"faults-embed-kill-{backend}-{restart}.log").open("wb")
    command = [sys.executable, "-m", "paperwire", "worker", "--kind", "embed"]
    started = time.perf_counter()
    first = subprocess.Popen(command, cwd=REPO, env=env, stdout=worker_log, stderr=subprocess.STDOUT)
    threshold = max(1, int(total * args.kill_fraction))
    try:
        while len(vectors()) < threshold and first.poll() is None and time.perf_counter() - started < 600:
            time.sleep(0.02)
    finally:
        first.kill()  # SIGKILL
        first.wait()
    killed_at = time.perf_counter() - started
    before = vectors()
    log(f"embed-kill: kill -9 at {killed_at:.1f} s with {len(before)} of {total} vectors committed")
    if restart == "other-host":
        command = ["unshare", "--uts", "sh", "-c", 'hostname paperwire-bench-other-host && exec "$0" "$@"', *command]
    second = subprocess.Popen(command, cwd=REPO, env=env, stdout=worker_log, stderr=subprocess.STDOUT)
    resumed_at = None
    try:
        deadline = time.perf_counter() + 600
        while time.perf_counter() < deadline:
            now = vectors()
            if resumed_at is None and len(now) > len(before):
                resumed_at = time.perf_counter() - started
            if len(now) >= total:
                break
            time.sleep(0.2)
        done_at = time.perf_counter() - started
        time.sleep(1.5)  # let the job be recorded as done
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
    after = vectors()
    with store.read() as conn:
        rows = conn.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(embeddings.c.paper_id))).select_from(embeddings)
        ).one()
        job_rows = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(jobs.c.id, jobs.c.state, jobs.c.attempts, jobs.c.locked_by, jobs.c.result).where(
                    jobs.c.kind == "embed"
                )
            )
        ]
    store.close()
    recomputed = [pid for pid, moment in before.items() if after.get(pid) != moment]
    why = []
    if not 0 < len(before) < total:
        why.append(f"the kill did not land mid-run ({len(before)} of {total} committed)")
    if len(after) != total or rows[0] != total or rows[1] != total:
        why.append(
            f"{len(after)} papers with vectors, {rows[0]} vector rows, {rows[1]} distinct papers, expected {total}"
        )
    if recomputed:
        why.append(f"{len(recomputed)} vectors committed before the kill were made again")
    verdict(
        f"embed-kill ({backend}, paperwire worker --kind embed, restarted {'on the same host' if restart == 'same-host' else 'as another host'})",
        not why,
        {
            "papers": total,
            "committed at the kill": len(before),
            "kill at": f"{killed_at:.1f} s",
            "restarted worker committed its first vector at": f"{resumed_at:.1f} s ({resumed_at - killed_at:.1f} s after the kill)"
            if resumed_at
            else "never",
            "all embedded at": f"{done_at:.1f} s",
            "vectors before the kill recomputed": len(recomputed),
            "vector rows / distinct papers": f"{rows[0]} / {rows[1]}",
            "embed jobs": "; ".join(
                f"#{j['id']} {j['state']} after {j['attempts']} attempts ({j['result']})" for j in job_rows
            ),
        },
        why,
    )


# --- c. restart PostgreSQL ----------------------------------------------------------------------------


def pg_restart(args: argparse.Namespace, pg: Postgres) -> None:
    site, server = loaded("pg-restart", "postgresql", args, pg)
    server.start()

    def restart(mark: Callable[[str], float]) -> None:
        pg.restart()
        mark("PostgreSQL accepting connections again")

    try:
        server.warm_up(site)
        before = load_average()
        result = run_load(
            server.base,
            site,
            users=args.users,
            duration=args.duration,
            think=args.think,
            seed=args.seed,
            actions=[(args.duration / 3, "pg_ctl restart -m fast", restart)],
        )
        after = load_average()
    finally:
        server.stop()
    report_load("pg-restart", result, args, before, after)
    failed = failures(result)
    window = error_window(failed)
    restart_at = event(result, "pg_ctl restart -m fast: start") or 0.0
    up_at = event(result, "PostgreSQL accepting") or result.duration
    tail_start = result.duration * 0.7
    tail = between(result, tail_start, result.duration)
    tail_failed = [s for s in tail if s.status is None or s.status >= 500]
    routes_ok_after = {s.route for s in between(result, up_at + 5, result.duration) if s.status == 200}
    five_hundreds = [s for s in failed if s.status == 500]
    check = exact_votes(site, result)
    why = []
    if window["span_s"] > args.max_outage:
        why.append(f"failures spread over {window['span_s']} s (> {args.max_outage} s)")
    if tail_failed:
        why.append(f"{len(tail_failed)} failures in the last 30 % of the run")
    missing = ({*READS, "api vote"}) - routes_ok_after
    if missing:
        why.append(f"routes never served after the restart: {sorted(missing)}")
    if five_hundreds:
        why.append(f"{len(five_hundreds)} answers were 500s (a database outage should be a 503)")
    if not check["exact"]:
        why.append("votes not exact")
    verdict(
        "pg-restart",
        not why,
        {
            "restart took": f"{up_at - restart_at:.2f} s (from {restart_at:.2f} s)",
            "failed requests": window["failed"],
            "by status": statuses(failed),
            "failure window": f"{window['first_s']}-{window['last_s']} s "
            f"({window['span_s']} s, {window['seconds_with_failures']} distinct seconds)",
            "failures in the last 30 %": len(tail_failed),
            "votes": f"{check['votes_in_db']} in db = {check['votes_believed']} believed, lost {check['n_lost']}, "
            f"extra {check['n_extra']}, ambiguous settled {result.votes.resolved}/{result.votes.ambiguous_seen}",
        },
        why,
    )


# --- d. read-only database and full disk ----------------------------------------------------------------


def _fault_checks(
    result: Any, fault_on: float, fault_off: float, message: str, settle: float, after: float | None = None
) -> tuple[dict, list[str]]:
    """Figures and failed checks common to read-only and disk-full: reads work, writes get the clear 503.

    Judged on the requests sent `settle` s after the fault began and answered before it ended; "afterwards"
    starts `settle` s after the fault ended (or at `after`, when the server had to be restarted)."""
    failed = failures(result)
    during = [s for s in between(result, fault_on + settle, fault_off) if s.end < fault_off]
    reads = [s for s in during if s.route in READS]
    reads_ok = [s for s in reads if s.status == 200]
    votes = [s for s in during if s.route == "api vote"]
    votes_ok = [s for s in votes if s.status == 200]
    votes_clear = [s for s in votes if s.status == 503 and message in s.error]
    votes_other = [s for s in votes if s not in votes_ok and s not in votes_clear]
    later = between(result, (fault_off if after is None else after) + settle, result.duration, ("api vote",))
    five_hundreds = [s for s in result.samples if s.status == 500]
    figures = {
        "reads while faulty": f"{len(reads_ok)}/{len(reads)} answered 200",
        "votes while faulty": f"{len(votes_clear)} clear 503s, {len(votes_ok)} succeeded, {len(votes_other)} other "
        f"{statuses(votes_other)}",
        "votes after": f"{sum(s.status == 200 for s in later)}/{len(later)} answered 200",
        "500s": len(five_hundreds),
        "failures overall": statuses(failed),
    }
    why = []
    if five_hundreds:
        why.append(f"{len(five_hundreds)} answers were 500s: {five_hundreds[0].route} {five_hundreds[0].error[:120]}")
    if not reads or len(reads_ok) < len(reads):
        why.append(f"reads failed during the fault: {statuses([s for s in reads if s.status != 200])}")
    if votes_other:
        why.append(f"votes failed without the clear message: {votes_other[0].status} {votes_other[0].error[:120]}")
    if not votes_clear:
        why.append("no vote met the fault")
    if not later or not all(s.status == 200 for s in later):
        why.append("votes did not all work again afterwards")
    return figures, why


def read_only_pg(args: argparse.Namespace, pg: Postgres) -> None:
    site, server = loaded("read-only", "postgresql", args, pg)
    name = sa.engine.make_url(site.settings.database_url).database
    end_sessions = (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
    )
    server.start()
    on_at, off_at = args.duration / 4, args.duration * 0.65

    def read_only(mark: Callable[[str], float]) -> None:
        pg.sql(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        ended = pg.sql(end_sessions, db=name)[0][0]
        mark(f"database read-only ({ended} sessions ended)")
        time.sleep(max(0.0, off_at - on_at - 0.5))
        pg.sql(f"ALTER DATABASE {name} RESET default_transaction_read_only")
        ended = pg.sql(end_sessions, db=name)[0][0]
        mark(f"database writable ({ended} sessions ended)")

    try:
        server.warm_up(site)
        before = load_average()
        result = run_load(
            server.base,
            site,
            users=args.users,
            duration=args.duration,
            think=args.think,
            seed=args.seed,
            actions=[(on_at, "read-only", read_only)],
        )
        after = load_average()
    finally:
        server.stop()
    report_load("read-only on postgresql", result, args, before, after)
    on = event(result, "database read-only") or on_at
    off = event(result, "database writable") or off_at
    figures, why = _fault_checks(result, on, off, "the database is read-only", settle=2.0)
    check_ok, check_text = _pg_consistency(pg, name)
    if not check_ok:
        why.append(f"consistency: {check_text}")
    check = exact_votes(site, result)
    if not check["exact"]:
        why.append("votes not exact")
    figures.update(
        {
            "consistency": check_text,
            "votes": f"{check['votes_in_db']} in db = {check['votes_believed']} "
            f"believed, lost {check['n_lost']}, extra {check['n_extra']}",
        }
    )
    verdict("read-only (postgresql)", not why, figures, why)


def _pg_consistency(pg: Postgres, database: str) -> tuple[bool, str]:
    """pgserver's PostgreSQL has no amcheck, so: pg_dump of the whole database (reads every row of every table)
    must succeed, and each table's row count by a sequential scan must equal its count by an index scan."""
    from pgserver._commands import POSTGRES_BIN_PATH

    info = pg.server.get_postmaster_info()
    dump = subprocess.run(
        [
            str(POSTGRES_BIN_PATH / "pg_dump"),
            "-h",
            str(info.socket_dir),
            "-U",
            "postgres",
            "-d",
            database,
            "-f",
            os.devnull,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if dump.returncode != 0:
        return False, f"pg_dump failed: {dump.stderr.strip()[:300]}"
    engine = sa.create_engine(
        pg.url(database).replace("postgresql://", "postgresql+psycopg://", 1), poolclass=sa.pool.NullPool
    )
    differ = []
    try:
        with engine.connect() as conn:
            tables = (
                conn.execute(
                    sa.text(
                        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE i.indisprimary AND n.nspname = 'public'"
                    )
                )
                .scalars()
                .all()
            )
            for table in tables:
                conn.execute(
                    sa.text("SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off")
                )
                heap = conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                conn.execute(
                    sa.text(
                        "SET enable_seqscan = off; SET enable_indexscan = on; SET enable_indexonlyscan = on; "
                        "SET enable_bitmapscan = on"
                    )
                )
                index = conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                conn.execute(sa.text("RESET ALL"))
                if heap != index:
                    differ.append(f"{table}: {heap} rows by seq scan, {index} by index")
    finally:
        engine.dispose()
    if differ:
        return False, "; ".join(differ)
    return True, f"pg_dump read every table; seq-scan and index counts agree on {len(tables)} tables"


def _without_file_override() -> None:
    """In the server's process before exec: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set,
    so that even as root it obeys file modes (a root process otherwise writes to a 0444 file)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def read_only_sqlite(args: argparse.Namespace) -> None:
    site, server = loaded("read-only", "sqlite", args, None)
    home = Path(site.settings.home)
    db = home / "paperwire.db"
    if os.geteuid() == 0:
        server.preexec = _without_file_override
    server.start()
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    on_at = args.duration / 5

    def restart(mark: Callable[[str], float], what: str) -> None:
        # uvicorn's rolling restart (SIGHUP) gives a new worker timeout_worker_healthcheck (5 s) to be ready, which a
        # Paperwire worker does not make on 2 busy cores (it aborts the restart), so the whole server is restarted.
        how = server.stop()
        mark(f"{what}: server stopped ({how})")
        server.start()
        server.warm_up(site, rounds=1)  # a cold server under 200 users answers its first requests slowly
        mark(f"{what}: server serving again (warmed up)")

    def read_only(mark: Callable[[str], float]) -> None:
        for path in files:
            if path.exists():
                path.chmod(0o444)
        mark("chmod 0444 paperwire.db, -wal, -shm")
        time.sleep(3)  # what do the open connections do meanwhile?
        restart(mark, "read-only")
        time.sleep(args.duration / 2)
        for path in files:
            if path.exists():
                path.chmod(0o644)
        mark("chmod 0644 again")
        restart(mark, "writable")

    try:
        server.warm_up(site)
        before = load_average()
        result = run_load(
            server.base,
            site,
            users=args.users,
            duration=args.duration,
            think=args.think,
            seed=args.seed,
            actions=[(on_at, "read-only", read_only)],
            after_actions=args.duration / 3,
        )
        after = load_average()
    finally:
        server.stop()
    report_load("read-only on sqlite", result, args, before, after)
    chmod_at = event(result, "chmod 0444") or on_at
    stopped = event(result, "read-only: server stopped") or chmod_at
    on = event(result, "read-only: server serving again") or chmod_at
    off = event(result, "chmod 0644") or result.duration
    back = event(result, "writable: server serving again")
    leaked = between(result, chmod_at, stopped, ("api vote",))
    figures, why = _fault_checks(result, on, off, "the database is read-only", settle=0.5, after=back)
    if back is None:
        why.append("the server did not come back after the chmod back")
    figures["votes between the chmod and the restart (open connections)"] = statuses(leaked)
    integrity = _integrity(db)
    if integrity != "ok":
        why.append(f"integrity_check: {integrity}")
    check = exact_votes(site, result)
    if not check["exact"]:
        why.append("votes not exact")
    figures.update(
        {
            "integrity_check": integrity,
            "votes": f"{check['votes_in_db']} in db = {check['votes_believed']} "
            f"believed, lost {check['n_lost']}, extra {check['n_extra']}",
        }
    )
    verdict("read-only (sqlite)", not why, figures, why)


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def disk_full(args: argparse.Namespace) -> None:
    site, server = loaded("disk-full", "sqlite", args, None)
    home = Path(site.settings.home)
    mount = home.parent / "quota"
    mount.mkdir(exist_ok=True)
    used = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    size_mb = int(used / 1e6) + 64
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        print(f"SKIP disk-full (sqlite): cannot mount a size-limited tmpfs here ({done.stderr.strip()}); needs root")
        verdicts.append({"scenario": "disk-full (sqlite)", "pass": None, "skipped": done.stderr.strip()})
        return
    try:
        quota_home = mount / "home"
        shutil.copytree(home, quota_home)
        site.env["PAPERWIRE_HOME"] = str(quota_home)
        server.env = site.env
        server.start()
        filler = mount / "filler"
        on_at = args.duration / 5
        off_at = args.duration * 0.65

        def fill(mark: Callable[[str], float]) -> None:
            with filler.open("wb") as out:
                try:
                    while True:
                        out.write(b"\0" * (1 << 20))
                        out.flush()
                except OSError:
                    pass
            mark(f"quota full ({shutil.disk_usage(mount).free} bytes free)")
            time.sleep(max(0.0, off_at - on_at))
            filler.unlink()
            mark(f"filler removed ({shutil.disk_usage(mount).free // 1_000_000} MB free)")

        try:
            server.warm_up(site)
            before = load_average()
            result = run_load(
                server.base,
                site,
                users=args.users,
                duration=args.duration,
                think=args.think,
                seed=args.seed,
                actions=[(on_at, "fill the quota", fill)],
            )
            after = load_average()
        finally:
            server.stop()
        report_load(f"disk-full on sqlite (tmpfs of {size_mb} MB)", result, args, before, after)
        on = event(result, "quota full") or on_at
        off = event(result, "filler removed") or off_at
        figures, why = _fault_checks(result, on, off, "disk is full", settle=0.5)
        integrity = _integrity(quota_home / "paperwire.db")
        if integrity != "ok":
            why.append(f"integrity_check: {integrity}")
        site.settings = site.settings.model_copy(update={"home": quota_home})
        check = exact_votes(site, result)
        if not check["exact"]:
            why.append("votes not exact")
        figures.update(
            {
                "integrity_check": integrity,
                "votes": f"{check['votes_in_db']} in db = "
                f"{check['votes_believed']} believed, lost {check['n_lost']}, extra {check['n_extra']}",
            }
        )
        verdict("disk-full (sqlite)", not why, figures, why)
    finally:
        subprocess.run(["umount", str(mount)], check=False)


SCENARIOS = ("worker-kill", "embed-kill", "pg-restart", "read-only", "disk-full")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="repeatable; default all")
    parser.add_argument(
        "--backend",
        action="append",
        choices=["postgresql", "sqlite"],
        help="backends for worker-kill and read-only (repeatable); default both",
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=40.0, help="seconds of load per scenario")
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--max-outage", type=float, default=10.0, help="pg-restart: longest acceptable failure window (s)"
    )
    parser.add_argument("--embed-papers", type=int, default=8000)
    parser.add_argument("--embed-batch", type=int, default=64)
    parser.add_argument("--embed-backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--embed-restart",
        choices=["same-host", "other-host", "both"],
        default="both",
        help="embed-kill: restart the worker on the same host, as another host (needs unshare), or both",
    )
    parser.add_argument(
        "--kill-fraction", type=float, default=0.3, help="embed-kill: kill once this share is committed"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    scenarios = args.scenario or list(SCENARIOS)
    backends = args.backend or ["postgresql", "sqlite"]
    print(f"bench/faults.py on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}, {load_average()}")
    needs_pg = (
        ("postgresql" in backends and {"worker-kill", "read-only"} & set(scenarios))
        or "pg-restart" in scenarios
        or ("embed-kill" in scenarios and args.embed_backend == "postgresql")
    )
    pg = Postgres(OUT / "pg-faults") if needs_pg else None
    try:
        for scenario in scenarios:
            log(f"scenario {scenario}")
            if scenario == "worker-kill":
                for backend in backends:
                    worker_kill(args, backend, pg)
            elif scenario == "embed-kill":
                for restart in ["same-host", "other-host"] if args.embed_restart == "both" else [args.embed_restart]:
                    embed_kill(args, args.embed_backend, pg, restart)
            elif scenario == "pg-restart":
                pg_restart(args, pg)
            elif scenario == "read-only":
                if "postgresql" in backends:
                    read_only_pg(args, pg)
                if "sqlite" in backends:
                    read_only_sqlite(args)
            elif scenario == "disk-full":
                disk_full(args)
    finally:
        if pg:
            pg.close()
    print(
        "\n"
        + "\n".join(
            f"{'PASS' if v['pass'] else 'SKIP' if v['pass'] is None else 'FAIL'} {v['scenario']}" for v in verdicts
        )
    )
    print(
        json.dumps(
            {
                "bench": "faults",
                "cores": os.cpu_count(),
                "users": args.users,
                "duration_s": args.duration,
                "verdicts": verdicts,
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main()
