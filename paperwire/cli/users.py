"""`paperwire user ...`: add, list, block users and make API tokens."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from paperwire.cli.common import Group, app, app_of, err, out

user_app = typer.Typer(cls=Group, no_args_is_help=True, help="Manage users: add, list, block, API tokens.")
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The user's email address (they sign in with a link sent there).")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator.")] = False,
    name: Annotated[str | None, typer.Option("--name", help="Display name shown with comments.")] = None,
) -> None:
    """Add a user (or promote an existing one with --admin)."""
    from paperwire.accounts.users import add_user

    user = add_user(app_of(ctx).store, email, display_name=name, admin=admin)
    out.print(f"user {user['id']}: {user['email']} ({user['role']})", markup=False)


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array of users.")] = False,
) -> None:
    """List users, newest first."""
    from paperwire.accounts.users import list_users

    rows = list_users(app_of(ctx).store, limit=10_000)
    if as_json:
        keys = ("id", "email", "display_name", "role", "blocked_at", "created_at", "comments", "votes")
        data = [{k: (row[k].isoformat() if isinstance(row[k], datetime) else row[k]) for k in keys} for row in rows]
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    if not rows:
        out.print("no users")
    for row in rows:
        state = " blocked" if row["blocked_at"] else ""
        out.print(
            f"{row['id']:>5}  {row['email']:<40} {row['role']:<6}{state}  {row['display_name'] or ''}", markup=False
        )


@user_app.command("block")
def user_block(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The user's email address.")],
    unblock: Annotated[bool, typer.Option("--unblock", help="Lift the block instead.")] = False,
) -> None:
    """Block a user (signed out, token refused, comments hidden), or --unblock."""
    from paperwire.accounts.users import find_user, set_blocked

    store = app_of(ctx).store
    user = find_user(store, email)
    set_blocked(store, user["id"], not unblock)
    out.print(f"{'unblocked' if unblock else 'blocked'} {user['email']}", markup=False)


@user_app.command("token")
def user_token(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The user's email address.")],
) -> None:
    """Make a new personal API token for a user (replacing the old one) and print it once."""
    from paperwire.accounts.users import create_api_token, find_user

    store = app_of(ctx).store
    token = create_api_token(store, find_user(store, email)["id"])
    err.print("new API token (shown once; use it as 'Authorization: Bearer <token>'):")
    out.print(token, markup=False)
