"""A digest as an email: multipart/alternative (plain text + HTML), list headers and RFC 8058 one-click unsubscribe.

The HTML is a table layout with inline styles only (no <style>, no CSS classes, no images), the
subset that Gmail, Outlook and Apple Mail all render. Every value from the database is escaped.
The Message-ID is derived from the subscription and period, so a digest sent twice by a crash
(see paperwire.digest.send) carries the same Message-ID and many mailboxes show it once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email import policy
from email.headerregistry import BaseHeader
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from html import escape
from urllib.parse import quote, urlsplit

from paperwire.config import Settings
from paperwire.digest.compose import Digest, Pick
from paperwire.digest.subscriptions import manage_url, unsubscribe_url
from paperwire.mail import recipient
from paperwire.store import Store

MAX_AUTHORS = 6
# How the message is written out: long header lines kept whole up to RFC 5322's 998 characters, so the
# List-Unsubscribe URLs stay plain URLs (folding them at 78 turned them into RFC 2047 encoded words, which
# RFC 2369 clients do not decode); the bodies are quoted-printable at 76 whatever the policy.
WIRE = policy.SMTP.clone(max_line_length=998)
_FONT = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"


def site_domain(settings: Settings) -> str:
    """The stable domain of Message-IDs and the List-Id: the site's host name."""
    return (urlsplit(settings.site_url).hostname or "localhost").lower()


def paper_url(settings: Settings, paper_id: str) -> str:
    return f"{settings.site_url.rstrip('/')}/papers/{quote(paper_id, safe='/')}"


def message_id(settings: Settings, digest: Digest) -> str:
    """<digest.daily.2026-02-03.42.ab12cd34@host>: one per subscription and period."""
    sub = digest.subscription
    tag = hashlib.sha256(sub["email"].encode()).hexdigest()[:8]
    return f"<digest.{digest.key.replace(':', '.')}.{sub['id']}.{tag}@{site_domain(settings)}>"


def subject(digest: Digest) -> str:
    parts = [f"{len(digest.trending)} trending"] + ([f"{len(digest.picks)} for you"] if digest.picks else [])
    return f"Paperwire digest, {digest.period.label}: {', '.join(parts)}"


def render_digest(settings: Settings, store: Store, digest: Digest, *, now: datetime | None = None) -> EmailMessage:
    """The message to send for a digest, addressed to its subscriber."""
    sub = digest.subscription
    manage, unsubscribe = manage_url(settings, store, sub), unsubscribe_url(settings, store, sub)
    sender = parseaddr(settings.mail_from)[1] or "paperwire@localhost"
    message = EmailMessage()
    message["From"] = _header("From", settings.mail_from)
    message["To"] = recipient(sub["email"])  # BadRecipient for an address no header can hold
    message["Subject"] = _header("Subject", subject(digest))
    message["Date"] = _header("Date", format_datetime(now or datetime.now(UTC)))
    message["Message-ID"] = message_id(settings, digest)
    message["List-Id"] = _header("List-Id", f"Paperwire digest <digest.{site_domain(settings)}>")
    message["List-Unsubscribe"] = f"<{unsubscribe}>, <mailto:{sender}?subject=unsubscribe>"
    message["List-Unsubscribe-Post"] = _header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    message["Auto-Submitted"] = _header("Auto-Submitted", "auto-generated")
    # quoted-printable named up front: the email package would otherwise encode each part twice to choose
    message.set_content(render_text(settings, digest, manage, unsubscribe), cte="quoted-printable")
    message.add_alternative(render_html(settings, digest, manage, unsubscribe), subtype="html", cte="quoted-printable")
    message.policy = WIRE  # bodies are encoded by now: the policy only shapes how headers are written
    return message


@lru_cache(maxsize=256)
def _header(name: str, value: str) -> BaseHeader:
    """A header as EmailMessage stores it, parsed once: most headers are the same in every digest of a run."""
    if len(value.splitlines()) > 1:
        raise ValueError(f"{name}: a header value may not contain line breaks")
    return policy.default.header_factory(name, value)


# --- plain text ----------------------------------------------------------------------------------


def _authors(names: list[str]) -> str:
    return ", ".join(names[:MAX_AUTHORS]) + (" et al." if len(names) > MAX_AUTHORS else "")


def _text_pick(settings: Settings, rank: int, pick: Pick) -> str:
    lines = [f"{rank}. {pick.title}", f"   {_authors(pick.authors)}"]
    lines += [f"   {' '.join(pick.categories[:3])} · {pick.why}", f"   {paper_url(settings, pick.id)}"]
    return "\n".join(lines)


def render_text(settings: Settings, digest: Digest, manage: str, unsubscribe: str) -> str:
    parts = [f"Paperwire digest: {digest.period.label}", ""]
    if digest.skipped_reason:
        parts += [digest.skipped_reason.capitalize() + ".", ""]
    for heading, picks in (("Trending", digest.trending), ("For you", digest.picks)):
        if picks:
            parts += [heading, "=" * len(heading), ""]
            parts += [_text_pick(settings, i, p) + "\n" for i, p in enumerate(picks, start=1)]
    parts += [
        "--",
        f"You receive this because {digest.subscription['email']} subscribed at {settings.site_url}.",
        f"Change what it holds or when it comes: {manage}",
        f"Unsubscribe (one click): {unsubscribe}",
        "",
    ]
    return "\n".join(parts)


# --- HTML ----------------------------------------------------------------------------------------


def _html_pick(settings: Settings, pick: Pick) -> str:
    url = escape(paper_url(settings, pick.id))
    categories = escape(" ".join(pick.categories[:3]))
    return (
        '<tr><td style="padding:14px 0;border-bottom:1px solid #e5e7eb;">'
        f'<a href="{url}" style="{_FONT}font-size:16px;font-weight:bold;color:#1d4ed8;text-decoration:none;">'
        f"{escape(pick.title)}</a>"
        f'<div style="{_FONT}font-size:13px;color:#374151;padding-top:4px;">{escape(_authors(pick.authors))}</div>'
        f'<div style="{_FONT}font-size:14px;color:#111827;padding-top:6px;line-height:1.45;">{escape(pick.snippet)}</div>'
        f'<div style="{_FONT}font-size:12px;color:#6b7280;padding-top:6px;">{categories} &middot; '
        f"{escape(pick.why)}</div></td></tr>"
    )


def _section(settings: Settings, heading: str, picks: list[Pick]) -> str:
    if not picks:
        return ""
    rows = "".join(_html_pick(settings, p) for p in picks)
    return (
        f'<tr><td style="{_FONT}font-size:18px;font-weight:bold;color:#111827;padding:22px 0 4px 0;">'
        f"{escape(heading)}</td></tr>{rows}"
    )


def render_html(settings: Settings, digest: Digest, manage: str, unsubscribe: str) -> str:
    note = ""
    if digest.skipped_reason:
        note = (
            f'<tr><td style="{_FONT}font-size:14px;color:#374151;padding:16px 0;">'
            f"{escape(digest.skipped_reason.capitalize())}.</td></tr>"
        )
    body = note + _section(settings, "Trending", digest.trending) + _section(settings, "For you", digest.picks)
    site = escape(settings.site_url)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(subject(digest))}</title></head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f3f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border-radius:8px;">
<tr><td style="padding:24px 28px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td style="{_FONT}font-size:22px;font-weight:bold;color:#111827;">
<a href="{site}" style="color:#111827;text-decoration:none;">Paperwire</a></td></tr>
<tr><td style="{_FONT}font-size:14px;color:#6b7280;padding-top:2px;">{escape(digest.period.label)}</td></tr>
{body}
<tr><td style="{_FONT}font-size:12px;color:#6b7280;padding-top:24px;line-height:1.5;">
You receive this because {escape(digest.subscription["email"])} subscribed at <a href="{site}" style="color:#6b7280;">{site}</a>.<br>
<a href="{escape(manage)}" style="color:#1d4ed8;">Manage preferences</a> &middot;
<a href="{escape(unsubscribe)}" style="color:#1d4ed8;">Unsubscribe</a></td></tr>
</table></td></tr></table></td></tr></table></body></html>
"""
