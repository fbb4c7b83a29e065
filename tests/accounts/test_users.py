"""Users: addresses, roles, blocking, display names, API tokens (shown once, stored hashed)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from paperwire.accounts import users
from paperwire.errors import InvalidInput, NotFound
from paperwire.store.schema import users as users_table


def test_add_normalises_and_promotes(store) -> None:
    ada = users.add_user(store, "  Ada@Example.ORG ", display_name="  Ada \t Lovelace ")
    assert ada["email"] == "ada@example.org" and ada["display_name"] == "Ada Lovelace" and ada["role"] == "user"
    again = users.add_user(store, "ada@example.org", admin=True)
    assert again["id"] == ada["id"] and again["role"] == "admin"
    assert [u["email"] for u in users.list_users(store)] == ["ada@example.org"]
    users.set_role(store, ada["id"], "user")
    assert users.find_user(store, "ADA@example.org")["role"] == "user"
    with pytest.raises(InvalidInput):
        users.set_role(store, ada["id"], "root")


@pytest.mark.parametrize("bad", ["", "ada", "ada@", "@example.org", "a b@example.org", "ada@example", "<a>@x.org"])
def test_bad_addresses(bad: str) -> None:
    with pytest.raises(InvalidInput):
        users.normalise_email(bad)


def test_display_names(store) -> None:
    user = users.add_user(store, "n@example.org")
    assert users.set_display_name(store, user["id"], "  New\x00 Name ") == "New Name"
    assert users.set_display_name(store, user["id"], "   ") is None
    with pytest.raises(InvalidInput, match="too long"):
        users.set_display_name(store, user["id"], "x" * 121)
    assert users.public_name(None, 7) == "user 7"


def test_api_tokens_are_hashed_replaced_revoked_and_refused_when_blocked(store) -> None:
    user = users.add_user(store, "t@example.org")
    token = users.create_api_token(store, user["id"])
    assert token.startswith("pw_") and len(token) > 40
    with store.read() as conn:
        stored = conn.execute(sa.select(users_table.c.api_token_hash)).scalar_one()
    assert stored == users.hash_token(token) and token not in stored
    assert users.user_for_api_token(store, token)["id"] == user["id"]
    newer = users.create_api_token(store, user["id"])
    assert users.user_for_api_token(store, token) is None and users.user_for_api_token(store, newer)
    users.set_blocked(store, user["id"], True)
    assert users.user_for_api_token(store, newer) is None
    users.set_blocked(store, user["id"], False)
    users.revoke_api_token(store, user["id"])
    assert users.user_for_api_token(store, newer) is None
    assert users.user_for_api_token(store, "") is None and users.user_for_api_token(store, "nonsense") is None


def test_unknown_users(store) -> None:
    with pytest.raises(NotFound):
        users.find_user(store, "ghost@example.org")
    with pytest.raises(NotFound):
        users.set_blocked(store, 12345, True)
