"""The job tests use the digest fixtures: a store with 300 real papers, their settings, and an SMTP sink."""

from tests.digest.conftest import dsettings, dstore, sink  # noqa: F401 - re-exported as fixtures
