"""The default model on PyTorch (sentence-transformers) against ONNX Runtime (paperwire.search.bert_onnx), one run:
query encoding, bulk embedding, memory, agreement of the vectors, and served search over HTTP.

    .venv/bin/python bench/encoders.py              # about 4 minutes on 2 cores (needs the torch extra)
    .venv/bin/python bench/encoders.py --papers 128 --no-served

1. In-process, each backend in a fresh process: load time; resident memory after loading and after the work;
   query encoding p50/p95 (50 queries of 2-4 title words, after warm-up); bulk embedding papers/s over the first
   --papers papers of the bundled demo corpus (title + abstract, batches of 32, median of 3 runs); the parent
   then compares the two backends' vectors of those papers (cosine).
2. Served (--served, the default): `paperwire demo --no-serve` into a temporary home (4,393 papers with
   vectors), then `paperwire serve` with PAPERWIRE_EMBEDDING_BACKEND=torch, then =onnx; 40 searches of each
   mode over HTTP, p50 in ms, and the server process's resident memory after them.
Prints a table per part, then one JSON line.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import lzma
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

QUERIES = [
    "binary quantised embeddings",
    "retrieval augmented generation for code",
    "video diffusion models",
    "reinforcement learning from human feedback",
    "vision language model hallucination",
    "sparse attention long context",
    "speech recognition low resource",
    "graph neural networks molecules",
    "diffusion policy robot manipulation",
    "chain of thought reasoning math",
]


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def demo_texts(limit: int) -> list[str]:
    from paperwire.search.embedder import paper_text

    folder = Path(__file__).resolve().parents[1] / "paperwire" / "demo" / "data"
    texts = []
    with lzma.open(folder / "papers.jsonl.xz", "rt", encoding="utf-8") as stream:
        for line in stream:
            row = json.loads(line)
            texts.append(paper_text(row.get("title", ""), row.get("abstract", "")))
            if len(texts) >= limit:
                break
    return texts


def child(backend: str, papers: int, out: Path) -> dict[str, float]:
    from paperwire.config import load_settings
    from paperwire.search.embedder import load_embedder

    home = Path(tempfile.mkdtemp(prefix="paperwire-encoders-"))
    try:
        start = time.perf_counter()
        embedder = load_embedder(load_settings(home=home, embedding_backend=backend, embedding_device="cpu"))
        embedder.embed(["warm up"])
        loaded = time.perf_counter() - start
        memory_loaded = rss_mb()
        for query in QUERIES:
            embedder.embed([query])
        times = []
        for round_ in range(5):
            for query in QUERIES:
                began = time.perf_counter()
                embedder.embed([f"{query} {round_}"])
                times.append(time.perf_counter() - began)
        texts = demo_texts(papers)
        embedder.embed(texts[:32])
        rates, vectors = [], None
        for _ in range(3):
            began = time.perf_counter()
            vectors = embedder.embed(texts)
            rates.append(len(texts) / (time.perf_counter() - began))
        np.save(out, vectors)
        return {
            "load_s": round(loaded, 2),
            "rss_loaded_mb": round(memory_loaded),
            "rss_after_mb": round(rss_mb()),
            "query_p50_ms": round(1000 * statistics.median(times), 1),
            "query_p95_ms": round(1000 * float(np.percentile(times, 95)), 1),
            "papers_per_s": round(statistics.median(rates), 1),
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


def in_process(papers: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for backend in ("torch", "onnx"):
            out = Path(folder) / f"{backend}.npy"
            done = subprocess.run(
                [sys.executable, __file__, "--child", backend, "--papers", str(papers), "--out", str(out)],
                check=True,
                capture_output=True,
                text=True,
            )
            results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        cosines = (np.load(Path(folder) / "torch.npy") * np.load(Path(folder) / "onnx.npy")).sum(axis=1)
    results["agreement"] = {
        "min_cosine": round(float(cosines.min()), 7),
        "mean_cosine": round(float(cosines.mean()), 7),
    }
    return results


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def served() -> dict[str, dict[str, float]]:
    import httpx

    results: dict[str, dict[str, float]] = {}
    home = Path(tempfile.mkdtemp(prefix="paperwire-served-"))
    env = {k: v for k, v in os.environ.items() if k != "PAPERWIRE_DATABASE_URL"}
    env |= {"PAPERWIRE_HOME": str(home), "PAPERWIRE_SCHEDULER_ENABLED": "false"}
    try:
        subprocess.run(
            [sys.executable, "-m", "paperwire", "demo", "--no-serve"], env=env, check=True, capture_output=True
        )
        for backend in ("torch", "onnx"):
            port = _free_port()
            server = subprocess.Popen(
                [sys.executable, "-m", "paperwire", "serve", "--port", str(port)],
                env=env | {"PAPERWIRE_EMBEDDING_BACKEND": backend},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError("serve did not start")
                    time.sleep(0.3)
                figures: dict[str, float] = {}
                with httpx.Client(base_url=base, timeout=60) as client:
                    for mode in ("keyword", "semantic", "hybrid"):
                        for query in QUERIES:
                            client.get("/api/papers/search", params={"q": f"{query} {mode}", "mode": mode})
                        times = []
                        for round_ in range(4):
                            for query in QUERIES:
                                began = time.perf_counter()
                                client.get("/api/papers/search", params={"q": f"{query} {mode} {round_}", "mode": mode})
                                times.append(time.perf_counter() - began)
                        figures[f"{mode}_p50_ms"] = round(1000 * statistics.median(times), 1)
                figures["server_rss_mb"] = round(rss_mb(server.pid))
                results[backend] = figures
            finally:
                server.terminate()
                server.wait(timeout=60)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=256)
    parser.add_argument("--no-served", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.papers, args.out)))
        return
    load = os.getloadavg()[0]
    figures: dict[str, object] = {"load_at_start": round(load, 1), "in_process": in_process(args.papers)}
    proc = figures["in_process"]
    print(f"load average at start {load:.1f}; {args.papers} demo papers for bulk embedding")
    keys = ("load_s", "rss_loaded_mb", "rss_after_mb", "query_p50_ms", "query_p95_ms", "papers_per_s")
    print(f"{'':<8}" + "".join(f"{k:>15}" for k in keys))
    for backend in ("torch", "onnx"):
        print(f"{backend:<8}" + "".join(f"{proc[backend][k]:>15}" for k in keys))  # type: ignore[index]
    print(f"vectors: min cosine {proc['agreement']['min_cosine']}, mean {proc['agreement']['mean_cosine']}")  # type: ignore[index]
    if not args.no_served:
        figures["served"] = serve_figures = served()
        keys = ("keyword_p50_ms", "semantic_p50_ms", "hybrid_p50_ms", "server_rss_mb")
        print("served, demo corpus (4,393 papers):")
        print(f"{'':<8}" + "".join(f"{k:>17}" for k in keys))
        for backend in ("torch", "onnx"):
            print(f"{backend:<8}" + "".join(f"{serve_figures[backend][k]:>17}" for k in keys))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
