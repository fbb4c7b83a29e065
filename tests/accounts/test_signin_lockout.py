"""Sign-in rate limits under attack: many IPs hammering one address cannot lock its owner out (the window
is short, and while it is full the links already mailed still work), never more than the limit of mails
goes to one address, and one IP hammering many addresses is stopped per IP (per /64 for IPv6)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from paperwire.accounts import signin
from paperwire.accounts.ratelimit import RateLimited
from paperwire.accounts.users import mailbox_key
from paperwire.mail import Mailer
from tests.web.accounts_helpers import link_token

SECRET = "test-secret"
VICTIM = "victim@example.org"


@pytest.fixture
def mail_settings(settings, smtp):
    return settings.model_copy(update={"smtp_port": smtp.port, "site_url": "https://papers.example"})


def _next_window(seconds: int) -> datetime:
    """A moment just after the start of the next rate-limit window (in the future, so mailed links are valid now)."""
    start = (int(time.time()) // seconds + 1) * seconds
    return datetime.fromtimestamp(start + 1, UTC)


def _ask(store, settings, email: str, ip: str, now: datetime) -> bool:
    try:
        signin.request_link(store, settings, Mailer(settings), email, secret=SECRET, ip=ip, now=now)
        return True
    except RateLimited:
        return False


def test_fifty_ips_hammering_one_address_cannot_lock_its_owner_out(store, mail_settings, smtp) -> None:
    window = mail_settings.signin_link_minutes * 60
    limit = mail_settings.signin_mails_per_address
    start = _next_window(window)
    attackers = [f"198.51.100.{i}" for i in range(1, 51)]
    for round_ in range(4):  # 200 requests for the victim's address within one window
        for n, ip in enumerate(attackers):
            _ask(store, mail_settings, VICTIM, ip, start + timedelta(seconds=round_ * 50 + n))
    assert len(smtp.to(VICTIM)) == limit  # never more than the limit in mails

    with pytest.raises(RateLimited) as caught:  # the owner, meanwhile, from their own address
        signin.request_link(
            store,
            mail_settings,
            Mailer(mail_settings),
            VICTIM,
            secret=SECRET,
            ip="203.0.113.7",
            now=start + timedelta(minutes=5),
        )
    assert caught.value.retry_after <= window - 5 * 60  # minutes, not an hour
    assert "still work" in caught.value.message  # ... and the links already in the inbox do:
    user, _ = signin.use_link(store, link_token(smtp.to(VICTIM)[-1]), secret=SECRET)
    assert user["email"] == VICTIM

    later = start + timedelta(seconds=window)  # the short window has passed
    assert _ask(store, mail_settings, VICTIM, "203.0.113.7", later)
    assert len(smtp.to(VICTIM)) == limit + 1
    for n, ip in enumerate(attackers):  # the attack goes on: still never more than the limit per window
        _ask(store, mail_settings, VICTIM, ip, later + timedelta(seconds=n + 1))
    assert len(smtp.to(VICTIM)) == 2 * limit


def test_one_ip_hammering_many_addresses_is_limited_per_ip(store, mail_settings, smtp) -> None:
    per_ip = mail_settings.signin_mails_per_ip
    now = _next_window(3600)
    sent = [_ask(store, mail_settings, f"target{i}@example.org", "192.0.2.66", now) for i in range(per_ip + 10)]
    assert sent == [True] * per_ip + [False] * 10
    assert len(smtp.messages) == per_ip
    assert _ask(store, mail_settings, "someone@example.org", "192.0.2.67", now)  # other clients are unaffected


def test_an_ipv6_client_cannot_escape_its_limit_by_changing_address_within_its_64(store, mail_settings, smtp) -> None:
    per_ip = mail_settings.signin_mails_per_ip
    now = _next_window(3600)
    sent = [_ask(store, mail_settings, f"v6-{i}@example.org", f"2001:db8:0:1::{i:x}", now) for i in range(per_ip + 5)]
    assert sent.count(True) == per_ip
    assert _ask(store, mail_settings, "next-door@example.org", "2001:db8:0:2::1", now)  # another /64


def test_plus_tags_do_not_multiply_the_mails_one_mailbox_gets(store, mail_settings, smtp) -> None:
    limit = mail_settings.signin_mails_per_address
    start = _next_window(mail_settings.signin_link_minutes * 60)
    tagged = [f"victim+{n}@example.org" for n in range(1, 31)] + ["Victim@example.org", VICTIM]
    sent = [
        _ask(store, mail_settings, address, f"198.51.100.{n + 1}", start + timedelta(seconds=n))
        for n, address in enumerate(tagged)
    ]
    assert sent.count(True) == limit
    assert len([m for m in smtp.messages if mailbox_key(m["To"].addresses[0].addr_spec) == VICTIM]) == limit
