#!/usr/bin/env python3
"""Reduces a PostgreSQL log written with auto_explain (log_analyze, log_buffers) to the registry's own statements:
drops Npgsql's type loading and the bench's sampling queries, shortens long uuid array literals, and keeps, per
distinct statement text, its first plan and (when another) its slowest one.
Usage: explain_summary.py server-log-part > explain.txt"""
import re
import sys

text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
entries = re.split(r"\n(?=\d{4}-\d\d-\d\d [\d:.]+ UTC \[\d+\] LOG:  )", text)
first, slowest, keys = {}, {}, []
for e in entries:
    m = re.match(r".*? LOG:  duration: ([\d.]+) ms  plan:", e)
    if not m or "Query Text:" not in e or "pg_type" in e or "pg_reload_conf" in e or "TABLESAMPLE" in e \
            or "ORDER BY step DESC LIMIT 1" in e or "max(step) + 1" in e:
        continue
    e = re.sub(r"'\{([0-9a-f-]{36},){3,}[^}]*\}'", lambda x: "'{%d uuids}'" % (x.group(0).count(",") + 1), e.strip())
    query = e.split("Query Text:", 1)[1].split("(cost=", 1)[0].rsplit("\n", 1)[0].strip()
    ms = float(m.group(1))
    if query not in first:
        keys.append(query)
        first[query] = e
    if ms > slowest.get(query, (-1, ""))[0]:
        slowest[query] = (ms, e)
for q in keys:
    print(first[q])
    print()
    if slowest[q][1] != first[q]:
        print("-- slowest plan of the same statement:")
        print(slowest[q][1])
        print()
