"""Hostile e-mail addresses: one canonical address per mailbox, and nothing but a bare address reaches SMTP.

Each attack is tried where addresses come in: the domain function, `paperwire user add` and
`paperwire subscriber add` here, the sign-in and subscribe forms in tests/web/test_hostile_addresses.py.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from paperwire.accounts.ratelimit import RateLimited
from paperwire.accounts.users import add_user, mailbox_key, normalise_email
from paperwire.cli import app as cli_app
from paperwire.config import Settings
from paperwire.digest import subscriptions as subs
from paperwire.errors import InvalidInput
from paperwire.mail import Mailer

# Each would reach a second mailbox, an SMTP command or a header if passed on, or dodge a per-address limit.
ATTACKS = [
    "x,victim@example.org",
    "victim@example.org,x@example.org",
    "victim@example.org(c)",
    "(c)victim@example.org",
    "g:victim@example.org;",
    "Victim <victim@example.org>",
    "victim@example.org\x00",
    "vic\x00tim@example.org",
    "victim@example.org\n",
    "victim@example.org\r\nBcc: x@example.org",
    "victim@example.org>\r\nRCPT TO:<x@example.org",
    '"victim@example.org"@example.org',
    '"a b"@example.org',
    "victim@[192.0.2.1]",
    "victim@localhost",
    "victim@example.test",
    "victim@host.local",
    "victim@example.invalid",
    "vïctim@example.org",
    "victim@@example.org",
    "victim@example..org",
    ".victim@example.org",
    "victim@-example.org",
    "@example.org",
    "victim@",
    "victim",
    "victim@example.org" + "\u200b",
    "a" * 65 + "@example.org",
    "a@" + "b" * 300 + ".org",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_hostile_addresses_are_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(InvalidInput, match="not an email address") as refused:
        normalise_email(text)
    assert (
        len(refused.value.message) < 300 and "\n" not in refused.value.message and "\x00" not in refused.value.message
    )


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("reader@example.org", "reader@example.org"),
        ("  Reader@Example.ORG\t", "reader@example.org"),  # local part folded too: one mailbox, one address
        ("READER@EXAMPLE.ORG", "reader@example.org"),
        ("reader+digest@example.org", "reader+digest@example.org"),
        ("a@münchen.de", "a@xn--mnchen-3ya.de"),  # internationalised domains kept in their ASCII (IDNA) form
        ("A@XN--MNCHEN-3YA.DE", "a@xn--mnchen-3ya.de"),
        ("o'neil@example.org", "o'neil@example.org"),
    ],
)
def test_addresses_have_one_canonical_form(given: str, canonical: str) -> None:
    assert normalise_email(given) == canonical


def test_the_mailbox_key_folds_sub_addresses() -> None:
    assert mailbox_key("victim+1@example.org") == mailbox_key("Victim+other@Example.org") == "victim@example.org"
    assert mailbox_key("victim@example.org") == "victim@example.org"


def test_the_same_mailbox_is_one_user(store) -> None:
    first = add_user(store, "Someone@Example.org")
    assert add_user(store, "someone@EXAMPLE.org ")["id"] == first["id"]
    assert add_user(store, "a@münchen.de")["id"] == add_user(store, "a@xn--mnchen-3ya.de")["id"]


def test_the_per_address_subscription_limit_counts_the_mailbox(settings: Settings, store, smtp) -> None:
    limited = settings.model_copy(
        update={
            "smtp_port": smtp.port,
            "subscription_mails_per_address": 2,
            "site_url": "http://testserver",
            "secret_key": "k",
        }
    )
    mailer = Mailer(limited)
    subs.request_subscription(store, limited, mailer, "victim@example.org", ip=None)
    subs.request_subscription(store, limited, mailer, "Victim+1@Example.org", ip=None)
    for variant in ("VICTIM@example.org", "victim+2@example.org", " victim@EXAMPLE.ORG"):
        with pytest.raises(RateLimited):
            subs.request_subscription(store, limited, mailer, variant, ip=None)
    assert len(smtp.messages) == 2


def _cli(settings: Settings, *args: str):
    env = {"PAPERWIRE_HOME": str(settings.home), "PAPERWIRE_DATABASE_URL": settings.database_url or ""}
    return CliRunner().invoke(cli_app, list(args), env=env)


@pytest.mark.parametrize(
    "text",
    [
        "x,victim@example.org",
        "g:victim@example.org;",
        "victim@example.org(c)",
        "victim@example.org\nBcc: x@example.org",
    ],
)
def test_the_cli_refuses_them_in_one_line(settings: Settings, store, text: str) -> None:
    for args in (("user", "add", text), ("subscriber", "add", text, "--confirmed")):
        result = _cli(settings, *args)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert "not" in result.output and "email address" in result.output and "Traceback" not in result.output
    assert _cli(settings, "user", "list", "--json").stdout.strip() == "[]"
    assert subs.list_subscribers(store) == []
