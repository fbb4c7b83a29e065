"""The `paperwire` command: parses arguments, calls the domain modules, prints. No logic of its own.

Each module holds the commands of one subject; importing them registers the commands on `app`, in the
order `paperwire --help` and the README's CLI reference list them.
"""

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()  # before any command module imports faiss, PyTorch or BLAS

from paperwire.cli import site, collect, thumbnails, search, users, library  # noqa: E402, F401, I001 - importing registers their commands, in this order
from paperwire.cli.common import app, main  # noqa: E402
from paperwire.cli.digests import digest_app, subscriber_app  # noqa: E402
from paperwire.cli.jobs import jobs_app, worker  # noqa: E402
from paperwire.cli.transfer import migrate_db  # noqa: E402

app.add_typer(subscriber_app, name="subscriber")
app.add_typer(digest_app, name="digest")
app.add_typer(jobs_app, name="jobs")
app.command()(worker)
app.command("migrate-db")(migrate_db)

__all__ = ["app", "main"]
