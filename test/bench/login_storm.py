"""A login storm (bench helper): N clients connect at once, ROUNDS times.

usage: login_storm.py SOCKET_DIR N ROUNDS PORT:APPLICATION...

With more than one PORT:APPLICATION, each round storms every server at the
same time: N clients each, all waiting at one barrier, their threads
started in turn (and the first server alternating from round to round), so
that the servers share the machine as the connect path pairs do and load
from outside falls on all of them alike.  Each client connects, and holds
its connection until every client of the round has tried; the time from
the barrier to the end of the connect is its login latency.  Prints one
line per PORT:APPLICATION, in the order given:

    admitted=A refused=R p50_ms=X p99_ms=Y refused_p50_ms=Z

where the percentiles are over admitted logins and refused_p50_ms over
refused ones (nan if none).
"""
import sys
import threading
import time

import psycopg2

host, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
targets = []
for spec in sys.argv[4:]:
    port, _, app = spec.partition(":")
    targets.append(f"host={host} port={int(port)} dbname=postgres application_name={app}")
if not targets:
    sys.exit("usage: login_storm.py SOCKET_DIR N ROUNDS PORT:APPLICATION...")
admitted = [[] for _ in targets]
refused = [[] for _ in targets]
lock = threading.Lock()
total = n * len(targets)


def client(k, barrier, state):
    barrier.wait()
    t0 = time.perf_counter()
    conn = None
    try:
        conn = psycopg2.connect(targets[k])
        took = time.perf_counter() - t0
        with lock:
            admitted[k].append(took)
    except psycopg2.OperationalError as exc:
        took = time.perf_counter() - t0
        if "too many connections" not in str(exc):
            raise
        with lock:
            refused[k].append(took)
    # hold the place until every client of the round has tried
    with lock:
        state["tried"] += 1
        if state["tried"] == total:
            state["all"].set()
    state["all"].wait(timeout=60)
    if conn is not None:
        conn.close()


for r in range(rounds):
    barrier = threading.Barrier(total)
    state = {"tried": 0, "all": threading.Event()}
    order = [(i + r) % len(targets) for i in range(len(targets))]
    threads = [threading.Thread(target=client, args=(k, barrier, state))
               for _ in range(n) for k in order]
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


for k in range(len(targets)):
    print(f"admitted={len(admitted[k])} refused={len(refused[k])} p50_ms={pct(admitted[k], 0.5):.2f} "
          f"p99_ms={pct(admitted[k], 0.99):.2f} refused_p50_ms={pct(refused[k], 0.5):.2f}")
