"""Thread pools of the native libraries (PyTorch, faiss, onnxruntime, BLAS): sized and told not to spin.

Each of these libraries brings its own OpenMP or BLAS thread pool. By default an OpenMP worker spin-waits
for a while after each parallel region, so on a small machine one library's idle threads starve the
next library's busy ones: a semantic search (encode the query with PyTorch, then search with faiss) took
p50 117 ms instead of about 20. The OpenMP runtimes read their settings once, when they are loaded, so
`quiet_thread_pools()` must run before anything imports faiss, torch or numpy's BLAS: every entry point
(the CLI, the web workers' factory, the benchmarks, the test suite) calls it first.
"""

from __future__ import annotations

import os

THREADS_VARIABLE = "PAPERWIRE_THREADS"
_POOL_SIZES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
POOL_VARIABLES = ("OMP_WAIT_POLICY", *_POOL_SIZES, THREADS_VARIABLE)  # every variable that shapes the pools


def thread_count() -> int:
    """Threads each native pool may use: PAPERWIRE_THREADS when set, else every core this process may run on."""
    given = os.environ.get(THREADS_VARIABLE, "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not every platform has affinity
        return max(1, os.cpu_count() or 1)


def quiet_thread_pools() -> None:
    """Make idle OpenMP threads sleep instead of spinning, and size every pool; values already set win."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    threads = str(thread_count())
    for variable in _POOL_SIZES:
        os.environ.setdefault(variable, threads)


def share_thread_pools(processes: int) -> None:
    """In one of `processes` processes that split the work: size every pool to its share of the cores."""
    share = str(max(1, thread_count() // max(1, processes)))
    for variable in (*_POOL_SIZES, THREADS_VARIABLE):
        os.environ[variable] = share
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
