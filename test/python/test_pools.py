"""Real client pools against pg_lifeguard quotas and recycling.

These are the pool configurations application teams run; the examples
double as README snippets.
"""
import asyncio
import random
import threading
import time

import pytest

from conftest import APP_ROLE, pool_stat, psycopg, reload_settings, wait_for

sqlalchemy = pytest.importorskip("sqlalchemy")
pytest.importorskip("asyncpg")
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402


def async_engine(pg, app, **pool):
    """SQLAlchemy async engine on asyncpg, with application_name set."""
    url = f"postgresql+asyncpg://{APP_ROLE}@/{pg['PGDATABASE']}"
    return create_async_engine(
        url,
        connect_args={
            "host": pg["PGHOST"],
            "port": int(pg["PGPORT"]),
            "server_settings": {"application_name": app},
        },
        **pool,
    )


async def run_load(engine, tasks, seconds):
    """`tasks` concurrent workers running short transactions; returns errors."""
    errors = []
    stop = time.monotonic() + seconds

    async def worker():
        while time.monotonic() < stop:
            try:
                async with engine.begin() as conn:
                    await conn.execute(text("SELECT 1"))
                    await conn.execute(text("SELECT pg_sleep(0.001)"))
            except Exception as exc:  # every application-visible failure
                errors.append(exc)
            await asyncio.sleep(random.uniform(0.1, 0.3))

    await asyncio.gather(*(worker() for _ in range(tasks)))
    return errors


@pytest.fixture
def quota(admin):
    """Set quotas for the test; drop them afterwards."""
    made = []

    def set_quota(app, soft, hard, **kw):
        args = ", ".join(f"{k} => %s" for k in kw)
        admin.execute(f"SELECT lifeguard.set_quota(%s, %s, %s{', ' + args if args else ''})",
                      (app, soft, hard, *kw.values()))
        made.append(app)

    yield set_quota
    for app in made:
        admin.execute("SELECT lifeguard.drop_quota(%s)", (app,))


class AgeSampler(threading.Thread):
    """Polls pg_stat_activity for an application's backends: the oldest
    age seen, and for each backend the age it was last seen at."""

    def __init__(self, pg, app):
        super().__init__(daemon=True)
        self.conn = psycopg.connect(host=pg["PGHOST"], port=pg["PGPORT"], user=pg["PGUSER"],
                                    dbname=pg["PGDATABASE"], autocommit=True,
                                    application_name="pytest-sampler")
        self.app = app
        self.done = threading.Event()
        self.oldest = 0.0
        self.ages = {}

    def run(self):
        while not self.done.is_set():
            for pid, start, age in self.conn.execute(
                    "SELECT pid, backend_start, extract(epoch FROM now() - backend_start)::float8 "
                    "FROM pg_stat_activity WHERE application_name = %s", (self.app,)):
                self.oldest = max(self.oldest, age)
                self.ages[(pid, start)] = age
            self.done.wait(0.05)
        self.conn.close()


def test_sqlalchemy_pool_survives_recycling(pg, admin, quota):
    # the pool the stories configure, 100 tasks sharing 20 connections: a
    # connection is rarely idle, so it is recycled at the end of a unit of
    # work; a very short max_age makes the server recycle many connections
    # under the pool during the test (in production it would be minutes)
    max_age, naptime = 0.3, 0.05
    quota("orders", 5, 20, max_age="300 ms")
    reload_settings(admin, naptime="50ms")
    engine = async_engine(pg, "orders", pool_size=5, max_overflow=15, pool_timeout=30,
                          pool_recycle=1800, pool_pre_ping=True)
    before = pool_stat(admin, "orders", "recycled") or 0
    sampler = AgeSampler(pg, "orders")

    async def scenario():
        sampler.start()
        errors = await run_load(engine, tasks=100, seconds=10)
        sampler.done.set()
        sampler.join()
        recycled = (pool_stat(admin, "orders", "recycled") or 0) - before
        # quiesce: no more recycling; every pooled connection pre-pinged
        quota("orders", 5, 20)
        await asyncio.sleep(1)
        held = []
        for _ in range(20):
            conn = await engine.connect()
            await conn.execute(text("SELECT 1"))
            held.append(conn)
        checked_out = engine.pool.checkedout()
        await asyncio.sleep(0.5)
        server = pool_stat(admin, "orders", "connections")
        for conn in held:
            await conn.close()
        await engine.dispose()
        return errors, recycled, checked_out, server

    try:
        errors, recycled, checked_out, server = asyncio.run(scenario())
    finally:
        reload_settings(admin, naptime=None)
    # connections seen past max_age by more than a worker cycle had been
    # asked to end; the pool closes some younger ones itself
    due = sum(1 for age in sampler.ages.values() if age > max_age + naptime + 0.1)
    # the longest unit of work here is a few ms; allow 0.2 s for it and
    # for the sampling interval
    bound = max_age + naptime + 1 + 0.2
    print(f"METRIC sqlalchemy_preping recycles={recycled} errors={len(errors)} "
          f"due={due} oldest={sampler.oldest:.2f}s bound={bound:.2f}s")
    assert not errors, f"{len(errors)} application-visible errors, first: {errors[:1]}"
    assert sampler.oldest <= bound, f"a connection lived {sampler.oldest:.2f} s"
    # every connection lives through many max_ages in this run, so at least
    # one is recycled however fast the machine is; and every one seen
    # overdue was
    assert recycled >= max(due, 1), f"{recycled} recycles for {due} connections past max_age"
    assert checked_out == 20
    assert server == checked_out, f"pool_stats {server} vs pool {checked_out}"


def test_recycling_without_preping_error_rate(pg, admin, quota):
    """Without pre-ping the race is visible; measure it (not a target)."""
    quota("noping", 5, 20, max_age="300 ms")
    engine = async_engine(pg, "noping", pool_size=5, max_overflow=15, pool_pre_ping=False)
    before = pool_stat(admin, "noping", "recycled") or 0

    async def scenario():
        errors = await run_load(engine, tasks=50, seconds=10)
        await engine.dispose()
        return errors

    errors = asyncio.run(scenario())
    recycled = (pool_stat(admin, "noping", "recycled") or 0) - before
    rate = 1000.0 * len(errors) / recycled if recycled else float("nan")
    print(f"METRIC errors_per_1000_recycles_without_preping={rate:.1f} "
          f"(errors={len(errors)}, recycles={recycled})")
    assert recycled > 0
    # every error is a recycled connection, which SQLAlchemy recognised as
    # a disconnect (and so replaced), never anything else
    for exc in errors:
        assert getattr(exc, "connection_invalidated", False), repr(exc)


def test_misconfigured_pool_meets_hard_limit(pg, admin, quota):
    quota("greedy", 5, 20)
    engine = async_engine(pg, "greedy", pool_size=5, max_overflow=50, pool_timeout=5)

    async def scenario():
        async def hold():
            try:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT pg_sleep(2)"))
                return None
            except Exception as exc:
                return exc

        results = await asyncio.gather(*(hold() for _ in range(30)))
        await engine.dispose()
        return [r for r in results if r is not None]

    errors = asyncio.run(scenario())
    assert len(errors) == 10, errors
    for exc in errors:
        cause = exc
        sqlstates = set()
        while cause is not None:
            sqlstates.add(getattr(cause, "sqlstate", None))
            cause = cause.__cause__ or getattr(cause, "orig", None)
            if cause is exc:
                break
        assert "53300" in sqlstates, repr(exc)
        assert 'too many connections for application "greedy"' in str(exc)
    assert pool_stat(admin, "greedy", "rejected") == 10


def test_psycopg_pool_numbers_match(pg, admin, quota):
    psycopg_pool = pytest.importorskip("psycopg_pool")
    quota("reports", 2, 6, max_age="30 min")
    conninfo = (f"host={pg['PGHOST']} port={pg['PGPORT']} dbname={pg['PGDATABASE']} "
                f"user={APP_ROLE} application_name=reports")
    with psycopg_pool.ConnectionPool(conninfo, min_size=2, max_size=6,
                                     max_lifetime=1800, max_idle=600) as pool:
        pool.wait()
        with pool.connection() as a, pool.connection() as b, pool.connection() as c:
            for conn in (a, b, c):
                conn.execute("SELECT 1")
            size = pool.get_stats()["pool_size"]
            assert wait_for(lambda: pool_stat(admin, "reports", "connections") == size)
        assert pool_stat(admin, "reports", "connections") == pool.get_stats()["pool_size"]


def test_leaked_session_is_diagnosed(pg, admin, quota):
    psycopg = pytest.importorskip("psycopg")
    reload_settings(admin, history_interval="200ms")
    try:
        leak = psycopg.connect(host=pg["PGHOST"], port=pg["PGPORT"], user=APP_ROLE,
                               dbname=pg["PGDATABASE"], application_name="leaky")
        # checked out, a transaction begun, never committed or returned
        leak.execute("SELECT 1")
        assert wait_for(lambda: admin.execute(
            "SELECT 'leaking_transactions' = ANY (diagnoses) FROM lifeguard.pool_advice "
            "WHERE application_name = 'leaky'").fetchone() == (True,), timeout=20)
        row = admin.execute("SELECT arithmetic FROM lifeguard.pool_advice "
                            "WHERE application_name = 'leaky'").fetchone()
        assert "Little's law" in row[0]
        leak.close()
    finally:
        reload_settings(admin, history_interval=None)
