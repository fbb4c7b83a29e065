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
