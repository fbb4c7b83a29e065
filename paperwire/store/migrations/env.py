"""Alembic environment: runs on the connection Paperwire hands it (see store/migrate.py)."""

from alembic import context

from paperwire.store.schema import metadata

connection = context.config.attributes.get("connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
if connection is not None and connection.in_transaction():
    connection.commit()
