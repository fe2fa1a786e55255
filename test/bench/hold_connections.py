"""Hold N idle client connections open for a while (bench helper).

usage: hold_connections.py SOCKET_DIR PORT N SECONDS [APPS]

The connections are spread over APPS application names (default 10).
"""
import sys
import time

import psycopg

host, port, n, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
apps = int(sys.argv[5]) if len(sys.argv) > 5 else 10
conns = []
for i in range(n):
    conns.append(psycopg.connect(host=host, port=port, dbname="postgres",
                                 application_name=f"hold{i % apps}", autocommit=True))
time.sleep(secs)
for c in conns:
    c.close()
