"""Domain errors: raised by the core, rendered once by the CLI and the web layer."""

from __future__ import annotations


class PaperwireError(Exception):
    """Base of every error a user can cause or fix; `status` is the HTTP status it maps to."""

    status: int = 400

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class InvalidInput(PaperwireError):
    """The user gave something malformed: a bad id, date, option or record.

    `field` names the input that failed (a form field, an option, a query parameter) when one did, so an
    edge can put the message beside it without reading the message.
    """

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Unauthorized(PaperwireError):
    """Who is asking is unknown: not signed in, or a missing, invalid or revoked token."""

    status = 401


class Forbidden(PaperwireError):
    """Who is asking is known and may not do this."""

    status = 403


class NotFound(PaperwireError):
    """The thing asked for does not exist."""

    status = 404


class Conflict(PaperwireError):
    """The request clashes with the current state (a duplicate, a quota)."""

    status = 409


class SourceUnavailable(PaperwireError):
    """A remote source (arXiv, Hugging Face) could not be reached or answered badly."""

    status = 502


class ConfigError(PaperwireError):
    """A setting is missing or has an impossible value."""

    status = 500


class MalformedDocument(InvalidInput):
    """A whole input document (an XML response, a JSON file) could not be parsed; `line` is 1-based."""

    def __init__(self, message: str, *, line: int = 0) -> None:
        super().__init__(message)
        self.line = line
