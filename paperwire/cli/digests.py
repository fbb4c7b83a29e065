"""`paperwire subscriber ...` and `paperwire digest ...`: parse, call paperwire.digest, print."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from paperwire.cli.common import Group, app_of, err, out
from paperwire.errors import InvalidInput

subscriber_app = typer.Typer(cls=Group, no_args_is_help=True, help="Manage digest subscribers: add, list, remove.")
digest_app = typer.Typer(cls=Group, no_args_is_help=True, help="Preview and send the email digests.")

Frequency = Annotated[str, typer.Option("--frequency", help="daily or weekly.")]
PeriodKey = Annotated[
    str | None,
    typer.Option("--period", help="The period: daily:YYYY-MM-DD or weekly:YYYY-Www (default: the one due now)."),
]


@subscriber_app.command("add")
def subscriber_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The subscriber's email address.")],
    confirmed: Annotated[
        bool, typer.Option("--confirmed", help="Activate at once instead of mailing a confirmation link.")
    ] = False,
    frequency: Frequency = "daily",
    weekday: Annotated[int | None, typer.Option("--weekday", help="Weekly digests: 0 (Monday) to 6 (Sunday).")] = None,
    send_hour: Annotated[
        int, typer.Option("--send-hour", help="Hour of the day to send at (0-23), in --timezone.")
    ] = 7,
    timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone, e.g. Europe/Paris.")] = "UTC",
    top_n: Annotated[int, typer.Option("--top", help="Trending papers per digest (1-50).")] = 10,
    topic: Annotated[
        list[str] | None, typer.Option("--topic", help="An interest, searched like a saved search (repeatable).")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="An arXiv category to follow, e.g. cs.CL (repeatable).")
    ] = None,
    author: Annotated[list[str] | None, typer.Option("--author", help="An author to follow (repeatable).")] = None,
) -> None:
    """Add or update a subscriber; without --confirmed they are mailed a confirmation link (double opt-in)."""
    from paperwire.digest.subscriptions import (
        Preferences,
        add_subscriber,
        check_address,
        request_subscription,
    )

    if frequency not in ("daily", "weekly"):
        raise InvalidInput(f"--frequency must be daily or weekly, got {frequency!r}")
    prefs = Preferences(
        frequency=frequency,
        weekday=weekday,
        send_hour=send_hour,
        timezone=timezone,
        top_n=top_n,
        topics=tuple(topic or ()),
        categories=tuple(category or ()),
        authors=tuple(author or ()),
    )
    pw = app_of(ctx)
    if confirmed:
        row = add_subscriber(pw.store, email, prefs, confirmed=True)
        out.print(f"subscription {row['id']}: {row['email']} active ({_describe(row)})", markup=False)
        return
    address = check_address(email)
    request_subscription(pw.store, pw.settings, pw.mailer, address, ip=None, preferences=prefs)
    out.print(f"confirmation link mailed to {address} (valid {pw.settings.subscription_expiry_hours} h)", markup=False)


def _describe(row: dict[str, Any]) -> str:
    when = "daily" if row["frequency"] == "daily" else f"weekly on {_WEEKDAYS[row['weekday'] or 0]}"
    parts = [f"{when} at {row['send_hour']:02d}:00 {row['timezone']}", f"top {row['top_n']}"]
    for name in ("topics", "categories", "authors"):
        if row[name]:
            parts.append(f"{name}: {'; '.join(row[name])}")
    return ", ".join(parts)


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@subscriber_app.command("list")
def subscriber_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="Only pending, active or unsubscribed ones.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """List subscribers, oldest first, with their preferences and last digest."""
    from paperwire.digest.subscriptions import list_subscribers

    if status not in (None, "pending", "active", "unsubscribed"):
        raise InvalidInput(f"--status must be pending, active or unsubscribed, got {status!r}")
    pw = app_of(ctx)
    rows = list_subscribers(pw.store, status=status)
    if as_json:
        data = [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()} for row in rows]
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    if not rows:
        out.print("no subscribers")
    for row in rows:
        state = row["status"]
        if row["permanent_failures"] >= pw.settings.digest_max_permanent_failures:
            state += f" (stopped: {row['permanent_failures']} bounces)"
        last = row["last_sent_at"].strftime("%Y-%m-%d %H:%M") if row["last_sent_at"] else "never"
        out.print(f"{row['id']:>6}  {row['email']:<40} {state:<12} last sent {last}  {_describe(row)}", markup=False)


@subscriber_app.command("remove")
def subscriber_remove(
    ctx: typer.Context, email: Annotated[str, typer.Argument(help="The subscriber's address.")]
) -> None:
    """Delete a subscriber and their delivery history."""
    from paperwire.digest.subscriptions import remove_subscriber

    row = remove_subscriber(app_of(ctx).store, email)
    out.print(f"removed {row['email']}", markup=False)


def _period(text: str | None) -> Any:
    from paperwire.digest.periods import parse_period_key

    return parse_period_key(text) if text else None


@digest_app.command("preview")
def digest_preview(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The subscriber's address.")],
    period: PeriodKey = None,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part instead of the text part.")] = False,
) -> None:
    """Show the digest a subscriber would get now (or for --period), without sending or recording anything."""
    from paperwire.digest.compose import compose
    from paperwire.digest.periods import current_period
    from paperwire.digest.render import render_digest
    from paperwire.digest.subscriptions import find_subscriber

    pw = app_of(ctx)
    store, settings = pw.store, pw.settings
    subscription = find_subscriber(store, email)
    chosen = _period(period) or current_period(store, settings, subscription)
    digest = compose(store, settings, pw.engine, subscription, chosen)
    if digest.skipped_reason:
        err.print(f"nothing would be sent for {digest.key}: {digest.skipped_reason}", highlight=False, markup=False)
        return
    message = render_digest(settings, store, digest)
    part = message.get_body(("html",) if html else ("plain",))
    assert part is not None
    err.print(f"Subject: {message['Subject']}", highlight=False, markup=False)
    out.print(part.get_content(), markup=False, highlight=False)


@digest_app.command("send")
def digest_send(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compose the digests without sending or recording them.")
    ] = False,
    to: Annotated[str | None, typer.Option("--to", help="Only this subscriber.")] = None,
    period: PeriodKey = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    senders: Annotated[
        int | None,
        typer.Option(
            "--senders", min=1, max=64, help="Sender processes, each on its own core (default: digest_senders)."
        ),
    ] = None,
) -> None:
    """Send the digests that are due (for cron): each subscriber gets each period's digest once, even across crashes."""
    from paperwire.digest.send import send_all

    pw = app_of(ctx)
    chosen = _period(period)
    progress = Progress(
        TextColumn("[bold]digests"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task("digests", total=None)
        report = send_all(
            pw.store,
            pw.settings,
            pw.engine,
            senders=senders,
            period=chosen,
            to=to,
            dry_run=dry_run,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if as_json:
        out.print(json.dumps(report.as_dict()), markup=False)
        return
    for error in report.errors:
        err.print(f"[yellow]failed[/] {escape(error)}", highlight=False)
    out.print(report.summary(), markup=False)
