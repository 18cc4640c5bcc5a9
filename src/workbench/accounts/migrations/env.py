"""Alembic environment of the accounts database (run by ``AccountsStore.upgrade``; no alembic.ini needed).

``AccountsStore`` passes its open connection in ``config.attributes["connection"]``; run from the alembic
command line instead (``alembic -x url=... upgrade head`` with a config naming this directory), the URL
comes from ``-x url=``, ``sqlalchemy.url`` or ``workbench.accounts.store.accounts_url()``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from workbench.accounts.store import METADATA, VERSION_TABLE, accounts_url

config = context.config


def _url() -> str:
    return (context.get_x_argument(as_dictionary=True).get("url") or config.attributes.get("url")
            or config.get_main_option("sqlalchemy.url") or accounts_url())


def _configure(**kwargs) -> None:
    context.configure(target_metadata=METADATA, version_table=VERSION_TABLE, compare_type=True, **kwargs)


def run_migrations_offline() -> None:
    url = _url()
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"},
               render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: sa.Connection) -> None:
    # SQLite cannot ALTER most things: later migrations rebuild tables in batch mode there.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = sa.create_engine(_url(), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
