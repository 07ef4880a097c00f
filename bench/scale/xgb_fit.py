#!/usr/bin/python3
"""XGBoost `hist` on the scale benchmark's rows, the peer of ScaleBench: same CSV, same split, same thread count.

Usage: xgb_fit.py CSV ROWS THREADS ITERATIONS

Reads the CSV as ../shared/bench/peers/train.py does (pandas; empty field = missing), label Status with `bad` = 1,
every string column as category codes learned on the training rows (unseen -> missing); the first
ROWS - round(ROWS * 0.2) rows train and the rest test, exactly as ScaleBench splits them. XGBClassifier(hist,
max_depth 6 (<= 64 leaves, ours 63), learning_rate 0.1, max_bin 255, min_child_weight 1, nthread THREADS).
Prints JSON: load seconds (read + encode), fit seconds (model.fit; wall and process CPU), test AUC and log loss.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import log_loss, roc_auc_score

SEED = 42


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    path, rows, threads, iterations = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    t0 = time.perf_counter()
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    if len(df) != rows:
        sys.exit(f"read {len(df)} rows, expected {rows}")
    y = (df.pop("Status") == "bad").astype("float32").to_numpy()
    first_test = rows - int(round(rows * 0.2))
    for c in df.columns:
        if df[c].dtype == object:
            levels = sorted(df[c].iloc[:first_test].dropna().unique().tolist())
            df[c] = df[c].map({v: i for i, v in enumerate(levels)}).astype("float32")
        else:
            df[c] = df[c].astype("float32")
    x = df.to_numpy(dtype=np.float32)
    del df
    x_train, x_test, y_train, y_test = x[:first_test], x[first_test:], y[:first_test], y[first_test:]
    load_seconds = time.perf_counter() - t0

    model = xgb.XGBClassifier(n_estimators=iterations, max_depth=6, learning_rate=0.1, tree_method="hist",
                              max_bin=255, n_jobs=threads, random_state=SEED)
    t1, c1 = time.perf_counter(), time.process_time()
    model.fit(x_train, y_train)
    fit_seconds, fit_cpu_seconds = time.perf_counter() - t1, time.process_time() - c1
    p = model.predict_proba(x_test)[:, 1]
    print(json.dumps({
        "train_rows": int(first_test), "test_rows": int(rows - first_test), "threads": threads,
        "load_seconds": load_seconds, "fit_seconds": fit_seconds, "fit_cpu_seconds": fit_cpu_seconds,
        "auc": float(roc_auc_score(y_test, p)), "log_loss": float(log_loss(y_test, p)),
        "xgboost": xgb.__version__,
    }, indent=2))


if __name__ == "__main__":
    main()
