"""Search fixtures: the real default model, loaded once per test session, on the CPU."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def static_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small static model distilled from the default one (about 15 s on 2 CPU cores)."""
    from paperwire.search.indexer import distill_static

    return distill_static(tmp_path_factory.mktemp("static") / "m2v-32", dims=32)
