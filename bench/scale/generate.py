#!/usr/bin/python3
"""Deterministic credit-scoring-shaped data for the scale benchmark (never committed).

Usage: generate.py ROWS OUT_CSV [--seed 13] [--source ../shared/datasets/credit_scoring.csv]

Same header, column types, quoting and missing-value rates as credit_scoring.csv (4,454 rows): each column is drawn
on its own from the source's marginal distribution (categorical: level frequencies; numeric: an observed value with
a little seeded jitter, kept in the observed range and integral like the source), and the label `Status` comes
from a fixed risk score of several columns plus noise (`bad` about 30 %), so a model has something to learn and
the test metric means something. Rows are i.i.d., so the first 80 % train and the last 20 % test on both sides.

Deterministic: the same ROWS, seed and source give the same bytes on every machine (numpy's PCG64, written in
fixed-size chunks each seeded from (seed, chunk index)); the 1x file is not a prefix of the 10x one.
"""
import argparse
import os
import sys

import numpy as np
import pandas as pd

CHUNK = 250_000
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOURCE = os.path.normpath(os.path.join(HERE, "../../../shared/datasets/credit_scoring.csv"))


def marginals(source):
    df = pd.read_csv(source, keep_default_na=False, na_values=[""])
    columns = []
    for name in df.columns:
        col = df[name]
        missing = float(col.isna().mean())
        present = col.dropna()
        if col.dtype == object:
            counts = present.value_counts().sort_index()
            columns.append((name, "cat", missing, (counts.index.to_numpy(), (counts / counts.sum()).to_numpy())))
        else:
            values = np.sort(present.to_numpy(dtype=np.float64))
            columns.append((name, "num", missing, (values, float(np.std(values)) or 1.0)))
    return columns


def draw(columns, n, rng):
    out = {}
    for name, kind, missing, params in columns:
        if name == "Status":
            continue
        if kind == "cat":
            levels, p = params
            values = levels[rng.choice(len(levels), size=n, p=p)].astype(object)
        else:
            observed, spread = params
            picked = observed[rng.integers(0, len(observed), size=n)]
            jitter = rng.normal(0.0, 0.05 * spread, size=n)
            values = np.clip(np.rint(picked + jitter), observed[0], observed[-1])
        if missing > 0:
            values = values.astype(object) if kind == "cat" else values
            hole = rng.random(n) < missing
            values[hole] = None if kind == "cat" else np.nan
        out[name] = values
    # The label: a fixed risk score plus noise (no peeking at the source's labels, so any model's error is the noise).
    income = np.nan_to_num(out["Income"], nan=130.0)
    debt = np.nan_to_num(out["Debt"], nan=0.0)
    z = (-1.3
         + 1.1 * (out["Records"] == "yes")
         + 0.8 * (out["Job"] == "partime") + 0.4 * (out["Job"] == "freelance")
         - 0.05 * np.minimum(out["Seniority"], 25.0)
         + 0.5 * np.isin(out["Home"], ["rent", "other", "ignore"]) - 0.3 * (out["Home"] == "owner")
         + 1.5 * (out["Amount"] / np.maximum(out["Price"], 1.0) - 0.75)
         - 0.6 * np.log(np.maximum(income, 1.0) / np.maximum(out["Expenses"], 1.0))
         + 0.15 * np.log1p(debt)
         + 0.01 * (out["Time"] - 46.0)
         + 0.4 * np.sin(out["Age"] / 6.0)
         + rng.normal(0.0, 0.5, size=n))
    bad = rng.random(n) < 1.0 / (1.0 + np.exp(-z))
    out["Status"] = np.where(bad, "bad", "good").astype(object)
    return out


def write_chunk(writer, columns, data, n):
    # Strings quoted, numbers bare and integral, missing = empty field: the source's own format.
    cells = []
    for name, kind, _, _ in columns:
        values = data[name]
        if kind == "cat":
            cells.append(['' if v is None else '"' + v + '"' for v in values])
        else:
            cells.append(['' if v != v else str(int(v)) for v in values.tolist()])
    writer.writelines(",".join(row) + "\n" for row in zip(*cells))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--source", default=DEFAULT_SOURCE)
    args = ap.parse_args()
    if args.rows < 10:
        sys.exit("rows must be at least 10")
    columns = marginals(args.source)
    tmp = args.out + ".partial"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        f.write(",".join('"' + name + '"' for name, _, _, _ in columns) + "\n")
        for chunk, start in enumerate(range(0, args.rows, CHUNK)):
            n = min(CHUNK, args.rows - start)
            rng = np.random.default_rng([args.seed, chunk])
            write_chunk(f, columns, draw(columns, n, rng), n)
    os.replace(tmp, args.out)
    print(f"generated {args.rows} rows -> {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
