"""BERT sentence-transformers models run by ONNX Runtime: no PyTorch, no download, the same vectors.

A sentence-transformers folder of the BERT family (config.json, model.safetensors, tokenizer.json and mean
pooling, as the default all-MiniLM-L6-v2 shipped in paperwire/search/models/) is turned into an ONNX graph
here, from its own weights, with the `onnx` helper API: embeddings, N encoder layers, mean pooling and L2
normalisation, the same arithmetic as PyTorch's in float32 (tests check cosine >= 0.999 against
sentence-transformers). The graph is written once to a cache file beside the model's name and loaded from
there afterwards. On request (`model@int8`) the cached graph has int8 weights instead: about twice the
papers/s, vectors that move a little (stored as another model's). ONNX Runtime then runs it with its own
thread pool, sized by `paperwire.threads` and told not to spin, so it does not fight faiss or BLAS for the cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.errors import ConfigError
from paperwire.threads import thread_count

OPSET = 17  # LayerNormalization
GRAPH_VERSION = 2  # bump when build_graph changes, so cached files are rebuilt
_POOLING_FILE = Path("1_Pooling") / "config.json"


def is_bert_sentence_model(location: str) -> bool:
    """A local folder that this module can run: a BERT model with safetensors weights, a fast tokenizer and
    mean pooling (or no pooling config, whose sentence-transformers default is mean)."""
    folder = Path(location)
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(config, dict) or config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        return False
    if config.get("position_embedding_type", "absolute") != "absolute":
        return False
    if not (folder / "model.safetensors").is_file() or not (folder / "tokenizer.json").is_file():
        return False
    pooling = _read_json(folder / _POOLING_FILE) or {"pooling_mode_mean_tokens": True}
    others = ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
    return bool(pooling.get("pooling_mode_mean_tokens")) and not any(pooling.get(k) for k in others)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def max_sequence_length(location: str) -> int:
    """Tokens per text, as sentence-transformers uses them: sentence_bert_config.json, else the model's limit."""
    folder = Path(location)
    config = _read_json(folder / "config.json") or {}
    limit = int(config.get("max_position_embeddings", 512))
    given = (_read_json(folder / "sentence_bert_config.json") or {}).get("max_seq_length")
    return min(int(given), limit) if isinstance(given, int) and given > 0 else limit


def build_graph(location: str, *, half_table: bool = True) -> bytes:
    """The ONNX model (serialised) of the folder's BERT encoder + mean pooling + L2 normalisation (`half_table`:
    a float16 token table stays float16, see below; int8 quantisation wants it float32)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    folder = Path(location)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    weights = load_file(str(folder / "model.safetensors"))
    prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    head_dim, eps = hidden // heads, float(config.get("layer_norm_eps", 1e-12))
    nodes: list[Any] = []
    initializers: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def weight(key: str) -> np.ndarray:
        return weights[prefix + key].astype(np.float32)

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attrs))
        return output

    def dense(x: str, key: str, out: str) -> str:
        w = const(f"{key}.wt", weight(f"{key}.weight").T)
        return node("Add", [node("MatMul", [x, w], f"{out}.mm"), const(f"{key}.b", weight(f"{key}.bias"))], out)

    def layer_norm(x: str, key: str, out: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(f"{key}.g", weight(f"{key}.weight")), const(f"{key}.b", weight(f"{key}.bias"))],
            out,
            axis=-1,
            epsilon=eps,
        )

    # Embeddings: word + position + token type 0, then LayerNorm.
    # The token table is most of a small model's weights; stored as float16 (as the shipped default's weights are),
    # it stays float16 in memory (23 MB less per process) and only the looked-up rows become float32: the same
    # arithmetic, since those rows hold float16 values either way.
    table = weights[prefix + "embeddings.word_embeddings.weight"]
    if table.dtype == np.float16 and half_table:
        looked_up = node("Gather", [const("word_emb", table), "input_ids"], "words16")
        words = node("Cast", [looked_up], "words", to=TensorProto.FLOAT)
    else:
        words = node("Gather", [const("word_emb", table.astype(np.float32)), "input_ids"], "words")
    length = node("Shape", ["input_ids"], "seq_len", start=1, end=2)  # 1-D: [tokens]
    zero = const("zero_1d", np.array([0], np.int64))
    pos = node("Slice", [const("pos_emb", weight("embeddings.position_embeddings.weight")), zero, length, zero], "pos")
    type0 = const("type0", weight("embeddings.token_type_embeddings.weight")[0])
    summed = node("Add", [node("Add", [words, pos], "words_pos"), type0], "emb_sum")
    x = layer_norm(summed, "embeddings.LayerNorm", "emb")

    # Attention bias: 0 where a token is real, a large negative number on padding; shape (B, 1, 1, T).
    mask = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    mask4 = node("Unsqueeze", [mask, const("axes12", np.array([1, 2], np.int64))], "mask4")
    bias = node(
        "Mul",
        [
            node("Sub", [const("one_f", np.array(1, np.float32)), mask4], "inv_mask"),
            const("neg", np.array(np.finfo(np.float32).min, np.float32)),
        ],
        "attn_bias",
    )
    split_shape = const("split_shape", np.array([0, 0, heads, head_dim], np.int64))
    merge_shape = const("merge_shape", np.array([0, 0, hidden], np.int64))
    scale = const("scale", np.array(1 / np.sqrt(head_dim), np.float32))
    sqrt2 = const("sqrt2", np.array(np.sqrt(2), np.float32))
    half = const("half", np.array(0.5, np.float32))

    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}"

        def heads_of(name: str, perm: list[int], p: str = p, x: str = x, i: int = i) -> str:
            projected = dense(x, f"{p}.attention.self.{name}", f"l{i}.{name}")
            split = node("Reshape", [projected, split_shape], f"l{i}.{name}.split")
            return node("Transpose", [split], f"l{i}.{name}.t", perm=perm)

        q, k, v = heads_of("query", [0, 2, 1, 3]), heads_of("key", [0, 2, 3, 1]), heads_of("value", [0, 2, 1, 3])
        scores = node(
            "Add", [node("Mul", [node("MatMul", [q, k], f"l{i}.qk"), scale], f"l{i}.scaled"), bias], f"l{i}.scores"
        )
        probs = node("Softmax", [scores], f"l{i}.probs", axis=-1)
        context = node("Transpose", [node("MatMul", [probs, v], f"l{i}.ctx")], f"l{i}.ctx.t", perm=[0, 2, 1, 3])
        merged = node("Reshape", [context, merge_shape], f"l{i}.ctx.merged")
        attended = dense(merged, f"{p}.attention.output.dense", f"l{i}.attn_out")
        x = layer_norm(node("Add", [attended, x], f"l{i}.attn_res"), f"{p}.attention.output.LayerNorm", f"l{i}.h1")
        inner = dense(x, f"{p}.intermediate.dense", f"l{i}.inner")
        erf = node("Erf", [node("Div", [inner, sqrt2], f"l{i}.inner_s")], f"l{i}.erf")
        gelu = node(
            "Mul", [node("Mul", [inner, half], f"l{i}.half"), node("Add", [erf, "one_f"], f"l{i}.erf1")], f"l{i}.gelu"
        )
        out = dense(gelu, f"{p}.output.dense", f"l{i}.out")
        x = layer_norm(node("Add", [out, x], f"l{i}.out_res"), f"{p}.output.LayerNorm", f"l{i}.h2")

    # Mean of the real tokens' vectors, then unit length (sentence-transformers' Pooling + Normalize).
    mask3 = node("Unsqueeze", [mask, const("axis2", np.array([2], np.int64))], "mask3")
    tokens_axis = const("axis1", np.array([1], np.int64))
    total = node("ReduceSum", [node("Mul", [x, mask3], "masked"), tokens_axis], "summed_tokens", keepdims=0)
    count = node(
        "Max",
        [node("ReduceSum", [mask3, tokens_axis], "count", keepdims=0), const("tiny", np.array(1e-9, np.float32))],
        "count_safe",
    )
    mean = node("Div", [total, count], "mean")
    norm = node(
        "Max",
        [node("ReduceL2", [mean], "norm", axes=[1], keepdims=1), const("tiny_norm", np.array(1e-12, np.float32))],
        "norm_safe",
    )
    node("Div", [mean, norm], "sentence_embedding")

    graph = helper.make_graph(
        nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="paperwire")
    onnx.checker.check_model(model)
    return model.SerializeToString()


def quantise(graph: bytes, target: Path) -> None:
    """Write `graph` with its MatMul weights and token embeddings as int8, one scale per channel, activations
    quantised on the fly (onnxruntime.quantization; one scale per tensor moved vectors down to cosine 0.85)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # it suggests a pre-processing step that BERT graphs do not need
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".quantising-") as work:
        source = Path(work) / "float.onnx"
        source.write_bytes(graph)
        quantize_dynamic(
            str(source),
            str(target),
            per_channel=True,
            op_types_to_quantize=["MatMul", "Gather"],
            weight_type=QuantType.QInt8,
        )


def cached_graph(location: str, cache: Path, *, int8: bool = False) -> Path:
    """The ONNX file for the model folder (with int8 weights if asked), built on first use into `cache` (keyed by
    the weights' path, size and time and the graph's version, so a changed model or builder is rebuilt).

    The build runs in a child process: it holds the weights twice for a moment (about 300 MB), and a web
    worker that built it in-process would keep that high-water mark for its lifetime."""
    weights = Path(location) / "model.safetensors"
    stat = weights.stat()
    key = hashlib.sha256(f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{OPSET}|{GRAPH_VERSION}".encode())
    suffix = "-int8" if int8 else ""
    target = cache / f"{Path(location).name or 'model'}-{key.hexdigest()[:16]}{suffix}.onnx"
    if target.is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "paperwire.search.bert_onnx", location, str(target)] + (["int8"] if int8 else [])
    built = subprocess.run(command, capture_output=True, text=True)
    if built.returncode != 0 or not target.is_file():
        detail = (built.stderr.strip().splitlines() or ["no output"])[-1]
        raise ConfigError(f"cannot build the ONNX graph of {location}: {detail}")
    return target


def write_graph(location: str, target: Path, *, int8: bool = False) -> None:
    """Build the graph and write it under a temporary name, then rename: processes starting together never
    read a half-written file, and the last rename wins with identical content."""
    data = build_graph(location, half_table=not int8)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".building-", suffix=".onnx")
    os.close(fd)
    try:
        if int8:
            quantise(data, Path(temporary))
        else:
            Path(temporary).write_bytes(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class OnnxEmbedder:
    """A BERT sentence-transformers model run by ONNX Runtime on the CPU, vectors equal to PyTorch's (int8: close).

    With int8 the activations' scale is taken over each batch, so a text's vector also moves a little with the
    texts batched beside it (cosine >= 0.99 to itself alone on real abstracts)."""

    def __init__(
        self,
        name: str,
        location: str,
        cache: Path,
        batch_size: int,
        max_tokens: int | None = None,
        *,
        int8: bool = False,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        try:
            path = cached_graph(location, cache, int8=int8)
        except OSError as exc:
            raise ConfigError(f"cannot build the ONNX graph of embedding model {name!r}: {exc}") from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = thread_count()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # see paperwire.threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(Path(location) / "tokenizer.json"))
        limit = max_sequence_length(location)
        self.max_tokens = min(max_tokens, limit) if max_tokens else limit
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()
        self.name = name
        self.dim = int(self.session.get_outputs()[0].shape[1])
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        # Batches of similar lengths: little padding, so little wasted work on long abstracts.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            out[chunk] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out


if __name__ == "__main__":  # the child process of cached_graph
    write_graph(sys.argv[1], Path(sys.argv[2]), int8=sys.argv[3:] == ["int8"])
