"""Alembic environment of the example project.

Offline mode (alembic upgrade A:B --sql) renders plain SQL without a
database.  It emits no BEGIN/COMMIT (transactional_ddl=False): the
statements are meant for lifeguard.check_migration, which runs them inside
a subtransaction it always rolls back.  (Alembic's default, one BEGIN ...
COMMIT around the whole script, is accepted too: check_migration leaves
the pair out and says so; transaction control inside is refused.)
"""
import os

from alembic import context
from sqlalchemy import create_engine

config = context.config


def url():
    return (context.get_x_argument(as_dictionary=True).get("url")
            or os.environ.get("LIFEGUARD_ALEMBIC_URL")
            or config.get_main_option("sqlalchemy.url"))


if context.is_offline_mode():
    context.configure(url=url(), literal_binds=True, transactional_ddl=False,
                      dialect_opts={"paramstyle": "named"})
    context.run_migrations()
else:
    with create_engine(url()).connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
