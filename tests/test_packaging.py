"""Every data file the package needs at run time is declared as package data (else a wheel install breaks)."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_non_python_file_of_the_package_is_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["paperwire"]
    package = ROOT / "paperwire"
    missing = [
        str(path.relative_to(package))
        for path in package.rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc")
        and "__pycache__" not in path.parts
        and not any(fnmatch.fnmatch(str(path.relative_to(package)), p) for p in patterns)
    ]
    assert missing == []


def _requirements(name: str, extras: frozenset[str] = frozenset()) -> set[str]:
    """The installed distributions that `name` (with `extras`) needs, transitively, by their declared metadata."""
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [(name, extras)]
    while todo:
        current, wanted = todo.pop()
        try:
            declared = requires(current) or []
        except PackageNotFoundError:
            continue
        for line in declared:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker and not any(marker.evaluate({"extra": extra}) for extra in (wanted or {""})):
                continue
            key = canonicalize_name(requirement.name)
            if key not in seen:
                seen.add(key)
                todo.append((key, frozenset(requirement.extras)))
    return seen


def test_the_default_install_needs_no_pytorch() -> None:
    """`pip install paperwire` (the quick start) must not pull PyTorch or CUDA: the default model runs on ONNX
    Runtime from weights shipped in the package. The torch extra brings them for `distill` and GPUs."""
    needed = _requirements("paperwire")
    assert {"onnxruntime", "tokenizers", "safetensors"} <= needed
    heavy = {n for n in needed if n in ("torch", "sentence-transformers", "transformers") or n.startswith("nvidia-")}
    assert heavy == set()
    assert {"torch", "sentence-transformers"} <= _requirements("paperwire", frozenset({"torch"}))
