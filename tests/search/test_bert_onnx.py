"""The ONNX Runtime encoder: the same vectors as sentence-transformers on PyTorch (so nothing stored is
re-embedded), built from the weights shipped inside Paperwire with no download, PyTorch never loaded to serve or
search; and its int8 option, close to the float vectors and stored apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import paperwire
from paperwire.config import load_settings
from paperwire.errors import ConfigError
from paperwire.search.bert_onnx import OnnxEmbedder, cached_graph, is_bert_sentence_model
from paperwire.search.embedder import ModelName, default_model_path, float_model_path, load_embedder, paper_text
from tests.conftest import FIXTURES

RECORDS = [json.loads(line) for line in (FIXTURES / "papers-300.jsonl").open(encoding="utf-8")]
# Real papers (long abstracts are truncated at 256 tokens, as sentence-transformers does), queries, and edges.
TEXTS = [paper_text(r["title"], r["abstract"]) for r in RECORDS[:40]] + [
    "video diffusion",
    "retrieval augmented generation for code",
    "",
    "a",
    "$\\mathbb{R}^n$ étude naïve 数学",
    "word " * 600,
]


def test_the_default_model_ships_inside_paperwire_and_runs_on_onnx_runtime(default_embedder) -> None:
    assert isinstance(default_embedder, OnnxEmbedder)
    assert default_embedder.dim == 384
    folder = Path(default_model_path())
    assert folder.is_relative_to(Path(paperwire.__file__).parent) and is_bert_sentence_model(str(folder))
    assert (folder / "model.safetensors").stat().st_size < 50_000_000  # float16: half of the original


@pytest.mark.slow  # loads PyTorch: about 16 s
def test_onnx_vectors_equal_pytorch_vectors(default_embedder) -> None:
    """The shipped float16 weights, run in float32 by ONNX Runtime, against the original float32 model on PyTorch."""
    sentence_transformers = pytest.importorskip("sentence_transformers")
    reference = sentence_transformers.SentenceTransformer(float_model_path(), device="cpu")
    expected = reference.encode(TEXTS, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
    got = default_embedder.embed(TEXTS)
    cosines = (got * expected).sum(axis=1)
    assert cosines.min() >= 0.999, f"lowest cosine {cosines.min():.6f} at {TEXTS[int(cosines.argmin())][:60]!r}"
    # One at a time (no padding) and in a mixed batch give the same vector.
    single = np.vstack([default_embedder.embed([t]) for t in TEXTS[:5]])
    assert np.allclose(single, got[:5], atol=1e-5)


def test_length_sorted_batches_return_vectors_in_input_order(default_embedder, tmp_path: Path) -> None:
    """embed() sorts the texts by token count into batches; the vectors come back in the caller's order, equal to
    embedding each text alone (no padding, no sorting), whatever the order or the batch size."""
    texts = TEXTS[::-1] + TEXTS[:7]  # long and short mixed, repeats included
    alone = np.vstack([default_embedder.embed([t]) for t in texts])
    for batch_size in (1, 4, 32):
        embedder = OnnxEmbedder("m", default_model_path(), tmp_path, batch_size)
        got = embedder.embed(texts)
        assert got.shape == (len(texts), 384)
        assert np.allclose(got, alone, atol=1e-5), f"batch size {batch_size}"
        shuffled = np.random.default_rng(3).permutation(len(texts))
        assert np.allclose(embedder.embed([texts[i] for i in shuffled]), alone[shuffled], atol=1e-5)


def test_options_in_the_name_make_another_model() -> None:
    assert ModelName.parse("all-MiniLM-L6-v2@128") == ModelName("all-MiniLM-L6-v2", 128)
    assert ModelName.parse("all-MiniLM-L6-v2@int8") == ModelName("all-MiniLM-L6-v2", None, int8=True)
    assert ModelName.parse("m@int8,128") == ModelName.parse("m@128,int8") == ModelName("m", 128, int8=True)
    assert ModelName.parse("all-MiniLM-L6-v2") == ModelName("all-MiniLM-L6-v2")
    assert ModelName.parse("/models/org@v2") == ModelName("/models/org@v2")
    with pytest.raises(ConfigError, match="below 8"):
        ModelName.parse("all-MiniLM-L6-v2@0")
    with pytest.raises(ConfigError, match="each option once"):
        ModelName.parse("m@128,64")


def test_int8_weights_stay_close_to_the_float_vectors(default_embedder, tmp_path: Path) -> None:
    """The int8 graph (built once from the float one) moves each vector a little: the activations' scale is taken
    over the whole batch, so a paper's vector also moves a little with its batch neighbours; never far, and the
    papers' nearest neighbours stay mostly the same."""
    settings = load_settings(home=tmp_path, embedding_device="cpu")
    int8 = load_embedder(settings, "all-MiniLM-L6-v2@int8")
    assert isinstance(int8, OnnxEmbedder) and int8.name == "all-MiniLM-L6-v2@int8"  # its vectors stored apart
    papers = TEXTS[:40]
    batched, floats = int8.embed(papers), default_embedder.embed(papers)
    to_float = (batched * floats).sum(axis=1)
    assert to_float.min() >= 0.98 and np.median(to_float) >= 0.99
    alone = np.vstack([int8.embed([t]) for t in papers])
    assert (alone * batched).sum(axis=1).min() >= 0.98
    nearest = [np.argsort(-(v @ v.T), axis=1)[:, 1] for v in (batched, floats)]
    assert (nearest[0] == nearest[1]).mean() >= 0.85
    graphs = sorted(p.name for p in (tmp_path / "models").iterdir())
    assert len(graphs) == 1 and graphs[0].endswith("-int8.onnx")  # cached in the home, beside no float copy
    with pytest.raises(ConfigError, match="onnx backend only"):
        load_embedder(load_settings(home=tmp_path, embedding_backend="torch"), "all-MiniLM-L6-v2@int8")


def test_a_lower_token_limit_changes_only_long_texts(default_embedder, tmp_path: Path) -> None:
    short = load_embedder(load_settings(home=tmp_path, embedding_device="cpu"), "all-MiniLM-L6-v2@128")
    assert isinstance(short, OnnxEmbedder) and short.name == "all-MiniLM-L6-v2@128"  # its vectors stored apart
    assert (default_embedder.max_tokens, short.max_tokens) == (256, 128)
    lengths = [len(e.ids) for e in default_embedder.tokenizer.encode_batch(TEXTS)]
    cosines = (short.embed(TEXTS) * default_embedder.embed(TEXTS)).sum(axis=1)
    for length, cosine in zip(lengths, cosines, strict=True):
        assert cosine > 0.9999 if length <= 128 else cosine < 0.9999


def test_the_graph_is_built_once_and_reused(tmp_path: Path) -> None:
    first = cached_graph(default_model_path(), tmp_path)
    stamp = first.stat().st_mtime_ns
    assert cached_graph(default_model_path(), tmp_path) == first
    assert first.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temporary file left behind


def test_a_model_the_onnx_backend_cannot_run_is_a_clear_error(tmp_path: Path, static_model_dir: Path) -> None:
    assert not is_bert_sentence_model(str(static_model_dir))
    assert not is_bert_sentence_model(str(tmp_path))
    with pytest.raises(ConfigError, match="PAPERWIRE_EMBEDDING_BACKEND=torch"):
        load_embedder(load_settings(home=tmp_path, embedding_backend="onnx"), str(tmp_path))


def _modules_after(code: str, home: Path) -> set[str]:
    env = {k: v for k, v in os.environ.items() if k != "PAPERWIRE_DATABASE_URL"} | {"PAPERWIRE_HOME": str(home)}
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


@pytest.mark.slow
def test_serving_and_searching_never_import_pytorch(tmp_path: Path) -> None:
    from paperwire.papers.load import ingest_paths
    from paperwire.search.indexer import import_vectors
    from paperwire.store import Store

    settings = load_settings(home=tmp_path)
    store = Store.open(settings)
    ingest_paths(store, [FIXTURES / "papers-300.jsonl"])
    import_vectors(store, FIXTURES / "papers-300.vectors.npz", "all-MiniLM-L6-v2")
    store.close()
    served = _modules_after(
        "from fastapi.testclient import TestClient\n"
        "from paperwire.web.factory import app_from_environment\n"
        "client = TestClient(app_from_environment())\n"
        "for mode in ('hybrid', 'semantic'):\n"
        "    assert client.get('/search', params={'q': 'language models', 'mode': mode}).status_code == 200\n"
        "    assert client.get('/api/papers/search', params={'q': 'diffusion', 'mode': mode}).json()\n",
        tmp_path,
    )
    searched = _modules_after(
        "from typer.testing import CliRunner\nfrom paperwire.cli import app\n"
        "result = CliRunner().invoke(app, ['search', 'language models', '--mode', 'hybrid'])\n"
        "assert result.exit_code == 0, result.output\n",
        tmp_path,
    )
    for modules in (served, searched):
        assert "onnxruntime" in modules
        assert not {m for m in modules if m.split(".")[0] in ("torch", "sentence_transformers", "transformers")}
