#!/usr/bin/env python3
"""bench/pss_sample.py PID [--interval-ms MS] [--max-seconds S] [--once]
                          [--smaps-at-peak FILE]

Memory of a server and all its descendant processes (vsftpd, Pure-FTPd and
ProFTPD fork per session): the sum of Pss over the process tree rooted at PID,
read from /proc/N/smaps_rollup. Samples every MS (100) until SIGTERM/SIGINT or
S seconds (600), then prints one line:

  PSS peak_kib=K procs_at_peak=N samples=S last_kib=L

--once: one sample, printed the same way. --smaps-at-peak FILE: whenever a
new peak is seen, PID's own /proc/PID/smaps is copied to FILE (to see which
mappings hold the memory: heap, arenas, thread stacks, ...). Used by
bench/ftp.sh; not a test."""

import os
import signal
import sys
import time


def tree(root):
    """root and its descendants (by PPid, one scan of /proc)."""
    children = {}
    for e in os.scandir("/proc"):
        if not e.name.isdigit():
            continue
        try:
            with open(f"/proc/{e.name}/stat", "rb") as f:
                s = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses.
        rest = s[s.rfind(b")") + 2:].split()
        children.setdefault(int(rest[1]), []).append(int(e.name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, ()))
    return out


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def sample(root):
    procs = tree(root)
    return sum(pss_kib(p) for p in procs), len(procs)


def main():
    args = sys.argv[1:]
    if not args or not args[0].isdigit():
        sys.exit(__doc__)
    root = int(args.pop(0))
    interval, max_s, once, smaps_file = 0.1, 600.0, False, None
    while args:
        a = args.pop(0)
        if a == "--interval-ms":
            interval = int(args.pop(0)) / 1000
        elif a == "--max-seconds":
            max_s = float(args.pop(0))
        elif a == "--once":
            once = True
        elif a == "--smaps-at-peak":
            smaps_file = args.pop(0)
        else:
            sys.exit(__doc__)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    peak = peak_n = last = n = 0
    end = time.monotonic() + max_s
    while True:
        last, procs = sample(root)
        n += 1
        if last > peak:
            peak, peak_n = last, procs
            if smaps_file:
                try:
                    with open(f"/proc/{root}/smaps") as f, open(smaps_file, "w") as g:
                        g.write(f.read())
                except OSError:
                    pass
        if once or stop or time.monotonic() >= end or not os.path.exists(f"/proc/{root}"):
            break
        time.sleep(interval)
    print(f"PSS peak_kib={peak} procs_at_peak={peak_n} samples={n} last_kib={last}", flush=True)


if __name__ == "__main__":
    main()
