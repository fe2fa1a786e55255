"""postgres_exporter with contrib/postgres_exporter/queries.yaml exports the
per-application gauges and counters."""
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import APP_ROLE, wait_for

EXPORTER = shutil.which("prometheus-postgres-exporter") or "/usr/bin/prometheus-postgres-exporter"
SRC = os.environ.get("LIFEGUARD_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
QUERIES = os.path.join(SRC, "contrib", "postgres_exporter", "queries.yaml")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def exporter(pg):
    if not os.access(EXPORTER, os.X_OK):
        pytest.skip("prometheus-postgres-exporter is not installed")
    port = free_port()
    env = dict(os.environ)
    env["DATA_SOURCE_NAME"] = (f"host={pg['PGHOST']} port={pg['PGPORT']} user={pg['PGUSER']} "
                               f"dbname={pg['PGDATABASE']} sslmode=disable")
    proc = subprocess.Popen(
        [EXPORTER, f"--web.listen-address=127.0.0.1:{port}",
         f"--extend.query-path={QUERIES}", "--disable-settings-metrics"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    yield f"http://127.0.0.1:{port}/metrics"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def scrape(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.read().decode()
    except OSError:
        return ""


def test_exporter_shows_applications(pg, admin, exporter):
    psycopg = pytest.importorskip("psycopg")
    conns = [psycopg.connect(host=pg["PGHOST"], port=pg["PGPORT"], user=APP_ROLE,
                             dbname=pg["PGDATABASE"], application_name="exported")
             for _ in range(2)]
    try:
        gauge = re.compile(r'^lifeguard_pool_connections\{[^}]*application="exported"[^}]*\} 2$', re.M)
        body = wait_for(lambda: (lambda b: b if gauge.search(b) else "")(scrape(exporter)), timeout=30,
                        interval=0.5)
        assert gauge.search(body), body[-2000:]
        assert re.search(r'^lifeguard_pool_opened\{[^}]*application="exported"[^}]*\} [1-9]', body, re.M)
        assert re.search(r'^lifeguard_server_usable\{[^}]*\} \d+', body, re.M)
        assert re.search(r'^lifeguard_server_worker_up\{[^}]*\} 1$', body, re.M)
    finally:
        for c in conns:
            c.close()
