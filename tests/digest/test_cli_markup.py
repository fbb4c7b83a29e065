"""`paperwire digest send` prints a failure's text (here a mail server's reply) as text, never as Rich markup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import start_smtp
from tests.digest.test_cli import run


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A real SMTP server (aiosmtpd) that refuses every recipient with a reply holding Rich markup."""

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "550 5.1.1 mailbox [/x] [bold]unknown[/bold]"

    controller = start_smtp(Handler())
    try:
        yield controller.port
    finally:
        controller.stop()


def test_a_failure_holding_markup_is_printed_as_text(dsettings, dstore, refusing_port: int) -> None:
    assert run(dsettings, "subscriber", "add", "ada@example.org", "--confirmed").exit_code == 0
    refused = dsettings.model_copy(update={"smtp_port": refusing_port})
    sent = run(refused, "digest", "send", "--period", "daily:2025-03-18")
    assert sent.exit_code == 0, sent.output
    assert "failed ada@example.org: " in sent.output and "mailbox [/x] [bold]unknown[/bold]" in sent.output
    assert "sent 0, skipped 0, failed 1" in sent.stdout
