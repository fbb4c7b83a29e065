"""The sign-in link as a domain function: mailed, hashed, single use even when used twice at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from paperwire.accounts import signin
from paperwire.errors import PaperwireError
from paperwire.mail import Mailer
from tests.web.accounts_helpers import link_token

SECRET = "test-secret"


@pytest.fixture
def mail_settings(settings, smtp):
    return settings.model_copy(update={"smtp_port": smtp.port, "site_url": "https://papers.example"})


def test_link_is_mailed_and_used_once_under_a_race(store, mail_settings, smtp) -> None:
    signin.request_link(
        store,
        mail_settings,
        Mailer(mail_settings),
        "Race@Example.org",
        secret=SECRET,
        ip="192.0.2.1",
        next_url="/settings",
    )
    [mail] = smtp.to("race@example.org")
    assert "https://papers.example/signin/" in mail.get_body(("plain",)).get_content()
    token = link_token(mail)
    assert signin.check_link(store, token, secret=SECRET)["email"] == "race@example.org"

    def use(_: int) -> bool:
        try:
            signin.use_link(store, token, secret=SECRET)
            return True
        except signin.SigninLinkError:
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(use, range(8)))
    assert outcomes.count(True) == 1
    with pytest.raises(signin.SigninLinkError, match="already been used"):
        signin.check_link(store, token, secret=SECRET)


def test_first_use_creates_the_user_and_returns_next(store, mail_settings, smtp) -> None:
    signin.request_link(
        store, mail_settings, Mailer(mail_settings), "new@example.org", secret=SECRET, next_url="/submit"
    )
    user, target = signin.use_link(store, link_token(smtp.to("new@example.org")[0]), secret=SECRET)
    assert user["email"] == "new@example.org" and user["role"] == "user" and target == "/submit"


def test_wrong_secret_is_refused(store, mail_settings, smtp) -> None:
    signin.request_link(store, mail_settings, Mailer(mail_settings), "k@example.org", secret=SECRET)
    with pytest.raises(signin.SigninLinkError, match="not valid"):
        signin.use_link(store, link_token(smtp.to("k@example.org")[0]), secret="other")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/papers/2503.11731", "/papers/2503.11731"),
        ("/?date=2026-02-03", "/?date=2026-02-03"),
        (None, "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_safe_next(given, expected) -> None:
    assert signin.safe_next(given) == expected


def test_unreachable_mail_server(store, settings) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = settings.model_copy(update={"smtp_port": port})
    with pytest.raises(PaperwireError, match=r"mail server 127\.0\.0\.1:\d+ could not be reached") as caught:
        signin.request_link(store, closed, Mailer(closed), "m@example.org", secret=SECRET)
    assert caught.value.status == 503
