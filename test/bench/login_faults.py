"""Page faults per login by where they fall (bench helper).

usage: login_faults.py LOGINS A_RUN... -- B_RUN...

Each RUN is a path prefix of three files written by test/bench/run for
one restart of a cluster:

    RUN.maps    /proc/<postmaster>/maps after the start (a backend
                inherits them; what it maps later counts as its own)
    RUN.shmem   "offset size name" of pg_shmem_allocations, by offset
    RUN.txt     perf script -F comm,event,trace of exceptions:page_fault_user
                and exceptions:page_fault_kernel over LOGINS logins

Private memory is "inherited" where the postmaster had it mapped at the
fork (its heap, anonymous memory and stack: a first write copies the
page) and "new" where a backend mapped it since (its heap's growth, its
own allocations).  Faults of every process named postgres (the postmaster's own after each
fork included) are divided by LOGINS.  Prints one line per class:

    CLASS<TAB>A<TAB>B

with A and B the means over each side's runs.
"""
import bisect
import re
import sys

CLASSES = [
    "pg_lifeguard.so",
    "pg_lifeguard shared memory",
    "shared buffers",
    "other shared memory",
    "postgres and other libraries",
    "private memory inherited",
    "private memory new",
]

FAULT = re.compile(r"^\s*(\S+)\s.*page_fault_(?:user|kernel):\s+address=0x([0-9a-f]+)")


def load_maps(path):
    maps = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            name = parts[5] if len(parts) > 5 else ""
            maps.append((lo, hi, parts[1], name))
    maps.sort()
    return maps


def load_shmem(path):
    """Named allocations by offset: each owns the bytes up to the next one,
    so a hash table's entries, allocated right after its header, count
    with it."""
    offs, names = [], []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) < 2 or not parts[0].isdigit():
                continue
            offs.append(int(parts[0]))
            names.append(parts[2] if len(parts) > 2 else "")
    return offs, names


def classify_run(prefix):
    maps = load_maps(prefix + ".maps")
    offs, names = load_shmem(prefix + ".shmem")
    starts = [m[0] for m in maps]
    # the main segment: the largest shared mapping (dynamic shared memory
    # segments are small)
    shared = [m for m in maps if m[2].endswith("s")]
    main = max(shared, key=lambda m: m[1] - m[0]) if shared else None
    counts = dict.fromkeys(CLASSES, 0)
    with open(prefix + ".txt") as f:
        for line in f:
            m = FAULT.match(line)
            if not m or m.group(1) != "postgres":
                continue
            addr = int(m.group(2), 16)
            i = bisect.bisect_right(starts, addr) - 1
            region = maps[i] if i >= 0 and addr < maps[i][1] else None
            if region is None:
                cls = "private memory new"
            elif region[3].endswith("/pg_lifeguard.so"):
                cls = "pg_lifeguard.so"
            elif region is main:
                j = bisect.bisect_right(offs, addr - main[0]) - 1
                name = names[j] if j >= 0 else ""
                if name.startswith("pg_lifeguard"):
                    cls = "pg_lifeguard shared memory"
                elif name == "Buffer Blocks":
                    cls = "shared buffers"
                else:
                    cls = "other shared memory"
            elif region[2].endswith("s"):
                cls = "other shared memory"
            elif region[3].startswith("/"):
                cls = "postgres and other libraries"
            else:
                cls = "private memory inherited"
            counts[cls] += 1
    return counts


def main():
    logins = int(sys.argv[1])
    args = sys.argv[2:]
    if "--" not in args:
        sys.exit("usage: login_faults.py LOGINS A_RUN... -- B_RUN...")
    k = args.index("--")
    sides = [args[:k], args[k + 1:]]
    means = []
    for runs in sides:
        if not runs:
            sys.exit("login_faults.py: each side needs a run")
        per = [classify_run(r) for r in runs]
        means.append({c: sum(p[c] for p in per) / len(per) / logins for c in CLASSES})
    for c in CLASSES + ["total"]:
        a = sum(means[0].values()) if c == "total" else means[0][c]
        b = sum(means[1].values()) if c == "total" else means[1][c]
        print(f"{c}\t{a:.1f}\t{b:.1f}")


if __name__ == "__main__":
    main()
