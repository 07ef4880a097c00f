#!/usr/bin/python3
"""Write the exact train/test rows that ../shared/bench/peers/train.py uses, as CSV files.

Usage: export_split.py CSV TARGET OUT_DIR

train.py splits np.arange(len(df)) with train_test_split(test_size=0.2, random_state=42) after reading the CSV
with pandas; this does the same split on the same row count and copies the original CSV records (raw text, so
"None" stays a level and empty fields stay missing) into OUT_DIR/train.csv and OUT_DIR/test.csv, in the order
train.py feeds them to XGBoost.
"""
import csv
import os
import sys

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

SEED = 42


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    path, target, out = sys.argv[1:]
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    if target not in df.columns:
        sys.exit(f"target column {target!r} not in {path}")
    idx_train, idx_test = train_test_split(np.arange(len(df)), test_size=0.2, random_state=SEED)

    with open(path, newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    header, rows = records[0], records[1:]
    if len(rows) != len(df):
        sys.exit(f"csv module read {len(rows)} rows, pandas {len(df)}")

    os.makedirs(out, exist_ok=True)
    for name, idx in (("train.csv", idx_train), ("test.csv", idx_test)):
        with open(os.path.join(out, name), "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows[i] for i in idx)
    print(f"split          train={len(idx_train)} test={len(idx_test)} (train_test_split, random_state={SEED})")


if __name__ == "__main__":
    main()
