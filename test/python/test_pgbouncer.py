"""PgBouncer in front of the test cluster: attribution, per-client usage,
quotas and alerts, checked against PgBouncer's own SHOW POOLS / SHOW SERVERS.

Each test starts its own pgbouncer, as the unprivileged user the suite runs
as, on a free port, with its own ini in a temporary directory.  The tests are
skipped only when no pgbouncer program can be found (test/deps installs
Debian's package).
"""
import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from conftest import psycopg, reload_settings, wait_for

POOL_ROLE = "bouncer_app"


def _pgbouncer_program():
    found = shutil.which("pgbouncer")
    if found:
        return found
    for d in ("/usr/sbin", "/usr/local/sbin", "/usr/local/bin"):
        p = os.path.join(d, "pgbouncer")
        if os.access(p, os.X_OK):
            return p
    return None


PGBOUNCER = _pgbouncer_program()
needs_pgbouncer = pytest.mark.skipif(PGBOUNCER is None, reason="pgbouncer is not installed")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bouncer:
    """One pgbouncer process with its own ini, log and port."""

    def __init__(self, pg, workdir, mode, pool_size, dbextra="", extra=""):
        self.pg = pg
        self.port = _free_port()
        self.dir = workdir
        self.log = os.path.join(workdir, "pgbouncer.log")
        with open(os.path.join(workdir, "users.txt"), "w") as f:
            f.write(f'"{POOL_ROLE}" ""\n"{pg["PGUSER"]}" ""\n')
        ini = os.path.join(workdir, "pgbouncer.ini")
        with open(ini, "w") as f:
            f.write(f"""[databases]
shop = host={pg["PGHOST"]} port={pg["PGPORT"]} dbname={pg["PGDATABASE"]} {dbextra}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir}/users.txt
admin_users = {pg["PGUSER"]}
pool_mode = {mode}
default_pool_size = {pool_size}
max_client_conn = 100
server_login_retry = 1
logfile = {self.log}
pidfile = {workdir}/pgbouncer.pid
{extra}
""")
        self.proc = subprocess.Popen([PGBOUNCER, ini], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT)
        ok = wait_for(self._listening, timeout=10)
        assert ok, "pgbouncer did not start: " + self.log_text()

    def _listening(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def connect(self, app):
        return psycopg.connect(host="127.0.0.1", port=self.port, user=POOL_ROLE,
                               dbname="shop", application_name=app, autocommit=True,
                               prepare_threshold=None)  # transaction pooling

    def show(self, what):
        """SHOW <what> on the admin console (simple protocol: psql)."""
        out = subprocess.run(
            ["psql", "-X", "-q", "-A", "-F", "\t", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", self.pg["PGUSER"], "-d", "pgbouncer", "-c", f"SHOW {what}"],
            check=True, capture_output=True, text=True,
            # pgbouncer 1.18 speaks protocol 3.0 only, and the psql of a
            # newer release may ask for more (older ones ignore the variable)
            env=dict(os.environ, PGMAXPROTOCOLVERSION="3.0")).stdout.splitlines()
        header = out[0].split("\t")
        return [dict(zip(header, line.split("\t"))) for line in out[1:]
                if "\t" in line and not line.startswith("(")]

    def servers(self):
        return [s for s in self.show("SERVERS") if s["database"] == "shop"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def bouncer_env(pg, admin, tmp_path):
    """The pool role, a clean pooler table, and settings restored after."""
    if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (POOL_ROLE,)).fetchone():
        admin.execute(f"CREATE ROLE {POOL_ROLE} LOGIN")
    started = []
    quotas = []

    def start(mode, pool_size, dbextra="", extra="", **settings):
        reload_settings(admin, **settings)
        admin.execute("SELECT lifeguard.reset_stats()")
        d = tmp_path / f"b{len(started)}"
        d.mkdir()
        b = Bouncer(pg, str(d), mode, pool_size, dbextra, extra)
        started.append(b)
        return b

    def settings(**kw):
        reload_settings(admin, **kw)
        admin.execute("SELECT lifeguard.reset_stats()")

    start.quotas = quotas
    start.settings = settings
    yield start
    for b in started:
        b.stop()
    for app in quotas:
        admin.execute("SELECT lifeguard.drop_quota(%s)", (app,))
    reload_settings(admin, pooler_roles=None, pooler_application_names=None,
                    pooler_alert_threshold=None, pooler_alert_hold=None)
    # the pool role's server connections end with pgbouncer
    wait_for(lambda: admin.execute(
        "SELECT count(*) = 0 FROM pg_stat_activity WHERE usename = %s",
        (POOL_ROLE,)).fetchone()[0])


def drive(bouncer, app, threads, xacts, sleep_s, errors):
    """`threads` clients named `app`, each running `xacts` transactions of
    pg_sleep(sleep_s) through pgbouncer."""
    def client():
        try:
            with bouncer.connect(app) as conn:
                for _ in range(xacts):
                    conn.execute("SELECT pg_sleep(%s)", (sleep_s,))
        except Exception as exc:  # every client-visible failure
            errors.append((app, exc))
    return [threading.Thread(target=client) for _ in range(threads)]


def usage(admin, pool_app=""):
    rows = admin.execute(
        """SELECT client_application, server_connections, linked, in_use, transactions,
                  extract(epoch FROM busy_time)::float8, busy_share::float8
             FROM lifeguard.pooler_usage
            WHERE pool_application = %s AND pool_role = %s""",
        (pool_app, POOL_ROLE)).fetchall()
    return {r[0]: dict(server_connections=r[1], linked=r[2], in_use=r[3],
                       transactions=r[4], busy_s=r[5], busy_share=r[6]) for r in rows}


def backends_by_connect_name(admin):
    return dict(admin.execute(
        """SELECT application_name, count(*) FROM lifeguard.backends
            WHERE usename = %s GROUP BY 1""", (POOL_ROLE,)).fetchall())


@needs_pgbouncer
def test_transaction_pooling_shares_match_load(admin, bouncer_env):
    """Transaction pooling, no application_name in [databases]: server
    connections count under '' in pool_stats, and the per-client view's
    busy shares match the driven load (3 : 2 : 1) within 10 %."""
    b = bouncer_env("transaction", 5, pooler_roles=POOL_ROLE)
    weights = {"web": 3, "worker": 2, "other": 1}
    xacts, sleep_s = 25, 0.02
    errors = []
    threads = []
    for app, n in weights.items():
        threads += drive(b, app, n, xacts, sleep_s, errors)
    for t in threads:
        t.start()
    # while the load runs, the pool is full: PgBouncer's view and ours agree
    seen_full = wait_for(lambda: len(b.servers()) == 5, timeout=10)
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert seen_full

    servers = b.servers()
    pools = [p for p in b.show("POOLS") if p["database"] == "shop"]
    assert len(pools) == 1 and pools[0]["user"] == POOL_ROLE
    sv_total = sum(int(pools[0][k]) for k in ("sv_active", "sv_idle", "sv_used",
                                              "sv_tested", "sv_login"))
    assert sv_total == len(servers) == 5

    # attribution of pool_stats (connect time): all under '' as README says
    assert backends_by_connect_name(admin) == {"": len(servers)}
    in_stats = admin.execute(
        "SELECT connections FROM lifeguard.pool_stats WHERE application_name = ''").fetchone()[0]
    assert in_stats >= len(servers)

    u = usage(admin)
    assert set(weights) <= set(u), u
    # every server connection is linked to (last used by) one client
    assert sum(r["linked"] for r in u.values()) == len(servers)
    assert all(r["server_connections"] == len(servers) for r in u.values()), \
        admin.execute("SELECT * FROM lifeguard.pooler_usage").fetchall()
    total_driven = sum(weights.values())
    print("pgbouncer transaction pooling, busy_share by client:",
          {app: round(u[app]["busy_share"], 3) for app in weights},
          "expected:", {app: round(n / total_driven, 3) for app, n in weights.items()})
    for app, n in weights.items():
        driven = n * xacts
        # each driven transaction, plus at most one SET per link
        assert driven <= u[app]["transactions"] <= 2 * driven, (app, u[app])
        assert u[app]["busy_s"] >= driven * sleep_s, (app, u[app])
        expected = n / total_driven
        assert abs(u[app]["busy_share"] - expected) <= 0.1 * expected, (app, u[app], expected)

    # the same numbers reach lifeguard.metrics
    m = admin.execute(
        """SELECT labels->>'client', value FROM lifeguard.metrics
            WHERE metric = 'lifeguard_pooler_transactions_total'
              AND labels->>'role' = %s""", (POOL_ROLE,)).fetchall()
    assert {k: int(v) for k, v in m if k in weights} == \
        {app: u[app]["transactions"] for app in weights}


@needs_pgbouncer
def test_session_pooling_named_pool(admin, bouncer_env):
    """Session pooling with application_name=shop_db in [databases]: server
    connections count under shop_db; each one shows the client it is linked
    to, as SHOW SERVERS counts them; after release they show shop_db again."""
    b = bouncer_env("session", 5, "application_name=shop_db",
                    pooler_application_names="shop_db")
    held = {"web": 2, "worker": 1, "other": 1}
    conns = []
    for app, n in held.items():
        for _ in range(n):
            c = b.connect(app)
            c.execute("SELECT 1")
            conns.append(c)

    servers = b.servers()
    active = [s for s in servers if s["state"] == "active"]
    assert len(active) == len(conns) == 4
    assert backends_by_connect_name(admin) == {"shop_db": len(servers)}
    assert admin.execute(
        "SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'shop_db'"
    ).fetchone()[0] == len(servers)
    u = usage(admin, "shop_db")
    assert {app: u[app]["linked"] for app in held} == held
    assert all(u[app]["server_connections"] == len(servers) for app in held)
    # idle in a session: linked, not in use
    assert all(u[app]["in_use"] == 0 for app in held)

    # a client's SET application_name moves its usage, never its quota entry
    conns[0].execute("SET application_name = 'renamed'")
    assert usage(admin, "shop_db")["renamed"]["linked"] == 1
    assert backends_by_connect_name(admin) == {"shop_db": len(servers)}

    for c in conns:
        c.close()
    # released: PgBouncer's DISCARD ALL resets the name to the connect-time one
    assert wait_for(lambda: usage(admin, "shop_db").get("shop_db", {}).get("linked") == 4)


@needs_pgbouncer
def test_application_name_add_host(admin, bouncer_env):
    """application_name_add_host appends each client's address and port to
    the name PgBouncer sets: pool_stats is unchanged (connect-time name),
    and pooler_usage cuts the suffix, so a client application stays one."""
    b = bouncer_env("session", 5, extra="application_name_add_host = 1",
                    pooler_roles=POOL_ROLE)
    conns = []
    for app in ("web", "web", "worker"):
        c = b.connect(app)
        c.execute("SELECT 1")
        conns.append(c)
    names = [r[0] for r in admin.execute(
        "SELECT application_name FROM pg_stat_activity WHERE usename = %s", (POOL_ROLE,))]
    assert len(names) == 3 and all(" - 127.0.0.1:" in n for n in names), names
    assert backends_by_connect_name(admin) == {"": 3}
    u = usage(admin)
    assert {k: v["linked"] for k, v in u.items() if v["linked"]} == {"web": 2, "worker": 1}
    for c in conns:
        c.close()


@needs_pgbouncer
def test_quota_on_pooler_name_refuses_at_hard_limit(admin, bouncer_env):
    """A hard limit on the pool's connect-time name holds PgBouncer's server
    connections to it (53300 for the extra ones); clients still get served by
    the connections the limit allows, and a client that bypasses PgBouncer
    under that name is refused."""
    admin.execute("SELECT lifeguard.set_quota('shop_db', 2, 3)")
    bouncer_env.quotas.append("shop_db")
    b = bouncer_env("transaction", 5, "application_name=shop_db", pooler_roles=POOL_ROLE)
    # one server connection first, so that the clients below wait for a
    # server as linked clients, not for their own login
    with b.connect("web") as c:
        c.execute("SELECT 1")
    errors = []
    threads = drive(b, "web", 5, 5, 0.1, errors)
    peak = [0]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            n = admin.execute(
                "SELECT connections FROM lifeguard.pool_stats WHERE application_name = 'shop_db'"
            ).fetchone()
            peak[0] = max(peak[0], n[0] if n else 0)
            time.sleep(0.02)

    w = threading.Thread(target=watch)
    w.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    stop.set()
    w.join()
    assert not errors, errors
    assert peak[0] <= 3
    assert len(b.servers()) <= 3
    rejected = admin.execute(
        "SELECT rejected FROM lifeguard.pool_stats WHERE application_name = 'shop_db'").fetchone()[0]
    assert rejected >= 1
    assert "too many connections for application" in b.log_text()

    # the pool is at its limit: a direct login under its name is refused
    assert wait_for(lambda: len(b.servers()) == 3)
    # (asyncpg reports the SQLSTATE of a refused login; libpq does not)
    asyncpg = pytest.importorskip("asyncpg")

    async def direct():
        conn = await asyncpg.connect(host=admin.info.host, port=admin.info.port,
                                     user=POOL_ROLE, database=admin.info.dbname,
                                     server_settings={"application_name": "shop_db"})
        await conn.close()

    with pytest.raises(asyncpg.PostgresError) as exc:
        asyncio.run(direct())
    assert exc.value.sqlstate == "53300"
    assert 'too many connections for application "shop_db"' in str(exc.value)


@needs_pgbouncer
def test_alert_when_one_client_holds_the_pool(admin, bouncer_env):
    """One client keeping every server connection of a pool busy raises a
    pooler alert (lifeguard.alerts, event, NOTIFY); a light client does not;
    the alert clears once the load stops."""
    b = bouncer_env("transaction", 2, "application_name=alert_db", pooler_roles=POOL_ROLE,
                    pooler_alert_threshold="0.8", pooler_alert_hold="1s")
    listener = psycopg.connect(host=admin.info.host, port=admin.info.port,
                               user=admin.info.user, dbname=admin.info.dbname,
                               autocommit=True)
    payloads = []
    listener.add_notify_handler(lambda n: payloads.append(n.payload))
    listener.execute("LISTEN lifeguard_alert")
    errors = []
    heavy = drive(b, "web", 4, 20, 0.2, errors)   # about 4 s of a full pool
    for t in heavy:
        t.start()

    def light():
        with b.connect("other") as c:
            for _ in range(10):
                c.execute("SELECT 1")
                time.sleep(0.3)
    lt = threading.Thread(target=light)
    lt.start()

    raised = wait_for(lambda: admin.execute(
        "SELECT count(*) FROM lifeguard.alerts WHERE scope = 'pooler' AND application_name = 'web'"
    ).fetchone()[0] == 1, timeout=20)
    for t in heavy + [lt]:
        t.join(timeout=60)
    assert not errors, errors
    assert raised
    assert admin.execute(
        "SELECT count(*) FROM lifeguard.alerts WHERE scope = 'pooler' AND application_name = 'other'"
    ).fetchone()[0] == 0
    ev = admin.execute(
        """SELECT detail->>'pool', (detail->>'share')::float8, usename FROM lifeguard.events
            WHERE kind = 'alert_raised' AND detail->>'scope' = 'pooler'
              AND application_name = 'web'""").fetchall()
    assert len(ev) == 1 and ev[0][0] == "alert_db" and ev[0][1] >= 0.8 and ev[0][2] == POOL_ROLE

    # load gone: the next window's mean is below the threshold
    assert wait_for(lambda: admin.execute(
        "SELECT count(*) FROM lifeguard.alerts WHERE scope = 'pooler'").fetchone()[0] == 0,
        timeout=20)
    # notifications arrive with the next command the listener runs
    wait_for(lambda: listener.execute("SELECT 1") and len(payloads) >= 2, timeout=5)
    listener.close()
    assert any('"scope": "pooler"' in p and '"kind": "alert_raised"' in p and '"application": "web"' in p
               for p in payloads), payloads


def test_name_flood_is_bounded(admin, bouncer_env):
    """A pooler backend whose client invents names fills at most
    lifeguard.max_pooler_clients pairs; the rest is counted as untracked,
    and its quota entry never moves.  (No pgbouncer needed: any session of
    a pooler role behaves the same.)"""
    bouncer_env.settings(pooler_roles=POOL_ROLE)
    cap = int(admin.execute("SHOW lifeguard.max_pooler_clients").fetchone()[0])
    names = cap + 50
    with psycopg.connect(host=admin.info.host, port=admin.info.port, user=POOL_ROLE,
                         dbname=admin.info.dbname, application_name="flooder",
                         autocommit=True) as c:
        for i in range(names):
            c.execute(f"SET application_name = 'junk{i}'")
        tracked = admin.execute(
            "SELECT count(*) FROM lifeguard.pooler_usage WHERE first_seen IS NOT NULL").fetchone()[0]
        untracked = admin.execute("SELECT lifeguard.pooler_untracked_transactions()").fetchone()[0]
        assert tracked == cap
        # every SET is one transaction, plus the login's own
        assert tracked_transactions(admin) + untracked == names + 1
        assert backends_by_connect_name(admin) == {"flooder": 1}


def tracked_transactions(admin):
    return admin.execute(
        "SELECT sum(transactions) FROM lifeguard.pooler_usage WHERE pool_role = %s",
        (POOL_ROLE,)).fetchone()[0]
