#!/usr/bin/python3
"""Read valgrind memcheck logs; print the errors that are pg_lifeguard's.

Debian builds PostgreSQL without USE_VALGRIND, so memcheck reports
PostgreSQL's own known patterns (uninitialised padding written to the WAL
or to the relation cache init file, ...), often with pg_lifeguard further
down the stack only because its worker made the call.  An error counts as
pg_lifeguard's when, skipping C library and valgrind frames, its first
frame is in pg_lifeguard, or, for errors other than a system call
parameter, one of its first three PostgreSQL or pg_lifeguard frames is.

usage: valgrind_errors.py LOG...   (exit 1 when any error is ours)
"""
import re
import sys

OURS = re.compile(r"pg_lifeguard\.so|: (lg_|lifeguard_)\w+ \(")
SERVER = re.compile(r"\(in /usr/lib/postgresql/[^)]*/bin/postgres\)|: [A-Za-z_]\w* \(in /usr/lib/postgresql")
FRAME = re.compile(r"^==\d+==\s+(at|by) 0x")


def blocks(path):
    block = []
    for line in open(path, errors="replace"):
        if re.match(r"^==\d+==\s*$", line):
            if block:
                yield block
            block = []
        elif line.startswith("=="):
            block.append(line.rstrip("\n"))
    if block:
        yield block


def ours(block):
    relevant = [l for l in block if FRAME.match(l) and (OURS.search(l) or SERVER.search(l))]
    if not relevant:
        return False
    if OURS.search(relevant[0]):
        return True
    syscall = "Syscall param" in block[0]
    return not syscall and any(OURS.search(l) for l in relevant[:3])


def main():
    total = mine = 0
    for path in sys.argv[1:]:
        for b in blocks(path):
            if not any(FRAME.match(l) for l in b):
                continue        # headers, summaries
            total += 1
            if ours(b):
                mine += 1
                print("\n".join(b))
                print()
    print(f"valgrind: {total} error reports, {mine} in pg_lifeguard")
    return 1 if mine else 0


if __name__ == "__main__":
    sys.exit(main())
