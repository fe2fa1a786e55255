"""Fixtures for the end-to-end suites.

The harness (test/run) starts a throwaway cluster with pg_lifeguard
preloaded and created in database lifeguard_test, and sets PGHOST, PGPORT,
PGUSER and PGDATABASE.  Without them these tests are skipped.
"""
import os
import time

import pytest

psycopg = pytest.importorskip("psycopg")

APP_ROLE = "pool_app"


def _env():
    return {k: os.environ.get(k) for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE")}


@pytest.fixture(scope="session")
def pg():
    """Connection parameters of the test cluster."""
    env = _env()
    if not env["PGHOST"] or not env["PGPORT"]:
        pytest.skip("PGHOST/PGPORT not set: run through make test")
    env["PGDATABASE"] = env["PGDATABASE"] or "lifeguard_test"
    env["PGUSER"] = env["PGUSER"] or "postgres"
    return env


@pytest.fixture(scope="session")
def admin(pg):
    """An autocommit superuser connection; creates the application role."""
    conn = psycopg.connect(host=pg["PGHOST"], port=pg["PGPORT"], user=pg["PGUSER"],
                           dbname=pg["PGDATABASE"], autocommit=True,
                           application_name="pytest-admin")
    if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone():
        # superusers are exempt from quotas: the pools log in as a plain role
        conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN")
    yield conn
    conn.close()


def reload_settings(admin, **settings):
    """ALTER SYSTEM SET lifeguard.<name> = value (None resets) and reload."""
    for name, value in settings.items():
        if value is None:
            admin.execute(f"ALTER SYSTEM RESET lifeguard.{name}")
        else:
            admin.execute(f"ALTER SYSTEM SET lifeguard.{name} = '{value}'")
    admin.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)


def pool_stat(admin, app, column):
    row = admin.execute(
        f"SELECT {column} FROM lifeguard.pool_stats WHERE application_name = %s",
        (app,)).fetchone()
    return row[0] if row else None


def wait_for(predicate, timeout=15.0, interval=0.1):
    """Poll until predicate() is true; return its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
