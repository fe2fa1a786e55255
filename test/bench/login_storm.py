"""A login storm (bench helper): N clients connect at once, ROUNDS times.

usage: login_storm.py SOCKET_DIR PORT N ROUNDS APPLICATION

Each client thread waits at a barrier, connects, runs SELECT 1 and
disconnects; the time from the barrier to the end of the connect is its
login latency.  Prints one line:

    admitted=A refused=R p50_ms=X p99_ms=Y refused_p50_ms=Z

where the percentiles are over admitted logins and refused_p50_ms over
refused ones (nan if none).
"""
import statistics
import sys
import threading
import time

import psycopg2

host, port, n, rounds, app = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
dsn = f"host={host} port={port} dbname=postgres application_name={app}"
admitted, refused = [], []
lock = threading.Lock()


def client(barrier, state):
    barrier.wait()
    t0 = time.perf_counter()
    conn = None
    try:
        conn = psycopg2.connect(dsn)
        took = time.perf_counter() - t0
        with lock:
            admitted.append(took)
    except psycopg2.OperationalError as exc:
        took = time.perf_counter() - t0
        if "too many connections" not in str(exc):
            raise
        with lock:
            refused.append(took)
    # hold the place until every client of the round has tried
    with lock:
        state["tried"] += 1
        if state["tried"] == n:
            state["all"].set()
    state["all"].wait(timeout=60)
    if conn is not None:
        conn.close()


for _ in range(rounds):
    barrier = threading.Barrier(n)
    state = {"tried": 0, "all": threading.Event()}
    threads = [threading.Thread(target=client, args=(barrier, state)) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.2 if n > 1 else 0.02)


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


print(f"admitted={len(admitted)} refused={len(refused)} p50_ms={pct(admitted, 0.5):.2f} "
      f"p99_ms={pct(admitted, 0.99):.2f} refused_p50_ms={pct(refused, 0.5):.2f}")
