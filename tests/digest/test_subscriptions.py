"""Double opt-in, one row per address, no enumeration, rate limits, signed links per purpose, preferences."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from paperwire.accounts.ratelimit import RateLimited
from paperwire.accounts.users import add_user
from paperwire.digest import subscriptions as subs
from paperwire.digest.subscriptions import Preferences
from paperwire.errors import InvalidInput
from paperwire.mail import Mailer

_CONFIRM = re.compile(r"http://testserver/subscribe/confirm/(\S+)")
_MANAGE = re.compile(r"http://testserver/digest/manage/(\S+)")


def _confirm_token(sink, address: str) -> str:
    found = _CONFIRM.search(sink.to(address)[-1].get_body(("plain",)).get_content())
    assert found, "no confirmation link in the mail"
    return found.group(1)


def test_double_opt_in(dsettings, dstore, sink) -> None:
    prefs = Preferences(frequency="weekly", weekday=4, topics=("graph neural networks",))
    subs.request_subscription(
        dstore, dsettings, Mailer(dsettings), " Reader@Example.org ", ip="203.0.113.9", preferences=prefs
    )
    [mail] = sink.to("reader@example.org")
    assert mail["Subject"] == "Confirm your Paperwire digest subscription"
    row = subs.find_subscriber(dstore, "reader@example.org")
    assert row["status"] == "pending" and row["weekday"] == 4 and row["topics"] == ["graph neural networks"]
    token = _confirm_token(sink, "reader@example.org")
    active = subs.confirm_subscription(dstore, dsettings, token)
    assert active["status"] == "active" and active["confirmed_at"] is not None
    assert subs.confirm_subscription(dstore, dsettings, token)["id"] == active["id"]  # idempotent
    with pytest.raises(InvalidInput, match="not valid"):
        subs.unsubscribe(dstore, dsettings, token)  # a confirmation token is not an unsubscribe token
    with pytest.raises(InvalidInput, match="not valid"):
        subs.confirm_subscription(dstore, dsettings, token[:-2] + "xx")


def test_one_row_per_address_and_the_same_answer_for_known_addresses(dsettings, dstore, sink) -> None:
    mailer = Mailer(dsettings)
    subs.request_subscription(dstore, dsettings, mailer, "twice@example.org", ip=None)
    subs.request_subscription(dstore, dsettings, mailer, "twice@example.org", ip=None, preferences=Preferences(top_n=5))
    assert [r["email"] for r in subs.list_subscribers(dstore)] == ["twice@example.org"]
    assert subs.find_subscriber(dstore, "twice@example.org")["top_n"] == 5
    subs.confirm_subscription(dstore, dsettings, _confirm_token(sink, "twice@example.org"))
    assert subs.request_subscription(dstore, dsettings, mailer, "twice@example.org", ip=None) is None
    last = sink.to("twice@example.org")[-1]
    assert last["Subject"] == "You are already subscribed to the Paperwire digest"
    assert _MANAGE.search(last.get_body(("plain",)).get_content())
    assert subs.find_subscriber(dstore, "twice@example.org")["status"] == "active"
    assert len(subs.list_subscribers(dstore)) == 1


@pytest.mark.parametrize("address", ["", "not-an-address", "a@b", "two@@example.org", "x y@example.org"])
def test_bad_addresses_are_refused_with_a_message(dsettings, dstore, sink, address: str) -> None:
    with pytest.raises(InvalidInput, match=r"not a valid email address|enter your email address"):
        subs.request_subscription(dstore, dsettings, Mailer(dsettings), address, ip=None)
    assert sink.count() == 0 and not subs.list_subscribers(dstore)


def test_rate_limits_per_address_and_ip(dsettings, dstore, sink) -> None:
    settings = dsettings.model_copy(update={"subscription_mails_per_address": 2, "subscription_mails_per_ip": 3})
    mailer = Mailer(settings)
    for _ in range(2):
        subs.request_subscription(dstore, settings, mailer, "busy@example.org", ip="198.51.100.1")
    with pytest.raises(RateLimited, match="subscription mails to this address"):
        subs.request_subscription(dstore, settings, mailer, "busy@example.org", ip="198.51.100.2")
    subs.request_subscription(dstore, settings, mailer, "other@example.org", ip="198.51.100.1")
    with pytest.raises(RateLimited, match="from your network"):
        subs.request_subscription(dstore, settings, mailer, "third@example.org", ip="198.51.100.1")
    assert sink.count() == 3


def test_an_ipv6_client_cannot_escape_the_limit_by_changing_address_within_its_64(dsettings, dstore, sink) -> None:
    settings = dsettings.model_copy(update={"subscription_mails_per_ip": 3})
    mailer = Mailer(settings)
    sent = 0
    for i in range(10):  # one /64, a new address and a new mailbox each time
        try:
            subs.request_subscription(dstore, settings, mailer, f"hop{i}@example.org", ip=f"2001:db8:0:1::{i + 1:x}")
            sent += 1
        except RateLimited:
            pass
    assert sent == 3 and sink.count() == 3
    subs.request_subscription(dstore, settings, mailer, "next-door@example.org", ip="2001:db8:0:2::1")  # another /64
    with pytest.raises(RateLimited, match="from your network"):  # an IPv4 client written as IPv6 is that client
        for i in range(4):
            subs.request_subscription(
                dstore, settings, mailer, f"v4-{i}@example.org", ip="::ffff:198.51.100.7" if i % 2 else "198.51.100.7"
            )


def test_confirmation_links_expire_and_pending_subscriptions_are_purged(dsettings, dstore, sink, monkeypatch) -> None:
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 49 * 3600)  # the link was signed 49 hours ago
    subs.request_subscription(dstore, dsettings, Mailer(dsettings), "late@example.org", ip=None)
    monkeypatch.setattr(time, "time", real_time)
    with pytest.raises(InvalidInput, match="expired"):
        subs.confirm_subscription(dstore, dsettings, _confirm_token(sink, "late@example.org"))
    assert subs.purge_expired(dstore, dsettings, datetime.now(UTC) + timedelta(hours=49)) == 1
    assert not subs.list_subscribers(dstore)


def test_unsubscribe_is_idempotent_and_old_confirmation_links_cannot_resubscribe(dsettings, dstore, sink) -> None:
    subs.request_subscription(dstore, dsettings, Mailer(dsettings), "gone@example.org", ip=None)
    confirm = _confirm_token(sink, "gone@example.org")
    row = subs.confirm_subscription(dstore, dsettings, confirm)
    link = subs.unsubscribe_url(dsettings, dstore, row).rsplit("/", 1)[1]
    time.sleep(1.1)  # signatures have one-second resolution
    assert subs.unsubscribe(dstore, dsettings, link)["status"] == "unsubscribed"
    assert subs.unsubscribe(dstore, dsettings, link)["status"] == "unsubscribed"
    with pytest.raises(InvalidInput, match="older than your unsubscription"):
        subs.confirm_subscription(dstore, dsettings, confirm)
    subs.remove_subscriber(dstore, "gone@example.org")
    assert subs.unsubscribe(dstore, dsettings, link) is None
    with pytest.raises(InvalidInput, match="no longer valid"):
        subs.subscription_for_token(dstore, dsettings, subs.manage_url(dsettings, dstore, row).rsplit("/", 1)[1])


@pytest.mark.parametrize(
    ("prefs", "field"),
    [
        (Preferences(frequency="hourly"), "frequency"),
        (Preferences(weekday=7), "weekday"),
        (Preferences(send_hour=24), "send_hour"),
        (Preferences(timezone="Mars/Olympus"), "timezone"),
        (Preferences(top_n=0), "top_n"),
        (Preferences(topics=('unbalanced "quote',)), "topics"),
        (Preferences(categories=("not a category",)), "categories"),
        (Preferences(authors=("x" * 200,)), "authors"),
    ],
)
def test_preferences_are_validated_with_field_named_messages(prefs: Preferences, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        prefs.validate()
    assert caught.value.field == field  # what the preferences form puts the message beside
    assert caught.value.message.startswith(f"{field}:")


def test_update_preferences_and_manage_link(dsettings, dstore) -> None:
    row = subs.add_subscriber(dstore, "me@example.org", confirmed=True)
    token = subs.manage_url(dsettings, dstore, row).rsplit("/", 1)[1]
    assert subs.subscription_for_token(dstore, dsettings, token)["id"] == row["id"]
    updated = subs.update_preferences(
        dstore, row["id"], Preferences(frequency="daily", weekday=3, authors=(" Ada  Lovelace ",))
    )
    assert updated["weekday"] is None and updated["authors"] == ["Ada Lovelace"]


def test_signed_in_users_subscribe_without_a_confirmation_mail(dstore, sink) -> None:
    user = add_user(dstore, "member@example.org")
    row = subs.subscribe_user(dstore, user, Preferences(categories=("cs.CL",)))
    assert row["status"] == "active" and row["user_id"] == user["id"] and sink.count() == 0
    assert subs.subscription_of_user(dstore, user["id"])["id"] == row["id"]
