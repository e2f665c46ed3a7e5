#!/usr/bin/python3
"""The paper's method on temguard's table and folds: StandardScaler + scikit-learn
RandomForestRegressor(100 trees, defaults otherwise) on the paper's 8 features, F1 target,
on exactly the random and grouped test folds `temguard evaluate` used (DIR/folds.json).

    paper_method.py TABLE.csv REPORT_DIR/folds.json        (JSON on stdout)

Reported both ways: metrics pooled over all held-out predictions (each image predicted once per
random repeat, once in the grouped splits) and the mean of per-fold metrics.
"""
import csv
import json
import sys

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.preprocessing import StandardScaler

# The public model's columns (../shared/reference/paper-method.md).
PAPER_FEATURES = ['counts_0.9', 'counts', 'area_ratio', 'image_confidence', 'avg_conf', 'avg_size', 'std_conf', 'std_size']


def metrics(y, p):
    e = p - y
    ss = ((y - y.mean()) ** 2).sum()
    return {'mae': float(np.abs(e).mean()), 'rmse': float(np.sqrt((e ** 2).mean())),
            'r2': float(1 - (e ** 2).sum() / ss) if ss > 0 else None}


def run(X, y, folds):
    ys, ps, per = [], [], []
    for k, test in enumerate(folds):
        test = np.array(test, dtype=int)
        train = np.setdiff1d(np.arange(len(y)), test)
        sc = StandardScaler().fit(X[train])
        m = RandomForestRegressor(n_estimators=100, random_state=k, n_jobs=1).fit(sc.transform(X[train]), y[train])
        p = m.predict(sc.transform(X[test]))
        ys.append(y[test]); ps.append(p); per.append(metrics(y[test], p))
    pooled = metrics(np.concatenate(ys), np.concatenate(ps))
    mean = {k: float(np.mean([r[k] for r in per if r[k] is not None])) for k in ('mae', 'rmse', 'r2')}
    return {'folds': len(folds), 'pooled': pooled, 'mean_of_folds': mean}


def main():
    table, folds_path = sys.argv[1], sys.argv[2]
    with open(table, newline='') as f:
        rows = list(csv.DictReader(f))
    X = np.array([[float(r[c]) for c in PAPER_FEATURES] for r in rows])
    y = np.array([float(r['f1']) for r in rows])
    with open(folds_path) as f:
        folds = json.load(f)
    print(json.dumps({'features': PAPER_FEATURES, 'model': 'sklearn RandomForestRegressor(100), StandardScaler',
                      'random': run(X, y, folds['random']), 'grouped': run(X, y, folds['grouped'])}, indent=1))


if __name__ == '__main__':
    main()
