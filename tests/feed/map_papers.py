"""A small real fixture for the map: papers of 2025-03-18 on two clearly different topics, with their real vectors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from tests.conftest import FIXTURES

PAPERS = FIXTURES / "papers-300.jsonl"
VECTORS = FIXTURES / "papers-300.vectors.npz"  # all-MiniLM-L6-v2
SPLATTING = re.compile(r"gaussian splatting", re.I)  # 3-D scenes from Gaussian splats
VISION_LANGUAGE = re.compile(r"vision-language|multimodal (large language|llm)", re.I)


def two_topics() -> tuple[list[dict], set[str]]:
    """The rows of both topics' papers (splatting first) and the ids of the splatting ones."""
    rows = [json.loads(line) for line in PAPERS.read_text().splitlines()]
    splatting = [row for row in rows if SPLATTING.search(row["title"])]
    language = [row for row in rows if VISION_LANGUAGE.search(row["title"])]
    assert len(splatting) >= 12 and len(language) >= 12
    assert not {row["id"] for row in splatting} & {row["id"] for row in language}
    return splatting + language, {row["id"] for row in splatting}


def fixture_vectors(ids: list[str]) -> np.ndarray:
    with np.load(VECTORS) as archive:
        row_of = {str(pid): i for i, pid in enumerate(archive["ids"])}
        return archive["vectors"][[row_of[pid] for pid in ids]].astype(np.float32)


def write_jsonl(rows: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path
