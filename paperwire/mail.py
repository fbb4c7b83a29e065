"""Outgoing mail over SMTP (plain, STARTTLS or TLS): sign-in links now, digests later."""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from types import TracebackType

from paperwire import metrics
from paperwire.config import Settings
from paperwire.errors import PaperwireError


class MailUnavailable(PaperwireError):
    """The SMTP server could not be reached, refused the login or refused the message."""

    status = 503


class BadRecipient(PaperwireError):
    """An address no valid To header can hold, or that the header would read as another mailbox (a stored
    address from before addresses were validated): mail to it fails for good, and to it alone."""

    status = 400

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"not a valid address: {address[:80]!r}: {reason}")
        self.reason = reason


def recipient(address: str) -> Address:
    """`address` as a To header holds it, or BadRecipient.

    It must be printable ASCII (a Unicode domain is turned into its IDNA form; we do not speak SMTPUTF8) and
    the email package's parser must read it back unchanged: a comma, comment, group or bracket, which would
    name another mailbox or none, is refused instead of being dropped or split.
    """
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        raise BadRecipient(address, "a local part, an @ and a domain are needed")
    try:
        spec = f"{local}@{domain.encode('idna').decode('ascii')}"
        if not spec.isascii() or not spec.isprintable():
            raise ValueError("characters other than printable ASCII")
        parsed = Address(addr_spec=spec)
    except (ValueError, UnicodeError, HeaderParseError, IndexError) as exc:  # IndexError: the parser on some junk
        raise BadRecipient(address, str(exc) or type(exc).__name__) from None
    if parsed.addr_spec != spec:
        raise BadRecipient(address, f"a mail header reads it as {parsed.addr_spec!r}")
    return parsed


class Mailer:
    """Sends EmailMessages through the configured SMTP server.

    `send(message)` opens a connection per call; inside `with mailer:` one connection is reused
    (for digests). Every SMTP or network failure becomes MailUnavailable with a one-line reason.
    """

    def __init__(self, settings: Settings, *, timeout: float | None = None) -> None:
        self.settings = settings
        self.timeout = timeout if timeout is not None else min(settings.http_timeout, 30.0)
        self._smtp: smtplib.SMTP | None = None

    @property
    def sender(self) -> str:
        return self.settings.mail_from

    def message(self, to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
        """A message from mail_from with a text body and an optional HTML alternative."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = recipient(to)
        message["Subject"] = subject
        domain = self.sender.rsplit("@", 1)[-1].strip(" >") or "localhost"
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        return message

    def send(self, message: EmailMessage) -> str:
        """Send one message; returns its Message-ID. Raises MailUnavailable."""
        if message["From"] is None:
            message["From"] = self.sender
        if message["Message-ID"] is None:
            message["Message-ID"] = make_msgid()
        try:
            if self._smtp is not None:
                self._deliver(self._smtp, message)
            else:
                smtp = self._connect()
                try:
                    self._deliver(smtp, message)
                finally:
                    _quit(smtp)
        except MailUnavailable:
            metrics.EMAILS.labels(outcome="failed").inc()
            raise
        metrics.EMAILS.labels(outcome="sent").inc()
        return str(message["Message-ID"])

    def __enter__(self) -> Mailer:
        if self._smtp is None:
            self._smtp = self._connect()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._smtp is not None:
            _quit(self._smtp)
            self._smtp = None

    def _where(self) -> str:
        return f"{self.settings.smtp_host}:{self.settings.smtp_port}"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.smtp_security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
                if s.smtp_security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise MailUnavailable(
                f"mail server {self._where()} refused the login of {s.smtp_user!r}: {_reply(exc)}"
            ) from None
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            raise MailUnavailable(f"mail server {self._where()} could not be reached: {_reason(exc)}") from None
        return smtp

    def _deliver(self, smtp: smtplib.SMTP, message: EmailMessage) -> None:
        try:
            refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise MailUnavailable(f"mail server {self._where()} refused the recipient {message['To']}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(f"mail server {self._where()} did not accept the message: {_reason(exc)}") from None
        if refused:
            raise MailUnavailable(f"mail server {self._where()} refused {', '.join(refused)}")


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}".strip()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc)
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
