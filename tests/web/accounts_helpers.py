"""Helpers for tests of signed-in pages: CSRF tokens from pages, sign-in through the real mailed link."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from paperwire.accounts.users import add_user
from paperwire.store import Store

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r"https?://\S+/signin/(\S+)")


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    """The session's CSRF token, read from a page's form."""
    page = client.get(path)
    found = _CSRF.search(page.text)
    assert found, f"no CSRF field on {path} ({page.status_code})"
    return found.group(1)


def link_token(message: Any) -> str:
    """The token of the sign-in link in a received mail."""
    found = _LINK.search(message.get_body(("plain",)).get_content())
    assert found, "no sign-in link in the mail"
    return found.group(1)


def request_link(client: TestClient, email: str, next_url: str = "/") -> Any:
    return client.post("/signin", data={"email": email, "next": next_url, "csrf_token": csrf_of(client)})


def sign_in(
    client: TestClient,
    smtp: Any,
    email: str,
    *,
    store: Store | None = None,
    admin: bool = False,
    name: str | None = None,
) -> None:
    """Sign `client` in as `email` through the mailed link (creating the user first when a store is given)."""
    if store is not None:
        add_user(store, email, admin=admin, display_name=name)
    before = len(smtp.to(email))
    response = request_link(client, email)
    assert response.status_code == 200, response.text
    mails = smtp.to(email)
    assert len(mails) == before + 1
    token = link_token(mails[-1])
    confirm = client.get(f"/signin/{token}")
    assert confirm.status_code == 200, confirm.text
    done = client.post(
        f"/signin/{token}", data={"csrf_token": _CSRF.search(confirm.text).group(1)}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
