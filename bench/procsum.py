#!/usr/bin/python3
"""bench/procsum.py cpu|pss PID... - the CPU ticks (utime + stime +
cutime + cstime) or the Pss (KiB, smaps_rollup) summed over the given
processes and all their descendants, from /proc. For the load scripts
(benchlib.sh's procsum)."""
import os
import sys

what, roots = sys.argv[1], set(int(p) for p in sys.argv[2:])
kids = {}
for d in os.listdir('/proc'):
    if d.isdigit():
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read()
        except OSError:
            continue
        kids.setdefault(int(st[st.rindex(')') + 2:].split()[1]),
                        []).append(int(d))
todo, seen = list(roots), set()
while todo:
    p = todo.pop()
    if p not in seen:
        seen.add(p)
        todo += kids.get(p, [])
total = 0
for p in seen:
    try:
        if what == 'cpu':
            with open('/proc/%d/stat' % p) as f:
                st = f.read()
            total += sum(int(x) for x in st[st.rindex(')') + 2:].split()[11:15])
        else:
            with open('/proc/%d/smaps_rollup' % p) as f:
                for line in f:
                    if line.startswith('Pss:'):
                        total += int(line.split()[1])
    except OSError:
        pass
print(total)
