"""Client matrix for recycling: what each pool sees when the server
recycles its connections under max_age.

Runs each client at three loads against one cluster (pg_lifeguard
preloaded, lifeguard.database = the database given) and prints, per cell:
the recycles the server made, the application-visible errors per 1,000
recycles, and the oldest connection age seen against max_age.

    python3 recycle_clients.py --host DIR --port N --dbname DB [--modes auto]

Loads, for a pool of --pool connections: light (half as many tasks as
connections, with think time), busy (as many tasks as connections, short
think time), saturated (5x more tasks than connections, no think time).
pgbench has no pool: one connection per client, at most --pool of them.
"""
import argparse
import asyncio
import logging
import os
import random
import subprocess
import tempfile
import threading
import time

import psycopg

APP_ROLE = "bench_app"
LOADS = ("light", "busy", "saturated")


def load_shape(load, pool):
    """(tasks, think_min_s, think_max_s) for a load."""
    if load == "light":
        return max(1, pool // 2), 0.02, 0.04
    if load == "busy":
        return pool, 0.0, 0.01
    return 5 * pool, 0.0, 0.0


class Sampler(threading.Thread):
    """Polls pg_stat_activity for the application's backends: the oldest
    age seen, and every pid with its start, first and last sighting."""

    def __init__(self, conninfo, app):
        super().__init__(daemon=True)
        self.conn = psycopg.connect(conninfo, autocommit=True, application_name="bench-sampler")
        self.app = app
        self.stop = threading.Event()
        self.oldest = 0.0
        self.pids = {}

    def run(self):
        while not self.stop.is_set():
            rows = self.conn.execute(
                "SELECT pid, extract(epoch FROM backend_start)::float8, "
                "extract(epoch FROM now())::float8 FROM pg_stat_activity "
                "WHERE application_name = %s AND backend_type = 'client backend'",
                (self.app,)).fetchall()
            for pid, start, now in rows:
                self.oldest = max(self.oldest, now - start)
                seen = self.pids.setdefault((pid, start), [now, now])
                seen[1] = now
            self.stop.wait(0.05)
        self.conn.close()


def think(tmin, tmax):
    return random.uniform(tmin, tmax) if tmax > 0 else 0.0


# ---- clients -------------------------------------------------------------

def run_sqlalchemy_asyncpg(args, app, tasks, tmin, tmax, seconds, errors):
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(
        f"postgresql+asyncpg://{APP_ROLE}@/{args.dbname}",
        connect_args={"host": args.host, "port": args.port,
                      "server_settings": {"application_name": app}},
        pool_size=args.pool, max_overflow=0, pool_timeout=60, pool_pre_ping=True)

    async def worker(stop):
        while time.monotonic() < stop:
            try:
                async with engine.begin() as conn:
                    await conn.execute(text("SELECT 1"))
                    await conn.execute(text("SELECT pg_sleep(0.002)"))
            except Exception as exc:  # every application-visible failure
                errors.append(repr(exc))
            await asyncio.sleep(think(tmin, tmax))

    async def main():
        stop = time.monotonic() + seconds
        await asyncio.gather(*(worker(stop) for _ in range(tasks)))
        await engine.dispose()

    asyncio.run(main())


def run_sqlalchemy_psycopg2(args, app, tasks, tmin, tmax, seconds, errors):
    from sqlalchemy import create_engine, text

    engine = create_engine(
        f"postgresql+psycopg2://{APP_ROLE}@/{args.dbname}",
        connect_args={"host": args.host, "port": args.port, "application_name": app},
        pool_size=args.pool, max_overflow=0, pool_timeout=60, pool_pre_ping=True)
    stop = time.monotonic() + seconds

    def worker():
        while time.monotonic() < stop:
            try:
                with engine.begin() as conn:
                    conn.execute(text("SELECT 1"))
                    conn.execute(text("SELECT pg_sleep(0.002)"))
            except Exception as exc:
                errors.append(repr(exc))
            time.sleep(think(tmin, tmax))

    threads = [threading.Thread(target=worker) for _ in range(tasks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()


def check_connection(conn):
    """psycopg_pool's ConnectionPool.check_connection (3.2): an empty query
    in autocommit; raises if the connection is dead."""
    if conn.autocommit:
        conn.execute("")
    else:
        conn.autocommit = True
        try:
            conn.execute("")
        finally:
            conn.autocommit = False


def run_psycopg_pool(args, app, tasks, tmin, tmax, seconds, errors):
    import psycopg_pool

    conninfo = (f"host={args.host} port={args.port} dbname={args.dbname} "
                f"user={APP_ROLE} application_name={app}")
    pool = psycopg_pool.ConnectionPool(conninfo, min_size=args.pool, max_size=args.pool,
                                       timeout=60)
    pool.wait()
    stop = time.monotonic() + seconds

    def getconn_checked():
        # what check=ConnectionPool.check_connection does from psycopg_pool
        # 3.2 on: a connection that fails the check is discarded, another
        # one is taken
        while True:
            conn = pool.getconn()
            try:
                check_connection(conn)
                return conn
            except psycopg.OperationalError:
                conn.close()
                pool.putconn(conn)

    def worker():
        while time.monotonic() < stop:
            try:
                conn = getconn_checked()
                try:
                    with conn.transaction():
                        conn.execute("SELECT 1")
                        conn.execute("SELECT pg_sleep(0.002)")
                finally:
                    pool.putconn(conn)
            except Exception as exc:
                errors.append(repr(exc))
            time.sleep(think(tmin, tmax))

    threads = [threading.Thread(target=worker) for _ in range(tasks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pool.close()


def run_asyncpg_pool(args, app, tasks, tmin, tmax, seconds, errors):
    import asyncpg

    async def main():
        pool = await asyncpg.create_pool(
            host=args.host, port=args.port, user=APP_ROLE, database=args.dbname,
            server_settings={"application_name": app},
            min_size=max(1, args.pool // 2), max_size=args.pool)
        stop = time.monotonic() + seconds

        async def worker():
            while time.monotonic() < stop:
                try:
                    async with pool.acquire() as con:
                        await con.fetchval("SELECT 1")
                        await con.execute("SELECT pg_sleep(0.002)")
                except Exception as exc:
                    errors.append(repr(exc))
                await asyncio.sleep(think(tmin, tmax))

        await asyncio.gather(*(worker() for _ in range(tasks)))
        await pool.close()

    asyncio.run(main())


def run_pgbench(args, app, tasks, tmin, tmax, seconds, errors):
    clients = min(tasks, args.pool)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write("BEGIN;\nSELECT 1;\nSELECT pg_sleep(0.002);\nCOMMIT;\n")
        if tmax > 0:
            f.write(f"\\set pause random({int(tmin * 1000)}, {int(tmax * 1000)})\n\\sleep :pause ms\n")
        script = f.name
    os.chmod(script, 0o644)
    env = dict(os.environ, PGAPPNAME=app, PGUSER=APP_ROLE)
    out = subprocess.run(
        [args.pgbench, "-n", "-h", args.host, "-p", str(args.port), "-f", script,
         "-c", str(clients), "-j", "2", "-T", str(int(seconds)), args.dbname],
        env=env, capture_output=True, text=True)
    os.unlink(script)
    for line in (out.stdout + out.stderr).splitlines():
        if "aborted in command" in line:
            errors.append(line.strip())


CLIENTS = {
    "sqlalchemy+asyncpg pre_ping": run_sqlalchemy_asyncpg,
    "sqlalchemy+psycopg2 pre_ping": run_sqlalchemy_psycopg2,
    "psycopg_pool check": run_psycopg_pool,
    "asyncpg pool (no ping)": run_asyncpg_pool,
    "pgbench (no retry)": run_pgbench,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dbname", required=True)
    ap.add_argument("--modes", default="auto")
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--loads", default=",".join(LOADS))
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--max-age-ms", type=int, default=1000)
    ap.add_argument("--naptime-ms", type=int, default=200)
    ap.add_argument("--pool", type=int, default=10)
    ap.add_argument("--pgbench", default="pgbench")
    ap.add_argument("--user", default="postgres", help="a superuser")
    args = ap.parse_args()
    # psycopg_pool logs every connection it discards: that is the check working
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)

    admin_info = f"host={args.host} port={args.port} dbname={args.dbname} user={args.user}"
    admin = psycopg.connect(admin_info, autocommit=True, application_name="bench-admin")
    if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone():
        admin.execute(f"CREATE ROLE {APP_ROLE} LOGIN")
    admin.execute(f"ALTER SYSTEM SET lifeguard.naptime = '{args.naptime_ms}ms'")
    bound = (args.max_age_ms + args.naptime_ms + 1000) / 1000.0
    print(f"max_age {args.max_age_ms} ms, naptime {args.naptime_ms} ms, pool of {args.pool}, "
          f"{args.seconds:g} s per cell; bound on the oldest age: max_age + naptime + 1 s = {bound:.1f} s")
    header = (f"{'recycle_at':<16}{'client':<30}{'load':<10}{'tasks':>6}{'recycles':>9}"
              f"{'due':>5}{'errors':>7}{'err/1000':>9}{'oldest s':>9}  result")
    rows = []
    for mode in args.modes.split(","):
        admin.execute(f"ALTER SYSTEM SET lifeguard.recycle_at = '{mode}'")
        admin.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)
        for client in args.clients.split(","):
            for load in args.loads.split(","):
                tasks, tmin, tmax = load_shape(load, args.pool)
                app = f"bench_{mode}_{client.split()[0].replace('+', '_')}_{load}"[:63]
                admin.execute("SELECT lifeguard.set_quota(%s, 100, 200, max_age => %s)",
                              (app, f"{args.max_age_ms} ms"))
                before = admin.execute(
                    "SELECT coalesce(sum(recycled), 0)::int FROM lifeguard.pool_stats "
                    "WHERE application_name = %s", (app,)).fetchone()[0]
                sampler = Sampler(admin_info, app)
                sampler.start()
                errors = []
                t0 = time.time()
                CLIENTS[client](args, app, tasks, tmin, tmax, args.seconds, errors)
                t1 = time.time()
                time.sleep(0.2)
                sampler.stop.set()
                sampler.join()
                recycled = admin.execute(
                    "SELECT coalesce(sum(recycled), 0)::int FROM lifeguard.pool_stats "
                    "WHERE application_name = %s", (app,)).fetchone()[0] - before
                # connections that were due: seen alive past max_age by more
                # than a worker cycle (the worker had asked them to end);
                # a pool may close younger ones itself (SQLAlchemy does,
                # for the whole pool, when a pre-ping fails)
                overdue = (args.max_age_ms + args.naptime_ms) / 1000.0 + 0.1
                due = sum(1 for (pid, start), (first, last) in sampler.pids.items()
                          if last - start > overdue)
                rate = 1000.0 * len(errors) / recycled if recycled else float("nan")
                ok_age = sampler.oldest <= bound + 0.1
                preping = "pre_ping" in client or "check" in client
                ok_err = (len(errors) == 0) if preping else (
                    rate <= 5 if client.startswith("asyncpg") else True)
                # (recycles may be fewer than due: SQLAlchemy invalidates
                # the whole pool when one pre-ping fails, and closes the
                # others itself)
                result = "ok" if ok_age and ok_err else "MISSED"
                row = (f"{mode:<16}{client:<30}{load:<10}{tasks:>6}{recycled:>9}{due:>5}"
                       f"{len(errors):>7}{rate:>9.1f}{sampler.oldest:>9.2f}  {result}")
                print(row, flush=True)
                if errors:
                    print(f"    first error: {errors[0][:160]}", flush=True)
                rows.append(row)
                admin.execute("SELECT lifeguard.drop_quota(%s)", (app,))
    admin.execute("ALTER SYSTEM RESET lifeguard.recycle_at")
    admin.execute("ALTER SYSTEM RESET lifeguard.naptime")
    admin.execute("SELECT pg_reload_conf()")
    admin.close()
    print()
    print(header)
    for row in rows:
        print(row)
    print("targets: 0 errors for pre-ping pools, <= 5 per 1,000 recycles for asyncpg's pool, "
          f"oldest <= {bound:.1f} s everywhere; pgbench never retries: "
          "each recycle aborts one client, at its BEGIN")


if __name__ == "__main__":
    main()
