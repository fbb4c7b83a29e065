"""Cached maps on disk: one file per period, replaced whole, a damaged or foreign file read as no map."""

from __future__ import annotations

import pytest

from paperwire.config import load_settings
from paperwire.store import field_maps


def test_a_map_is_written_whole_and_read_back(tmp_path) -> None:
    settings = load_settings(home=tmp_path / "home")
    assert field_maps.read_map(settings, "2026-W06") is None
    path = field_maps.write_map(settings, "2026-W06", {"key": "a", "ids": ["2602.00001"]})
    assert path == tmp_path / "home" / "maps" / "2026-W06.json"
    field_maps.write_map(settings, "2026-W06", {"key": "b", "ids": []})
    assert field_maps.read_map(settings, "2026-W06") == {"key": "b", "ids": []}
    assert [p.name for p in path.parent.iterdir()] == ["2026-W06.json"]  # no temporary file left behind


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b"[1, 2]"])
def test_a_damaged_file_is_no_map(tmp_path, content: bytes) -> None:
    settings = load_settings(home=tmp_path / "home")
    path = field_maps.path_of(settings, "2026-02")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert field_maps.read_map(settings, "2026-02") is None


@pytest.mark.parametrize("key", ["../secret_key", "2026/W06", "", "a" * 40])
def test_only_a_period_key_names_a_file(tmp_path, key: str) -> None:
    with pytest.raises(ValueError, match="not a period key"):
        field_maps.path_of(load_settings(home=tmp_path / "home"), key)
