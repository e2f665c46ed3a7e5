#!/usr/bin/python3
"""scikit-learn reference for temguard's forest (Debian python3-sklearn; never a runtime dependency).

  sklearn_reference.py bench TABLE.csv --features a,b,c [--trees 100] [--min-leaf 3]
      fit time of StandardScaler + RandomForestRegressor for f1 / precision / recall, pickle size,
      predict time per image (one row at a time and batched); prints one JSON object.
  sklearn_reference.py cv TABLE.csv FOLDS.json --features a,b,c [--trees 100] [--min-leaf 3]
      the same folds temguard used (FOLDS.json: [[test row indices], ...]); prints MAE/RMSE/R2
      of F1 over all folds and the wall time, as JSON.
TABLE.csv is temguard's dataset table (image, group, features..., f1, precision, recall).
"""
import argparse, csv, json, pickle, sys, time
import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.preprocessing import StandardScaler


def load(path, features):
    with open(path, newline='') as fh:
        rows = list(csv.DictReader(fh))
    X = np.array([[float(r[f]) for f in features] for r in rows])
    Y = {t: np.array([float(r[t]) for r in rows]) for t in ('f1', 'precision', 'recall')}
    return X, Y


def forest(args, seed):
    return RandomForestRegressor(n_estimators=args.trees, min_samples_leaf=args.min_leaf,
                                 max_features=args.max_features, random_state=seed, n_jobs=1)


def bench(args):
    X, Y = load(args.table, args.features.split(','))
    t0 = time.perf_counter()
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    models = {t: forest(args, k).fit(Z, Y[t]) for k, t in enumerate(Y)}
    fit_s = time.perf_counter() - t0
    size = len(pickle.dumps((scaler, models)))
    one = Z[:1]
    reps = 200
    t0 = time.perf_counter()
    for i in range(reps):
        z = scaler.transform(X[i % len(X):i % len(X) + 1])
        for m in models.values():
            m.predict(z)
    single_ms = (time.perf_counter() - t0) / reps * 1000
    t0 = time.perf_counter()
    for m in models.values():
        m.predict(scaler.transform(X))
    batch_ms = (time.perf_counter() - t0) / len(X) * 1000
    nodes = sum(e.tree_.node_count for m in models.values() for e in m.estimators_)
    print(json.dumps({'fit_s': fit_s, 'pickle_bytes': size, 'predict_single_ms': single_ms,
                      'predict_batch_ms': batch_ms, 'nodes': int(nodes), 'rows': len(X)}))


def cv(args):
    feats = args.features.split(',')
    X, Y = load(args.table, feats)
    with open(args.folds) as fh:
        folds = json.load(fh)
    y = Y['f1']
    err, sq, res = [], [], []
    t0 = time.perf_counter()
    for k, test in enumerate(folds):
        test = np.array(test, dtype=int)
        train = np.setdiff1d(np.arange(len(y)), test)
        scaler = StandardScaler().fit(X[train])
        m = forest(args, k).fit(scaler.transform(X[train]), y[train])
        p = m.predict(scaler.transform(X[test]))
        e = p - y[test]
        mae, rmse = np.abs(e).mean(), np.sqrt((e ** 2).mean())
        ss = ((y[test] - y[test].mean()) ** 2).sum()
        r2 = 1 - (e ** 2).sum() / ss if ss > 0 else float('nan')
        res.append({'mae': mae, 'rmse': rmse, 'r2': r2})
    wall = time.perf_counter() - t0
    mean = lambda k: float(np.nanmean([r[k] for r in res]))
    print(json.dumps({'folds': len(folds), 'mae': mean('mae'), 'rmse': mean('rmse'), 'r2': mean('r2'), 'wall_s': wall}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['bench', 'cv'])
    p.add_argument('table')
    p.add_argument('folds', nargs='?')
    p.add_argument('--features', required=True)
    p.add_argument('--trees', type=int, default=100)
    p.add_argument('--min-leaf', type=int, default=3)
    p.add_argument('--max-features', type=float, default=1.0)
    args = p.parse_args()
    if args.mode == 'cv' and not args.folds:
        sys.exit('cv needs FOLDS.json')
    (bench if args.mode == 'bench' else cv)(args)


if __name__ == '__main__':
    main()
