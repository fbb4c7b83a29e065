"""The web layer reaches the application object one typed way: through paperwire.web.deps, never app.state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI

import paperwire.web
from paperwire.application import Paperwire
from paperwire.config import load_settings
from paperwire.web.deps import attach, paperwire_of

WEB = Path(paperwire.web.__file__).parent


def test_only_deps_reads_the_application_state() -> None:
    readers = {
        f"{path.relative_to(WEB)}:{number}"
        for path in WEB.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bapp\.state\b", line)
    }
    assert readers and all(place.startswith("deps.py:") for place in readers), readers


def test_no_route_opens_a_transaction() -> None:
    """Routes call domain functions; the domain opens transactions and store/ holds the queries."""
    opening = [
        f"{path.relative_to(WEB)}:{number}"
        for path in WEB.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.(read|write)\(\)|\bconn\.", line)
    ]
    assert opening == []


def test_the_paperwire_of_an_application(tmp_path: Path) -> None:
    paperwire, site = Paperwire(load_settings(home=tmp_path)), FastAPI()
    with pytest.raises(TypeError, match="no Paperwire"):
        paperwire_of(site)
    attach(site, paperwire)
    assert paperwire_of(site) is paperwire
