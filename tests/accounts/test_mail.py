"""The Mailer against a real SMTP server: single sends, a reused connection, clear errors."""

from __future__ import annotations

import pytest

from paperwire.config import load_settings
from paperwire.mail import Mailer, MailUnavailable


def test_send_and_reuse_a_connection(smtp, tmp_path) -> None:
    settings = load_settings(home=tmp_path, smtp_port=smtp.port, mail_from="Paperwire <bot@papers.example>")
    mailer = Mailer(settings)
    message_id = mailer.send(mailer.message("a@example.org", "Hello", "plain body", html="<p>html body</p>"))
    [mail] = smtp.to("a@example.org")
    assert mail["From"] == "Paperwire <bot@papers.example>" and mail["Message-ID"] == message_id
    assert "@papers.example>" in message_id
    assert mail.get_body(("plain",)).get_content().strip() == "plain body"
    assert mail.get_body(("html",)).get_content().strip() == "<p>html body</p>"
    with mailer:
        for i in range(3):
            mailer.send(mailer.message(f"b{i}@example.org", "Digest", "text"))
    assert len(smtp.messages) == 4


def test_unreachable_server_and_failed_starttls(smtp, tmp_path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailer = Mailer(load_settings(home=tmp_path, smtp_port=port))
    with pytest.raises(MailUnavailable, match="could not be reached"):
        mailer.send(mailer.message("a@example.org", "x", "y"))
    with pytest.raises(MailUnavailable), mailer:
        pass
    no_tls = Mailer(load_settings(home=tmp_path, smtp_port=smtp.port, smtp_security="starttls"))
    with pytest.raises(MailUnavailable, match="could not be reached"):
        no_tls.send(no_tls.message("a@example.org", "x", "y"))
    assert smtp.messages == []
