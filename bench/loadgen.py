"""Shared parts of bench/load.py and bench/faults.py: a PostgreSQL server, a loaded site, a real
`paperwire serve --workers N`, simulated users, and the exact check of votes afterwards.

Simulated users (asyncio + httpx, one connection pool each, a think time between requests) browse the
home page (day and week lists), paper pages, keyword and hybrid search, the JSON API, and vote through
`POST /api/papers/{id}/vote` with their own Bearer token. The vote API is a toggle, and every 200 says
the state it left (`voted`), so each user knows its final vote on each paper from the answers alone.
An answer that never came (connection reset) or a 5xx is ambiguous: the write may or may not have
committed. There is no read endpoint for a token user's vote, so an ambiguous pair is resolved through
the API by voting on it again until a 200 arrives, whose `voted` is then the truth; afterwards the
database must hold exactly the votes the users believe they have (`check_votes`).
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import asyncio
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO))

import httpx
import sqlalchemy as sa

from paperwire.config import Settings, load_settings
from paperwire.store import Store

ROUTES = (
    "home day",
    "home week",
    "paper",
    "search keyword",
    "search hybrid",
    "api daily",
    "api paper",
    "api search",
    "api vote",
)
WEIGHTS = (12, 4, 20, 10, 10, 10, 10, 6, 18)  # % of a user's actions
_STOP = set(
    [
        "with",
        "from",
        "that",
        "this",
        "their",
        "using",
        "based",
        "towards",
        "toward",
        "into",
        "over",
        "under",
        "via",
        "without",
        "through",
        "about",
        "than",
        "when",
        "what",
        "which",
        "while",
        "where",
        "more",
        "most",
        "less",
        "very",
        "also",
        "only",
        "such",
        "these",
        "those",
        "have",
        "been",
        "being",
        "each",
    ]
)
_TOKEN = re.compile(r"[a-z][a-z\-]{3,}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_average() -> str:
    return "load average {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- PostgreSQL ------------------------------------------------------------------------------------


class Postgres:
    """A pgserver (PostgreSQL 16 + pgvector) with its data folder under bench/out, restartable with pg_ctl."""

    def __init__(self, pgdata: Path) -> None:
        import pgserver

        pgdata.parent.mkdir(parents=True, exist_ok=True)
        self.pgdata = pgdata.resolve()
        self.server = pgserver.get_server(self.pgdata, cleanup_mode="stop")

    def url(self, database: str = "postgres") -> str:
        return self.server.get_uri(database=database)

    def admin(self) -> sa.Engine:
        """An AUTOCOMMIT engine on the maintenance database."""
        return sa.create_engine(
            self.url().replace("postgresql://", "postgresql+psycopg://", 1),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )

    def sql(self, statement: str, database: str = "postgres", **params: Any) -> list[Any]:
        engine = sa.create_engine(
            self.url(database).replace("postgresql://", "postgresql+psycopg://", 1),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        try:
            with engine.connect() as conn:
                result = conn.execute(sa.text(statement), params)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()

    def fresh_database(self, name: str) -> str:
        """Drop and create `name` with pgvector; returns its URL."""
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.sql(f"CREATE DATABASE {name}")
        self.sql("CREATE EXTENSION IF NOT EXISTS vector", database=name)
        return self.url(name)

    def pg_ctl(self, *args: str) -> str:
        from pgserver._commands import pg_ctl

        return pg_ctl(list(args), pgdata=self.pgdata, user=self.server.system_user, timeout=120)

    def restart(self) -> None:
        """pg_ctl restart -m fast: every session is ended, the server stops and starts again (same socket)."""
        self.pg_ctl("-w", "-m", "fast", "restart")

    def close(self) -> None:
        self.server.cleanup()


# --- the site --------------------------------------------------------------------------------------


@dataclass
class Site:
    """A loaded Paperwire home/database, its bench users, and what the simulated users ask for."""

    backend: str
    env: dict[str, str]
    settings: Settings
    users: list[tuple[int, str]]  # (user id, API token)
    hot: list[str]  # papers the votes go to (a few recent daily lists: many users on the same papers)
    papers: list[str]  # papers with vectors, for paper pages
    days: list[str]
    weeks: list[str]
    queries: list[str]

    def store(self) -> Store:
        return Store.open(self.settings, migrate=False)


def site_env(home: Path, database_url: str = "", **extra: str) -> dict[str, str]:
    """The environment of every paperwire process of a bench site: scheduler off, vote limit out of the way."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env.update(
        PAPERWIRE_HOME=str(home),
        PAPERWIRE_DATABASE_URL=database_url,
        PAPERWIRE_EMBEDDING_DEVICE="cpu",
        PAPERWIRE_SCHEDULER_ENABLED="false",
        PAPERWIRE_VOTES_PER_HOUR="1000000",
        PAPERWIRE_LOG_LEVEL="WARNING",
        PAPERWIRE_SITE_URL="http://127.0.0.1",
    )
    env.update(extra)
    return env


def prepare_site(backend: str, home: Path, database_url: str, users: int, seed: int = 7) -> Site:
    """Load the demo corpus with `paperwire demo --no-serve` (real papers, lists, vectors), then add users with tokens."""
    from paperwire.accounts.secret import secret_key
    from paperwire.accounts.users import add_user, create_api_token
    from paperwire.store.papers import listing_days
    from paperwire.store.schema import embeddings, listings, papers

    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = site_env(home, database_url)
    started = time.perf_counter()
    demo = subprocess.run(
        [sys.executable, "-m", "paperwire", "demo", "--no-serve"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if demo.returncode != 0:
        raise SystemExit(f"paperwire demo failed:\n{demo.stdout}\n{demo.stderr}")
    log(f"{backend}: demo loaded in {time.perf_counter() - started:.0f} s: " + demo.stdout.strip().replace("\n", "; "))
    settings = load_settings(home=home, database_url=database_url or None)
    store = Store.open(settings)
    secret_key(settings, store)  # made once now, not raced for by four workers
    made = []
    for i in range(users):
        user = add_user(store, f"bench-user-{i:04d}@example.org", display_name=f"Bench user {i}")
        made.append((user["id"], create_api_token(store, user["id"])))
    rng = random.Random(seed)
    with store.read() as conn:
        days = [day for day, _ in listing_days(conn)]
        recent = days[:3]
        hot = sorted(conn.execute(sa.select(listings.c.paper_id).where(listings.c.list_date.in_(recent))).scalars())
        with_vectors = sorted(conn.execute(sa.select(embeddings.c.paper_id)).scalars())
        titles = list(conn.execute(sa.select(papers.c.title).limit(3000)).scalars())
    store.close()
    weeks = sorted({_iso_week(day) for day in days})
    queries = []
    while len(queries) < 300:
        words = [w for w in dict.fromkeys(_TOKEN.findall(rng.choice(titles).lower())) if w not in _STOP]
        size = rng.randint(2, 3)
        if len(words) >= size:
            queries.append(" ".join(rng.sample(words, size)))
    log(
        f"{backend}: {len(made)} users with tokens; {len(hot)} papers on the {len(recent)} latest lists get the votes; "
        f"{len(with_vectors)} papers with vectors"
    )
    return Site(backend, env, settings, made, hot, with_vectors, [d.isoformat() for d in days], weeks, queries)


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


# --- paperwire serve -------------------------------------------------------------------------------


class Server:
    """`paperwire serve --workers N` on 127.0.0.1 in its own process group; its output goes to a log file."""

    def __init__(
        self, env: dict[str, str], log_path: Path, *, workers: int = 4, preexec: Callable[[], None] | None = None
    ) -> None:
        self.env, self.log_path, self.workers, self.preexec = env, log_path, workers, preexec
        log_path.write_bytes(b"")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 300) -> None:
        log_file = self.log_path.open("ab")  # appended: a restarted server adds to the same log

        def setup() -> None:
            os.setsid()
            if self.preexec:
                self.preexec()

        self.process = subprocess.Popen(
            [sys.executable, "-m", "paperwire", "serve", "--workers", str(self.workers), "--port", str(self.port)],
            cwd=REPO,
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=setup,
        )
        deadline = time.monotonic() + timeout
        while len(self.worker_pids()) < self.workers or not self._ready():
            if self.process.poll() is not None:
                raise SystemExit(f"paperwire serve exited ({self.process.returncode}); see {self.log_path}")
            if time.monotonic() > deadline:
                raise SystemExit(f"paperwire serve not ready after {timeout:.0f} s; see {self.log_path}")
            time.sleep(0.5)

    def _ready(self) -> bool:
        try:
            return httpx.get(self.base + "/readyz", timeout=10).status_code == 200
        except httpx.HTTPError:
            return False

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children of the supervisor, not multiprocessing's resource tracker)."""
        import psutil

        if self.process is None:
            return []
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []
        pids = []
        for child in children:
            try:
                if "resource_tracker" not in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                    pids.append(child.pid)
            except psutil.NoSuchProcess:
                continue
        return sorted(pids)

    def warm_up(self, site: Site, rounds: int = 3) -> None:
        """Load templates, indexes and the embedder in every worker before anything is measured."""
        paths = [
            "/",
            f"/papers/{site.papers[0]}",
            "/search?q=language+models&mode=hybrid",
            "/api/papers/search?q=diffusion+video",
            f"/api/daily_papers?date={site.days[0]}",
        ]

        async def go() -> None:
            async with httpx.AsyncClient(base_url=self.base, timeout=120) as client:
                for _ in range(rounds):
                    await asyncio.gather(*(client.get(p) for p in paths * self.workers * 2))

        asyncio.run(go())

    def stop(self, timeout: float = 30) -> str:
        """Ctrl-C (SIGINT) to the server's process group; SIGKILL after `timeout` s. Says which it took."""
        if self.process is None or self.process.poll() is not None:
            return "not running"
        started = time.perf_counter()
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
            return f"stopped by SIGINT in {time.perf_counter() - started:.1f} s"
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return f"still running {timeout:.0f} s after SIGINT: killed"


# --- simulated users -------------------------------------------------------------------------------


@dataclass
class Sample:
    t: float  # seconds since the load started, when the request was sent
    route: str
    status: int | None  # None: no answer (connection refused or reset, timeout)
    ms: float
    error: str = ""

    @property
    def end(self) -> float:
        """When the answer (or the failure) came, in seconds since the load started."""
        return self.t + self.ms / 1000


@dataclass
class Votes:
    """What the users believe: (user, paper) -> voted, from the 200 answers; ambiguous pairs until resolved."""

    state: dict[tuple[int, str], bool] = field(default_factory=dict)
    ambiguous: set[tuple[int, str]] = field(default_factory=set)
    answered: int = 0  # 200 answers
    ambiguous_seen: int = 0  # answers that left a pair ambiguous (no answer or 5xx)
    resolved: int = 0  # ambiguous pairs settled by a later 200


@dataclass
class LoadResult:
    samples: list[Sample]
    duration: float
    votes: Votes
    events: list[tuple[float, str]]
    client_cpu_s: float
    unresolved: int


async def _vote(client: httpx.AsyncClient, user: tuple[int, str], paper: str, votes: Votes, record: Callable) -> None:
    key = (user[0], paper)
    sent = time.perf_counter()
    try:
        response = await client.post(f"/api/papers/{paper}/vote", headers={"Authorization": f"Bearer {user[1]}"})
    except httpx.HTTPError as exc:
        record("api vote", None, sent, type(exc).__name__)
        votes.ambiguous.add(key)
        votes.ambiguous_seen += 1
        return
    record("api vote", response.status_code, sent, "" if response.status_code < 400 else response.text[:200])
    if response.status_code == 200:
        votes.state[key] = response.json()["voted"]
        votes.answered += 1
        if key in votes.ambiguous:
            votes.ambiguous.discard(key)
            votes.resolved += 1
    elif response.status_code >= 500:  # a 503 before the write changes nothing, but one at COMMIT may have committed
        votes.ambiguous.add(key)
        votes.ambiguous_seen += 1


def _path(route: str, site: Site, rng: random.Random) -> str:
    from urllib.parse import urlencode

    if route == "home day":
        return "/?" + urlencode({"date": rng.choice(site.days[:7])})
    if route == "home week":
        return "/?" + urlencode({"week": rng.choice(site.weeks)})
    if route == "paper":
        return f"/papers/{rng.choice(site.papers)}"
    if route == "search keyword":
        return "/search?" + urlencode({"q": rng.choice(site.queries), "mode": "keyword"})
    if route == "search hybrid":
        return "/search?" + urlencode({"q": rng.choice(site.queries), "mode": "hybrid"})
    if route == "api daily":
        return "/api/daily_papers?" + urlencode({"date": rng.choice(site.days[:7]), "limit": 20})
    if route == "api paper":
        return f"/api/papers/{rng.choice(site.papers)}"
    if route == "api search":
        return "/api/papers/search?" + urlencode({"q": rng.choice(site.queries), "limit": 10})
    raise ValueError(route)


async def _user(
    base: str,
    site: Site,
    user: tuple[int, str],
    rng: random.Random,
    stop_at: list[float],
    think: float,
    votes: Votes,
    record: Callable,
) -> None:
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    async with httpx.AsyncClient(
        base_url=base, timeout=120, limits=limits
    ) as client:  # long: a timed-out vote could still commit later
        await asyncio.sleep(rng.uniform(0, think))  # users arrive spread over one think time
        while time.perf_counter() < stop_at[0] or stop_at[1] > 0:  # [1]: actions still running
            route = rng.choices(ROUTES, WEIGHTS)[0]
            mine = [key for key in votes.ambiguous if key[0] == user[0]]
            if mine:  # settle an ambiguous vote first, as a person would check the button
                await _vote(client, user, mine[0][1], votes, record)
            elif route == "api vote":
                await _vote(client, user, rng.choice(site.hot), votes, record)
            else:
                sent = time.perf_counter()
                try:
                    response = await client.get(_path(route, site, rng))
                    record(route, response.status_code, sent, "" if response.status_code < 400 else response.text[:200])
                except httpx.HTTPError as exc:
                    record(route, None, sent, type(exc).__name__)
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def _resolve(base: str, site: Site, votes: Votes, record: Callable, deadline: float) -> None:
    """After the load: vote again on every still-ambiguous pair until a 200 settles it (or the deadline)."""
    by_user = {user[0]: user for user in site.users}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while votes.ambiguous and time.perf_counter() < deadline:
            for user_id, paper in sorted(votes.ambiguous):
                await _vote(client, by_user[user_id], paper, votes, record)
            if votes.ambiguous:
                await asyncio.sleep(1)


def run_load(
    base: str,
    site: Site,
    *,
    users: int,
    duration: float,
    think: float,
    seed: int = 1,
    actions: list[tuple[float, str, Callable[[Callable[[str], float]], Any]]] = (),
    after_actions: float = 0.0,
) -> LoadResult:
    """`users` simulated users for `duration` s, and at least `after_actions` s after the last action ended;
    each (at, name, action) runs in a thread `at` s in, and calls the `mark(name)` it is given to note a
    moment (seconds since the start) in `events`."""
    samples: list[Sample] = []
    events: list[tuple[float, str]] = []
    votes = Votes()
    cpu_before = time.process_time()
    start = time.perf_counter()

    def record(route: str, status: int | None, sent: float, error: str = "") -> None:
        samples.append(Sample(sent - start, route, status, (time.perf_counter() - sent) * 1000, error))

    def mark(name: str) -> float:
        at = time.perf_counter() - start
        events.append((at, name))
        log(f"  t={at:6.2f} s  {name}")
        return at

    async def act(at: float, name: str, action: Callable[[Callable[[str], float]], Any]) -> None:
        await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
        mark(f"{name}: start")
        await asyncio.to_thread(action, mark)
        mark(f"{name}: done")
        stop_at[0] = max(stop_at[0], time.perf_counter() + after_actions)
        stop_at[1] -= 1

    stop_at = [start + duration, len(actions)]  # when the users stop, and how many actions still run

    async def main() -> None:
        rng = random.Random(seed)
        tasks = [
            _user(
                base, site, site.users[i % len(site.users)], random.Random(rng.random()), stop_at, think, votes, record
            )
            for i in range(users)
        ]
        tasks += [act(at, name, action) for at, name, action in actions]
        await asyncio.gather(*tasks)
        await _resolve(base, site, votes, record, time.perf_counter() + 120)

    asyncio.run(main())
    ran = stop_at[0] - start
    measured = [s for s in samples if s.t <= ran]
    return LoadResult(measured, ran, votes, events, time.process_time() - cpu_before, len(votes.ambiguous))


# --- figures ---------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))] if ordered else float("nan")


def route_table(result: LoadResult) -> dict[str, dict[str, Any]]:
    """Per route and overall: requests, requests/s, p50/p95 ms of the 2xx/3xx answers, failures by status."""
    by_route: dict[str, list[Sample]] = defaultdict(list)
    for sample in result.samples:
        by_route[sample.route].append(sample)
    by_route["all"] = list(result.samples)
    table = {}
    for route in [*ROUTES, "all"]:
        rows = by_route.get(route, [])
        ok = [s.ms for s in rows if s.status is not None and s.status < 400]
        failed = Counter(
            "no answer" if s.status is None else str(s.status) for s in rows if s.status is None or s.status >= 400
        )
        table[route] = {
            "n": len(rows),
            "rps": round(len(rows) / result.duration, 1),
            "p50_ms": round(statistics.median(ok), 1) if ok else None,
            "p95_ms": round(_pct(ok, 0.95), 1) if ok else None,
            "failed": dict(failed),
        }
    return table


def print_routes(table: dict[str, dict[str, Any]]) -> None:
    print(f"{'route':<16}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}  failures")
    for route, row in table.items():
        failures = ", ".join(f"{k}: {v}" for k, v in sorted(row["failed"].items())) or "-"
        print(f"{route:<16}{row['n']:>9}{row['rps']:>8}{row['p50_ms']!s:>9}{row['p95_ms']!s:>9}  {failures}")


def failures(result: LoadResult, *, expected: Callable[[Sample], bool] = lambda s: False) -> list[Sample]:
    """Failed requests (no answer or >= 500; 4xx are the site's normal answers), minus those `expected`."""
    return [s for s in result.samples if (s.status is None or s.status >= 500) and not expected(s)]


def error_window(failed: list[Sample]) -> dict[str, Any]:
    """When the first and last failure came (s since the start), their span, and the distinct seconds with one."""
    if not failed:
        return {"failed": 0, "first_s": None, "last_s": None, "span_s": 0.0, "seconds_with_failures": 0}
    first, last = min(s.end for s in failed), max(s.end for s in failed)
    return {
        "failed": len(failed),
        "first_s": round(first, 2),
        "last_s": round(last, 2),
        "span_s": round(last - first, 2),
        "seconds_with_failures": len({int(s.end) for s in failed}),
    }


def check_votes(store: Store, site: Site, votes: Votes) -> dict[str, Any]:
    """Compare the database's votes of the bench users with what their 200 answers imply, per pair and per paper."""
    from paperwire.store.schema import votes as votes_table

    ids = [user_id for user_id, _ in site.users]
    with store.read() as conn:
        rows = {
            (row[0], row[1])
            for row in conn.execute(
                sa.select(votes_table.c.user_id, votes_table.c.paper_id).where(votes_table.c.user_id.in_(ids))
            )
        }
    believed = {key for key, voted in votes.state.items() if voted}
    lost = believed - rows  # a 200 said voted, the database has no vote
    extra = rows - believed  # the database has a vote nobody was told about (or was told was withdrawn)
    per_db, per_client = Counter(p for _, p in rows), Counter(p for _, p in believed)
    mismatched = {p: (per_db[p], per_client[p]) for p in set(per_db) | set(per_client) if per_db[p] != per_client[p]}
    return {
        "votes_in_db": len(rows),
        "votes_believed": len(believed),
        "papers_voted": len(per_db),
        "lost": sorted(lost)[:20],
        "extra": sorted(extra)[:20],
        "n_lost": len(lost),
        "n_extra": len(extra),
        "papers_mismatched": dict(sorted(mismatched.items())[:20]),
        "n_papers_mismatched": len(mismatched),
        "unresolved": len(votes.ambiguous),
        "exact": not lost and not extra and not votes.ambiguous,
    }


def print_votes(check: dict[str, Any], votes: Votes) -> None:
    print(
        f"votes: {votes.answered} answered (200), {votes.ambiguous_seen} ambiguous answers, {votes.resolved} "
        f"resolved by voting again, {check['unresolved']} unresolved"
    )
    print(
        f"database: {check['votes_in_db']} votes on {check['papers_voted']} papers; the users' answers imply "
        f"{check['votes_believed']}; lost {check['n_lost']}, extra {check['n_extra']}, papers whose count differs "
        f"{check['n_papers_mismatched']}"
    )
    for paper, (db, client) in check["papers_mismatched"].items():
        print(f"  MISMATCH {paper}: database {db}, answers imply {client}")
    for user_id, paper in check["lost"]:
        print(f"  LOST vote of user {user_id} on {paper}")
    for user_id, paper in check["extra"]:
        print(f"  EXTRA vote of user {user_id} on {paper}")
