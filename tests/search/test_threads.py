"""Native thread pools: every entry point tells them not to spin, so a served semantic search costs what
encoding the query and searching the vectors cost in process (not 5-10x that, as when PyTorch's, faiss's and
BLAS's OpenMP workers spin-waited against one another on two cores)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from paperwire.config import load_settings
from paperwire.search.engine import SearchEngine
from paperwire.store import Store
from paperwire.threads import POOL_VARIABLES
from tests.serving import served

QUERIES = [
    "binary quantised embeddings",
    "retrieval augmented generation for code",
    "video diffusion models",
    "reinforcement learning from human feedback",
    "vision language model hallucination",
    "sparse attention for long context",
    "speech recognition in low resource languages",
    "graph neural networks for molecules",
    "diffusion policy for robot manipulation",
    "chain of thought reasoning in math",
]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in POOL_VARIABLES and k != "PAPERWIRE_DATABASE_URL"}
    return env | extra


def _pools_seen(env: dict[str, str]) -> list[str]:
    code = (
        "import os, paperwire.cli; print(' '.join(os.environ.get(v, '-') for v in "
        "('OMP_WAIT_POLICY', 'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()


def test_the_cli_quiets_and_sizes_the_pools_before_anything_loads() -> None:
    assert _pools_seen(_clean_env(PAPERWIRE_THREADS="3")) == ["PASSIVE", "3", "3", "3"]
    assert (
        "faiss"
        not in subprocess.run(
            [sys.executable, "-c", "import sys, paperwire.threads; print(sorted(sys.modules))"],
            env=_clean_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


def test_values_given_by_the_operator_win() -> None:
    given = _clean_env(OMP_WAIT_POLICY="ACTIVE", OMP_NUM_THREADS="1", PAPERWIRE_THREADS="4")
    assert _pools_seen(given) == ["ACTIVE", "1", "4", "4"]


def _served_p50(home: Path, mode: str) -> float:
    env = _clean_env(PAPERWIRE_HOME=str(home), PAPERWIRE_SCHEDULER_ENABLED="false")
    with served(env) as base:
        times: list[float] = []
        with httpx.Client(base_url=base, timeout=60) as client:
            for query in QUERIES:  # warm: the model loads on the first one
                assert client.get("/api/papers/search", params={"q": query, "mode": mode}).status_code == 200
            for round_ in range(3):
                for query in QUERIES:
                    start = time.perf_counter()
                    answer = client.get("/api/papers/search", params={"q": f"{query} {round_}", "mode": mode})
                    times.append(time.perf_counter() - start)
                    assert answer.status_code == 200
        return statistics.median(times) * 1000


@pytest.mark.slow
def test_a_served_semantic_search_costs_about_what_encode_and_search_cost_in_process(
    tmp_path: Path, default_embedder
) -> None:
    home = tmp_path / "home"
    subprocess.run(
        [sys.executable, "-m", "paperwire", "--home", str(home), "demo", "--no-serve"],
        check=True,
        env=_clean_env(),
        capture_output=True,
    )
    settings = load_settings(home=home)
    store = Store.open(settings)
    try:
        engine = SearchEngine(settings, store, embedder=default_embedder)
        for query in QUERIES:
            engine.search(query, mode="semantic")
        times = []
        for round_ in range(3):
            for query in QUERIES:
                start = time.perf_counter()
                engine.search(f"{query} {round_}", mode="semantic")
                times.append(time.perf_counter() - start)
        in_process = statistics.median(times) * 1000
    finally:
        store.close()
    served = _served_p50(home, "semantic")
    # HTTP, JSON and hydration add a few ms; spinning pools used to add 60-200 ms (p50) on two busy cores.
    assert served <= 1.5 * in_process + 15, f"served p50 {served:.1f} ms against {in_process:.1f} ms in process"
