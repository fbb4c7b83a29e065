"""Digest benchmark: compose and send 10,000 personalised digests to a local SMTP sink over the 75k-paper corpus.

Run from the repository root (prints a table, asserts nothing; the last line is one JSON object):

    .venv/bin/python bench/digest.py                      # ingests the corpus into a temporary home first
    .venv/bin/python bench/digest.py --home /tmp/bench    # reuse (or fill once) that home

Corpus: the 74,728 papers of ../shared/data/arxiv-daily-2025-2026/papers.jsonl.xz in a fresh SQLite
home, with the bundled demo vectors (February 2026, all-MiniLM-L6-v2) imported and the keyword and
vector indexes built. Period: one real listing day (--day, default 2026-02-04: 279 new papers in the
followed categories). Subscribers: daily digests, top 10 trending, and 2-4 topics each; a topic is
two content words drawn from one real title (seeded), so common words recur as they do in real
interests. Topics run as KEYWORD searches by default (--mode keyword): only the February 2026
papers have vectors, and embedding each topic query on this CPU would dominate; --mode hybrid runs
them as hybrid searches (query embedding on the CPU, semantic half over the papers with vectors).

Each scale (--small, then --subscribers) runs in a fresh child process on the same home (the previous
scale's subscribers removed), calling paperwire.digest.send.send_due exactly as `paperwire digest
send --period daily:DAY` does: claim, compose, render, SMTP over one reused connection, record, per
subscriber. The sink is aiosmtpd in another process; it only counts. Reported: messages/s, total
time, where the time went (compose / render / SMTP / ledger), and the child's RSS before sending and
at its peak, to show memory is flat in the number of subscribers.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data" / "arxiv-daily-2025-2026" / "papers.jsonl.xz"
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
_WORD = re.compile(r"[a-z][a-z\-]{3,}")


def _settings(home: Path, port: int = 25, mode: str = "keyword") -> Any:
    from paperwire.config import load_settings

    return load_settings(
        home=home,
        smtp_port=port,
        digest_rate=0.0,
        digest_topic_mode=mode,
        site_url="https://papers.example.org",
        secret_key="bench-secret",
        embedding_device="cpu",
    )


def prepare(home: Path) -> dict[str, Any]:
    """Ingest the corpus, import the demo vectors and build the indexes, unless the home holds them already."""
    from paperwire.demo import import_demo_vectors
    from paperwire.papers.load import ingest_paths
    from paperwire.search.engine import SearchEngine
    from paperwire.store import Store
    from paperwire.store.papers import counts

    settings = _settings(home)
    store = Store.open(settings)
    with store.read() as conn:
        papers = counts(conn)["papers"]
    setup: dict[str, Any] = {"reused_home": papers > 0}
    if not papers:
        started = time.perf_counter()
        ingest_paths(store, [DATA], batch_size=settings.ingest_batch_size)
        setup["ingest_s"] = round(time.perf_counter() - started, 1)
        setup["vectors"] = import_demo_vectors(store, settings.embedding_model)
    started = time.perf_counter()
    SearchEngine(settings, store).sync()
    setup["index_s"] = round(time.perf_counter() - started, 1)
    with store.read() as conn:
        setup["papers"] = counts(conn)["papers"]
    store.close()
    return setup


def topics_for(count: int, titles: list[str], rng: random.Random) -> list[list[str]]:
    """2-4 topics per subscriber, each two content words of one real title."""
    result = []
    for _ in range(count):
        chosen = []
        for _ in range(rng.randint(2, 4)):
            words = [w for w in dict.fromkeys(_WORD.findall(rng.choice(titles).lower())) if w not in _STOP]
            chosen.append(" ".join(rng.sample(words, min(2, len(words)))) or "learning")
        result.append(chosen)
    return result


def child(args: argparse.Namespace) -> None:
    """One scale in this process: subscribe `args.subscribers` readers, then send the day's digests."""
    import sqlalchemy as sa

    from paperwire.digest.periods import parse_period_key
    from paperwire.digest.send import send_all
    from paperwire.digest.subscriptions import Preferences, add_subscriber
    from paperwire.search.engine import SearchEngine
    from paperwire.store import Store
    from paperwire.store.schema import papers, subscriptions

    settings = _settings(Path(args.home), args.port, args.mode)
    store = Store.open(settings)
    with store.write() as conn:
        conn.execute(subscriptions.delete())
    with store.read() as conn:
        titles = list(conn.execute(sa.select(papers.c.title).order_by(papers.c.id)).scalars())
    started = time.perf_counter()
    interests = topics_for(args.subscribers, titles, random.Random(args.seed))
    for i, topics in enumerate(interests):
        add_subscriber(
            store,
            f"reader{i:05d}@bench.example.org",
            Preferences(top_n=10, topics=tuple(topics), use_upvotes=False),
            confirmed=True,
        )
    subscribe_s = time.perf_counter() - started
    del titles
    engine = SearchEngine(settings, store)
    engine.sync()
    engine.search("warm up", mode=args.mode, limit=5)  # loads the index (and the embedder in hybrid mode)
    rss_before = _rss_mb()
    samples = [rss_before]
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(samples, stop), daemon=True)
    sampler.start()
    report = send_all(store, settings, engine, senders=args.senders[0], period=parse_period_key(f"daily:{args.day}"))
    stop.set()
    sampler.join()
    peak = max(samples)
    distinct = len({t.casefold() for topics in interests for t in topics})
    print(
        json.dumps(
            {
                "subscribers": args.subscribers,
                "sent": report.sent,
                "skipped": report.skipped,
                "failed": report.failed,
                "seconds": round(report.seconds, 2),
                "messages_per_s": round(report.sent / report.seconds, 1),
                "compose_s": round(report.compose_s, 2),
                "render_s": round(report.render_s, 2),
                "smtp_s": round(report.send_s, 2),
                "ledger_s": round(report.ledger_s, 2),
                "subscribe_s": round(subscribe_s, 1),
                "topics": sum(len(t) for t in interests),
                "distinct_topics": distinct,
                "rss_before_send_mb": round(rss_before, 1),
                "peak_rss_mb": round(peak, 1),
                "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "sender_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
            }
        )
    )


def _sample(samples: list[float], stop: threading.Event) -> None:
    """Record the resident set size every 20 ms while the digests are sent."""
    while not stop.wait(0.02):
        samples.append(_rss_mb())


def _rss_mb() -> float:
    with open("/proc/self/statm") as stat:
        return int(stat.read().split()[1]) * resource.getpagesize() / 2**20


SINK = """
import sys, threading
from aiosmtpd.controller import Controller
count = 0
lock = threading.Lock()
class Handler:
    async def handle_DATA(self, server, session, envelope):
        global count
        with lock:
            count += 1
        return "250 OK"
controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for line in sys.stdin:
    print(count, flush=True)
controller.stop()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=2_500, help="The smaller scale, to show memory is flat (0: skip).")
    parser.add_argument("--home", type=Path, help="Home to reuse (filled with the corpus on first use).")
    parser.add_argument("--day", default="2026-02-04", help="The listing day the digests cover.")
    parser.add_argument("--mode", default="keyword", choices=("keyword", "hybrid"), help="How topics are searched.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--senders",
        type=int,
        nargs="+",
        default=[1],
        help="Sender processes (digest send --senders); several: one run each.",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    work = Path(tempfile.mkdtemp(prefix="paperwire-bench-digest-"))
    home = args.home or work / "home"
    try:
        setup = prepare(home)
        print(f"corpus: {setup}", flush=True)
        port = _free_port()
        sink = subprocess.Popen(
            [sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert sink.stdout is not None and sink.stdin is not None and sink.stdout.readline().strip() == "ready"
        runs = []
        for count, senders in [(n, k) for n in (args.small, args.subscribers) if n for k in args.senders]:
            command = [
                sys.executable,
                __file__,
                "--child",
                "--home",
                str(home),
                "--port",
                str(port),
                "--day",
                args.day,
                "--mode",
                args.mode,
                "--seed",
                str(args.seed),
                "--subscribers",
                str(count),
                "--senders",
                str(senders),
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            run = json.loads(done.stdout.strip().splitlines()[-1]) | {"senders": senders}
            runs.append(run)
            print(
                f"{count:>6} subscribers, {senders} sender(s): {run['sent']} sent, {run['skipped']} skipped in {run['seconds']} s "
                f"({run['messages_per_s']} messages/s); compose {run['compose_s']} s, render {run['render_s']} s, "
                f"SMTP {run['smtp_s']} s, ledger {run['ledger_s']} s; RSS {run['rss_before_send_mb']} MB before "
                f"sending, peak {run['peak_rss_mb']} MB while sending",
                flush=True,
            )
        sink.stdin.write("count\n")
        sink.stdin.flush()
        received = int(sink.stdout.readline())
        sink.stdin.close()
        sink.wait(timeout=30)
        big = runs[-1]
        total = big["seconds"]
        shares = {k: round(big[f"{k}_s"] / total, 3) for k in ("compose", "render", "smtp", "ledger")}
        print(
            f"sink received {received} messages (sent: {sum(r['sent'] for r in runs)}); time shares at "
            f"{big['subscribers']}: {shares}; topics searched as {args.mode}"
        )
        print(
            json.dumps(
                {
                    "bench": "digest",
                    "mode": args.mode,
                    "day": args.day,
                    "setup": setup,
                    "runs": runs,
                    "shares": shares,
                    "sink_received": received,
                    "target_s": 120,
                    "within_target": total < 120,
                }
            )
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
