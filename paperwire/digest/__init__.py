"""Email digests: subscriptions (double opt-in), choosing papers per subscriber, rendering, the sending ledger."""
