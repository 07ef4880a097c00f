#!/usr/bin/env python3
"""JSON helpers for scripts/run-local.sh (bash has no JSON): read fields, build request bodies."""
import csv
import json
import sys


def field(doc, path):
    for part in path.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return "" if doc is None else doc


def main(cmd, *args):
    if cmd == "get":  # get <dotted.path> [default]  (JSON on stdin)
        value = field(json.load(sys.stdin), args[0])
        print(value if value != "" else (args[1] if len(args) > 1 else ""))
    elif cmd == "spec":  # spec <job-spec.json> <dotted.path> [default]
        with open(args[0]) as f:
            value = field(json.load(f), args[1])
        print(value if value != "" else (args[2] if len(args) > 2 else ""))
    elif cmd == "submit":  # submit <job-spec.json> <idempotency-key>: a SubmitJobRequest
        with open(args[0]) as f:
            print(json.dumps({"spec": json.load(f), "idempotencyKey": args[1]}))
    elif cmd == "predict":  # predict <dataset.csv> <label> <rows>: the first rows without the label
        with open(args[0], newline="") as f:
            rows = [r for _, r in zip(range(int(args[2])), csv.DictReader(f))]
        def value(text):
            if text == "":
                return None
            try:
                return float(text) if any(c in text for c in ".eE") else int(text)
            except ValueError:
                return text
        print(json.dumps({"instances": [{k: value(v) for k, v in r.items() if k != args[1]} for r in rows]}))
    elif cmd == "pretty":
        print(json.dumps(json.load(sys.stdin), indent=2))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(*sys.argv[1:])
