"""Embedding papers (incremental, resumable), importing and exporting vector files, the static model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from paperwire.config import load_settings
from paperwire.errors import InvalidInput
from paperwire.papers.load import ingest_paths
from paperwire.search.embedder import Embedder, StaticEmbedder, default_model_path, load_embedder, paper_text
from paperwire.search.indexer import distill_static, embed_pending, export_vectors, import_vectors
from paperwire.store import Store
from paperwire.store import embeddings as repo
from tests.conftest import FIXTURES

PAPERS = 12


def _ingest(store: Store, tmp_path: Path, count: int = PAPERS, *, retitle: dict[str, str] | None = None) -> list[str]:
    """The first `count` papers of papers-300.jsonl, with some titles changed; their ids."""
    lines = (FIXTURES / "papers-300.jsonl").read_text(encoding="utf-8").splitlines()[:count]
    records = [json.loads(line) for line in lines]
    for record in records:
        record["title"] = (retitle or {}).get(record["id"], record["title"])
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    ingest_paths(store, [path])
    return sorted(r["id"] for r in records)


class FakeEmbedder:
    """Deterministic vectors from the text (no model), counting what it was asked to embed."""

    def __init__(self, name: str = "fake", dim: int = 8, fail_after: int | None = None) -> None:
        self.name, self.dim, self.fail_after = name, dim, fail_after
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise KeyboardInterrupt("killed mid-run")
        self.calls.append(list(texts))
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(self.dim) for t in texts]
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def _vectors(store: Store, model: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
    with store.read() as conn:
        return repo.vectors_of(conn, model, ids)


def _pending(store: Store, model: str) -> int:
    with store.read() as conn:
        return repo.count_pending(conn, model)


# --- embed_pending -------------------------------------------------------------------------------


def test_default_model_embeds_pending_papers_once_and_a_changed_title_again(
    store: Store, tmp_path: Path, default_embedder: Embedder
) -> None:
    ids = _ingest(store, tmp_path)
    progress: list[tuple[int, int]] = []
    report = embed_pending(store, default_embedder, batch_size=5, on_progress=lambda d, t: progress.append((d, t)))
    assert (report.pending, report.embedded, report.batches) == (PAPERS, PAPERS, 3)
    assert progress == [(0, PAPERS), (5, PAPERS), (10, PAPERS), (PAPERS, PAPERS)]
    stored = _vectors(store, default_embedder.name, ids)
    assert set(stored) == set(ids) and all(v.shape == (384,) for v in stored.values())
    with store.read() as conn:
        first = conn.execute(sa.text("SELECT title, abstract FROM papers WHERE id = :id"), {"id": ids[0]}).one()
    expected = default_embedder.embed([paper_text(first.title, first.abstract)])[0]
    assert np.allclose(stored[ids[0]], expected, atol=1e-5)
    assert np.allclose([np.linalg.norm(v) for v in stored.values()], 1.0, atol=1e-5)

    again = embed_pending(store, default_embedder, batch_size=5)
    assert (again.pending, again.embedded) == (0, 0)

    _ingest(store, tmp_path, retitle={ids[3]: "A wholly different title about protein folding"})
    assert _pending(store, default_embedder.name) == 1
    changed = embed_pending(store, default_embedder, batch_size=5)
    assert changed.embedded == 1
    after = _vectors(store, default_embedder.name, ids)
    assert not np.allclose(after[ids[3]], stored[ids[3]], atol=1e-3)
    assert all(np.array_equal(after[pid], stored[pid]) for pid in ids if pid != ids[3])


def test_another_model_re_embeds_everything_and_limit_caps_a_run(store: Store, tmp_path: Path) -> None:
    ids = _ingest(store, tmp_path)
    assert embed_pending(store, FakeEmbedder("model-a"), batch_size=4).embedded == PAPERS
    other = FakeEmbedder("model-b", dim=6)
    assert _pending(store, "model-b") == PAPERS
    part = embed_pending(store, other, batch_size=4, limit=5)
    assert (part.pending, part.embedded) == (5, 5)
    assert embed_pending(store, other, batch_size=4).embedded == PAPERS - 5
    assert len(_vectors(store, "model-b", ids)) == PAPERS and _pending(store, "model-b") == 0
    assert _vectors(store, "model-a", ids) == {}  # one vector per paper: the model in use


def test_a_killed_run_keeps_its_finished_batches_and_a_rerun_completes(store: Store, tmp_path: Path) -> None:
    ids = _ingest(store, tmp_path)
    dying = FakeEmbedder(fail_after=2)
    with pytest.raises(KeyboardInterrupt):
        embed_pending(store, dying, batch_size=5)
    assert len(_vectors(store, "fake", ids)) == 10 and _pending(store, "fake") == PAPERS - 10
    healthy = FakeEmbedder()
    report = embed_pending(store, healthy, batch_size=5)
    assert report.embedded == PAPERS - 10 and sum(len(c) for c in healthy.calls) == PAPERS - 10
    assert _pending(store, "fake") == 0


# --- import and export ---------------------------------------------------------------------------


def _random_vectors(count: int, dim: int = 8, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_npz_import_stores_normalised_vectors_and_counts_unknown_ids(store: Store, tmp_path: Path) -> None:
    ids = _ingest(store, tmp_path)
    file_ids = [f"{pid}v2" for pid in ids[:6]] + ["2101.00001", "hep-th/9901001"]
    vectors = _random_vectors(len(file_ids)) * 3
    path = tmp_path / "vectors.npz"
    np.savez(path, ids=np.asarray(file_ids), vectors=vectors)
    report = import_vectors(store, path, "elsewhere")
    assert (report.read, report.imported, report.unknown, report.dim) == (8, 6, 2, 8)
    assert report.unknown_sample == ["2101.00001", "hep-th/9901001"]
    stored = _vectors(store, "elsewhere", ids)
    assert set(stored) == set(ids[:6])
    for i, pid in enumerate(ids[:6]):
        assert np.allclose(stored[pid], _unit(vectors)[i], atol=1e-6)
    assert _pending(store, "elsewhere") == PAPERS - 6

    _ingest(store, tmp_path, retitle={ids[0]: "Changed after the import"})
    assert _pending(store, "elsewhere") == PAPERS - 5  # tied to the metadata it was imported for


def test_parquet_and_npy_imports_match_an_export_round_trip(store: Store, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    ids = _ingest(store, tmp_path)
    embed_pending(store, FakeEmbedder(dim=16), batch_size=5)
    original = _vectors(store, "fake", ids)

    exported = tmp_path / "fake.parquet"
    assert export_vectors(store, exported, "fake") == PAPERS
    table = pq.read_table(exported)
    assert table.column_names == ["id", "vector", "text_md5"] and table.num_rows == PAPERS
    npz = tmp_path / "fake.npz"
    assert export_vectors(store, npz, "fake") == PAPERS

    variable = tmp_path / "lists.parquet"  # a plain list<double> column, in several row groups
    pq.write_table(
        pa.table({"id": ids, "vector": [original[pid].astype(float).tolist() for pid in ids]}),
        variable,
        row_group_size=5,
    )
    npy = tmp_path / "plain.npy"
    np.save(npy, np.vstack([original[pid] for pid in ids]))
    (tmp_path / "plain.ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")

    for path, model, tolerance in ((exported, "p", 0), (variable, "l", 1e-6), (npy, "n", 0), (npz, "z", 2e-3)):
        report = import_vectors(store, path, model)
        assert (report.imported, report.unknown, report.stale, report.dim) == (PAPERS, 0, 0, 16), path.name
        assert report.file_model == ("fake" if path in (exported, npz) else None)
        back = _vectors(store, model, ids)
        assert all(np.allclose(back[pid], original[pid], atol=tolerance) for pid in ids), path.name


def test_exported_vectors_of_since_changed_text_are_left_for_embedding(store: Store, tmp_path: Path) -> None:
    ids = _ingest(store, tmp_path)
    embed_pending(store, FakeEmbedder(), batch_size=6)
    before = export_vectors(store, tmp_path / "before.npz", "fake")
    _ingest(store, tmp_path, retitle={ids[5]: "A new title"})
    after = export_vectors(store, tmp_path / "after.parquet", "fake")  # the stale vector's text is unknown
    assert before == after == PAPERS
    for path, model in ((tmp_path / "before.npz", "copy"), (tmp_path / "after.parquet", "copy2")):
        report = import_vectors(store, path, model)
        assert (report.imported, report.stale) == (PAPERS - 1, 1)
        assert set(_vectors(store, model, ids)) == set(ids) - {ids[5]}
        assert _pending(store, model) == 1


def _npz(path: Path, ids: Sequence[str], vectors: np.ndarray) -> Path:
    np.savez(path, ids=np.asarray(ids), vectors=vectors)
    return path


def test_bad_vector_files_are_refused_with_a_clear_message_and_write_nothing(store: Store, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    ids = _ingest(store, tmp_path)
    good = _random_vectors(4)
    nan = good.copy()
    nan[2, 3] = np.nan
    ragged = tmp_path / "ragged.parquet"
    pq.write_table(pa.table({"id": ids[:3], "vector": [[0.1] * 8, [0.2] * 8, [0.3] * 7]}), ragged)
    no_vector = tmp_path / "cols.parquet"
    pq.write_table(pa.table({"id": ids[:2], "emb": [[0.1], [0.2]]}), no_vector)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, ids=np.asarray(ids[:4], dtype=object), vectors=good)
    broken_parquet = tmp_path / "broken.parquet"
    broken_parquet.write_bytes(b"PAR1 nonsense")
    cases = {
        _npz(tmp_path / "nan.npz", ids[:4], nan): f"row 3 ({ids[2]}) has a NaN",
        _npz(tmp_path / "short.npz", ids[:4], good[:3]): "found shape (3, 8)",
        _npz(tmp_path / "flat.npz", ids[:4], good[:, 0]): "found shape (4,)",
        _npz(tmp_path / "badid.npz", [*ids[:3], "paper-42"], good): "row 4: not an arXiv id: 'paper-42'",
        _npz(tmp_path / "zero.npz", ids[:4], np.vstack([good[:3], np.zeros((1, 8))])): "all-zero vector",
        ragged: "row 3 has 7 dimensions, expected 8",
        no_vector: "needs columns id and vector",
        garbage: "garbage.npz: ",
        pickled: "pickled.npz: ",
        broken_parquet: "not a readable Parquet file",
        tmp_path / "vectors.csv": "no such vector file",
    }
    for path, message in cases.items():
        with pytest.raises(InvalidInput) as caught:
            import_vectors(store, path, "m")
        assert message in str(caught.value), (path.name, str(caught.value))
    assert _vectors(store, "m", ids) == {}

    np.save(tmp_path / "lonely.npy", good)
    with pytest.raises(InvalidInput, match=r"lonely\.ids\.txt"):
        import_vectors(store, tmp_path / "lonely.npy", "m")


def test_import_refuses_vectors_of_another_dimension_than_the_models_stored_ones(store: Store, tmp_path: Path) -> None:
    ids = _ingest(store, tmp_path)
    embed_pending(store, FakeEmbedder(dim=8), batch_size=6)
    wrong = _npz(tmp_path / "wide.npz", ids[:2], _random_vectors(2, dim=12))
    with pytest.raises(InvalidInput, match="12 dimensions but the database holds 8-dimensional"):
        import_vectors(store, wrong, "fake")
    with pytest.raises(InvalidInput, match="12 dimensions, expected 384"):
        import_vectors(store, wrong, "other", expected_dim=384)


# --- models given as folders ---------------------------------------------------------------------


def test_load_embedder_accepts_a_local_sentence_transformers_folder(tmp_path: Path) -> None:
    folder = default_model_path()
    embedder = load_embedder(load_settings(home=tmp_path, embedding_device="cpu"), folder)
    assert embedder.name == folder and embedder.dim == 384
    assert embedder.embed(["graph neural networks"]).shape == (1, 384)


@pytest.mark.slow
def test_a_distilled_static_model_loads_as_static_and_embeds(
    static_model_dir: Path, store: Store, tmp_path: Path
) -> None:
    embedder = load_embedder(load_settings(home=tmp_path), str(static_model_dir))
    assert isinstance(embedder, StaticEmbedder) and embedder.dim == 32
    ids = _ingest(store, tmp_path)
    assert embed_pending(store, embedder, batch_size=64).embedded == PAPERS
    stored = _vectors(store, str(static_model_dir), ids)
    assert len(stored) == PAPERS and all(abs(np.linalg.norm(v) - 1) < 1e-5 for v in stored.values())


def test_distill_refuses_an_impossible_dimension(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        distill_static(tmp_path / "m", dims=1)


# --- the shipped demo vectors --------------------------------------------------------------------


@pytest.mark.slow  # embeds demo papers: up to 10 s
def test_shipped_demo_vectors_cover_the_demo_corpus_and_match_the_default_model(
    store: Store, default_embedder: Embedder
) -> None:
    from paperwire.demo import DATA, load_demo

    path = DATA / f"vectors-{default_embedder.name}.npz"
    load_demo(store)
    report = import_vectors(store, path, default_embedder.name, expected_dim=default_embedder.dim)
    assert report.file_model == default_embedder.name
    assert (report.unknown, report.stale, report.duplicates) == (0, 0, 0) and report.imported == report.read > 4000
    assert _pending(store, default_embedder.name) == 0
    with store.read() as conn:
        sample = conn.execute(sa.text("SELECT id, title, abstract FROM papers ORDER BY id LIMIT 3")).all()
    stored = _vectors(store, default_embedder.name, [row.id for row in sample])
    fresh = default_embedder.embed([paper_text(row.title, row.abstract) for row in sample])
    for row, vector in zip(sample, fresh, strict=True):
        assert float(stored[row.id] @ vector) > 0.999  # float16 in the file
