#!/usr/bin/env python3
"""rss_by_mapping.py PID [TOP]: a process's resident memory from /proc/PID/smaps, grouped by what is mapped
(file name, [anon], [heap], memfd:doublemapper = the JIT's W^X code views), largest first, with the
smaps_rollup-style totals. Run it against Serving.Api idle and under load (bench/serving/README.md, "RSS")."""
import collections
import sys

pid, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25
by_mapping, totals, name = collections.Counter(), collections.Counter(), None
for line in open(f"/proc/{pid}/smaps"):
    parts = line.split()
    if not parts[0].endswith(":"):  # a mapping header: range perms offset dev inode [path]
        path = parts[5] if len(parts) > 5 else "[anon]"
        name = path.rsplit("/", 1)[-1] if path.startswith("/") else path
    elif parts[0] == "Rss:":
        by_mapping[name] += int(parts[1])
    if parts[0] in ("Rss:", "Anonymous:", "Shared_Clean:", "Private_Clean:", "Private_Dirty:"):
        totals[parts[0].rstrip(":")] += int(parts[1])
print(" ".join(f"{k}={v // 1024}MiB" for k, v in totals.items()))
for mapping, kb in by_mapping.most_common(top):
    print(f"{kb / 1024:7.1f} MiB  {mapping}")
