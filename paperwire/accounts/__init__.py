"""Accounts: sign-in by emailed one-time link, sessions, roles, rate limits."""
