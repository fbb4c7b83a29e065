"""The signing key: PAPERWIRE_SECRET_KEY when set, else a 0600 file under the home (never the database,
which every backup carries), created once even by many workers starting at the same moment."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperwire.accounts.secret import KEY_FILE, secret_key
from paperwire.config import Settings, load_settings
from paperwire.errors import ConfigError
from paperwire.store import Store
from paperwire.store.schema import source_state
from paperwire.store.state import get_state, set_state

REPO = Path(__file__).resolve().parents[2]
LEGACY = "web:secret_key"  # where versions before 0.2 kept a generated key


def _rows_holding(store: Store, key: str) -> list[str]:
    with store.read() as conn:
        return [row.key for row in conn.execute(sa.select(source_state)) if key in row.value]


def test_a_generated_key_lives_in_a_0600_file_under_home_not_in_the_database(settings: Settings, store: Store) -> None:
    key = secret_key(settings, store)
    path = settings.home / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key and len(key) >= 48
    assert get_state(store, LEGACY) is None and _rows_holding(store, key) == []
    assert secret_key(settings, store) == key


def test_a_key_kept_in_the_database_moves_to_the_file_once(settings: Settings, store: Store) -> None:
    set_state(store, LEGACY, "key-from-an-older-version")
    assert secret_key(settings, store) == "key-from-an-older-version"  # sessions and mailed links keep working
    assert (settings.home / KEY_FILE).read_text().strip() == "key-from-an-older-version"
    assert stat.S_IMODE((settings.home / KEY_FILE).stat().st_mode) == 0o600
    assert get_state(store, LEGACY) is None


def test_the_environment_setting_wins(settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERWIRE_SECRET_KEY", "from-the-environment")
    configured = load_settings(home=settings.home, database_url=settings.database_url)
    assert secret_key(configured, store) == "from-the-environment"
    assert not (settings.home / KEY_FILE).exists()


def test_an_empty_key_file_is_one_clear_error(settings: Settings, store: Store) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / KEY_FILE).touch(mode=0o600)
    with pytest.raises(ConfigError, match="is empty"):
        secret_key(settings, store)


def test_a_key_other_than_the_one_the_database_last_saw_is_reported(
    settings: Settings, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = secret_key(settings, store)
    elsewhere = settings.model_copy(update={"home": tmp_path / "another-machine"})  # the same database, another home
    with caplog.at_level("WARNING", logger="paperwire.accounts"):
        assert secret_key(elsewhere, store) != first
    assert "set PAPERWIRE_SECRET_KEY" in caplog.text
    with store.read() as conn:  # only a hash of the key is kept, never the key
        assert all(first not in row.value for row in conn.execute(sa.select(source_state)))


_STARTER = """
import sys, time
from paperwire.accounts.secret import secret_key
from paperwire.config import load_settings
from paperwire.store import Store
settings = load_settings()
store = Store.open(settings)
while time.time() < float(sys.argv[1]):
    pass
print(secret_key(settings, store))
"""


def test_workers_starting_together_agree_on_one_key(settings: Settings, store: Store) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env["PAPERWIRE_HOME"] = str(settings.home)
    if settings.database_url:
        env["PAPERWIRE_DATABASE_URL"] = settings.database_url
    start = time.time() + 4  # every worker has imported and opened the store by then, and then all race
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _STARTER, str(start)],
            cwd=REPO,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(6)
    ]
    keys = []
    for worker in workers:
        output, errors = worker.communicate(timeout=120)
        assert worker.returncode == 0, errors
        keys.append(output.strip())
    assert len(set(keys)) == 1 and keys[0]
    assert (settings.home / KEY_FILE).read_text().strip() == keys[0]
    assert [p.name for p in settings.home.iterdir() if KEY_FILE in p.name] == [KEY_FILE]  # no leftovers
    assert _rows_holding(store, keys[0]) == []
