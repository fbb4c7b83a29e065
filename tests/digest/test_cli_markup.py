"""`paperwire digest send` prints a failure's text (here a mail server's reply) as text, never as Rich markup."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.digest.test_cli import run


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A real SMTP server (aiosmtpd) that refuses every recipient with a reply holding Rich markup."""
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "550 5.1.1 mailbox [/x] [bold]unknown[/bold]"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_a_failure_holding_markup_is_printed_as_text(dsettings, dstore, refusing_port: int) -> None:
    assert run(dsettings, "subscriber", "add", "ada@example.org", "--confirmed").exit_code == 0
    refused = dsettings.model_copy(update={"smtp_port": refusing_port})
    sent = run(refused, "digest", "send", "--period", "daily:2025-03-18")
    assert sent.exit_code == 0, sent.output
    assert "failed ada@example.org: " in sent.output and "mailbox [/x] [bold]unknown[/bold]" in sent.output
    assert "sent 0, skipped 0, failed 1" in sent.stdout
