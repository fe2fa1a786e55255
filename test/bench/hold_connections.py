"""Hold N idle client connections open for a while (bench helper).

usage: hold_connections.py SOCKET_DIR PORT N SECONDS
"""
import sys
import time

import psycopg

host, port, n, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
conns = []
for i in range(n):
    conns.append(psycopg.connect(host=host, port=port, dbname="postgres",
                                 application_name=f"hold{i % 10}", autocommit=True))
time.sleep(secs)
for c in conns:
    c.close()
