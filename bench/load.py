"""Load benchmark: `paperwire serve --workers 4` on PostgreSQL, then on SQLite, with 200 simulated users
browsing, searching and voting for 60 s; requests/s and p50/p95 by route, failures, and afterwards an
exact check that every vote the users were told about is in the database once (and nothing else is).

    .venv/bin/python bench/load.py                                   # both backends, 200 users, 60 s each
    .venv/bin/python bench/load.py --backend sqlite --users 40 --duration 15     # a quick look

Each phase loads the bundled demo corpus (4,393 real papers of February 2026, their Hugging Face daily
lists and all-MiniLM-L6-v2 vectors, so hybrid search and similar papers work) with `paperwire demo
--no-serve` into a fresh home under bench/out/load-<backend>/ (PostgreSQL: a pgserver whose data folder
is bench/out/pg-load, database paperwire_load), adds the users with API tokens through
paperwire.accounts, and serves it with the job worker off (PAPERWIRE_SCHEDULER_ENABLED=false) and the
vote rate limit raised (PAPERWIRE_VOTES_PER_HOUR=1000000). Users, routes and the vote check are in
bench/loadgen.py: each user acts, thinks for `--think` s (x 0.5-1.5), acts again; votes go to the papers
of the three latest daily lists, so many users vote on the same papers at once. Latencies are measured
by the client (they include queueing); the load generator shares the machine's cores with the server.
Loopback only; bounded by --duration per phase plus loading (about 1-2 minutes a phase).
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import (
    OUT,
    Postgres,
    Server,
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
)


def phase(backend: str, args: argparse.Namespace, pg: Postgres | None) -> dict:
    url = pg.fresh_database("paperwire_load") if pg else ""
    site = prepare_site(backend, OUT / f"load-{backend}" / "home", url, args.users, seed=args.seed)
    server = Server(site.env, OUT / f"load-{backend}.log", workers=args.workers)
    log(f"{backend}: starting paperwire serve --workers {args.workers}")
    server.start()
    try:
        server.warm_up(site)
        before = load_average()
        log(f"{backend}: {args.users} users for {args.duration:.0f} s ({before})")
        result = run_load(server.base, site, users=args.users, duration=args.duration, think=args.think, seed=args.seed)
        after = load_average()
    finally:
        server.stop()
    store = site.store()
    check = check_votes(store, site, result.votes)
    store.close()
    table = route_table(result)
    print(
        f"\n== {backend}: paperwire serve --workers {args.workers}, {args.users} users, think {args.think} s, "
        f"{args.duration:.0f} s; {before} before, {after} after; load generator CPU {result.client_cpu_s:.1f} s =="
    )
    print_routes(table)
    window = error_window(failures(result))
    print(f"failed requests (no answer or 5xx): {window['failed']}")
    print_votes(check, result.votes)
    print(f"VOTES {'EXACT' if check['exact'] else 'NOT EXACT'} ({backend})")
    return {
        "backend": backend,
        "users": args.users,
        "duration_s": args.duration,
        "think_s": args.think,
        "workers": args.workers,
        "load_before": before,
        "load_after": after,
        "client_cpu_s": round(result.client_cpu_s, 1),
        "routes": table,
        "errors": window,
        "votes": {k: v for k, v in check.items() if k not in ("lost", "extra", "papers_mismatched")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend",
        action="append",
        choices=["postgresql", "sqlite"],
        help="backend to measure (repeatable); default both, PostgreSQL first",
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per backend")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time between a user's requests (s)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    backends = args.backend or ["postgresql", "sqlite"]
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"bench/load.py on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}, {load_average()}")
    pg = Postgres(OUT / "pg-load") if "postgresql" in backends else None
    try:
        results = [phase(backend, args, pg if backend == "postgresql" else None) for backend in backends]
    finally:
        if pg:
            pg.close()
    print(json.dumps({"bench": "load", "cores": os.cpu_count(), "results": results}))


if __name__ == "__main__":
    main()
