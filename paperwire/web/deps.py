"""Typed FastAPI dependencies: how every route reaches the application object and learns who is asking.

create_app keeps the one Paperwire in one place, read only here (`paperwire_of`); routes declare what they need
(`app: AppDep`, `store: StoreDep`, `user: UserDep`, ...) instead of reading untyped attributes of the request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from paperwire.accounts.sessions import load_user
from paperwire.application import Paperwire
from paperwire.config import Settings
from paperwire.errors import Forbidden
from paperwire.feed.comments import is_admin
from paperwire.search.engine import SearchEngine
from paperwire.store import Store

User = dict[str, Any]  # a users row, as paperwire.accounts returns it


def attach(app: FastAPI, paperwire: Paperwire) -> None:
    """Give a web application its Paperwire (create_app does, once)."""
    app.state.paperwire = paperwire


def paperwire_of(app: Any) -> Paperwire:
    """The Paperwire of a web application (`request.app`): the one typed way to it."""
    paperwire = getattr(app.state, "paperwire", None)
    if not isinstance(paperwire, Paperwire):
        raise TypeError("this web application has no Paperwire: build it with create_app(paperwire)")
    return paperwire


def current_user(request: Request) -> User | None:
    """The signed-in user (loaded once per request), or None."""
    if not hasattr(request.state, "user"):
        request.state.user = load_user(paperwire_of(request.app).store, request.session)
    return request.state.user


# Plain attribute reads: async, so FastAPI calls them on the event loop instead of a worker thread.


async def _paperwire(request: Request) -> Paperwire:
    return paperwire_of(request.app)


AppDep = Annotated[Paperwire, Depends(_paperwire)]


async def _settings(app: AppDep) -> Settings:
    return app.settings


async def _store(app: AppDep) -> Store:
    return app.store


async def _engine(app: AppDep) -> SearchEngine:
    return app.engine


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[Store, Depends(_store)]
EngineDep = Annotated[SearchEngine, Depends(_engine)]


def _user(request: Request) -> User | None:  # reads the database: FastAPI runs it on a worker thread
    return current_user(request)


UserDep = Annotated[User | None, Depends(_user)]
"""The signed-in user, or None for an anonymous visitor."""


async def _admin(user: UserDep) -> User | None:
    if user is not None and not is_admin(user):
        raise Forbidden("this page is for administrators")
    return user


AdminDep = Annotated[User | None, Depends(_admin)]
"""The signed-in admin; None for an anonymous visitor (to send to sign in); Forbidden (403) for anyone else."""
