#!/usr/bin/python3
"""Would another learner beat the paper's method on grouped splits? scikit-learn random forests
(other leaf sizes and max_features), extra trees and gradient boosting, on the paper's 8
features, all 18 and the shipped forest's selection, on exactly the grouped folds `temguard
evaluate` wrote (REPORT_DIR/folds.json). Prints the grouped F1 MAE (mean of folds) of each and its
ratio to the paper's method (RandomForestRegressor(100) on the paper's 8 features).

    learners.py TABLE.csv REPORT_DIR/folds.json [--selected a,b,c]
"""
import argparse
import csv
import json
import os
import sys

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor, GradientBoostingRegressor, HistGradientBoostingRegressor, RandomForestRegressor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'loops'))
from paper_method import PAPER_FEATURES as PAPER  # noqa: E402
ALL18 = ['counts_0.1', 'counts_0.2', 'counts_0.3', 'counts_0.4', 'counts_0.5', 'counts_0.6', 'counts_0.7', 'counts_0.8',
         'counts_0.9', 'area_ratio', 'avg_conf', 'std_conf', 'avg_size', 'std_size', 'avg_shape', 'std_shape', 'counts',
         'image_confidence']
LEARNERS = {
    'random forest (paper)': lambda k: RandomForestRegressor(100, random_state=k, n_jobs=1),
    'random forest, leaf 5, max_features 0.33': lambda k: RandomForestRegressor(100, min_samples_leaf=5, max_features=0.33, random_state=k, n_jobs=1),
    'extra trees': lambda k: ExtraTreesRegressor(100, random_state=k, n_jobs=1),
    'extra trees, leaf 3': lambda k: ExtraTreesRegressor(100, min_samples_leaf=3, random_state=k, n_jobs=1),
    'extra trees, leaf 10': lambda k: ExtraTreesRegressor(100, min_samples_leaf=10, random_state=k, n_jobs=1),
    'hist gradient boosting': lambda k: HistGradientBoostingRegressor(max_iter=200, learning_rate=0.05, random_state=k),
    'gradient boosting, absolute error': lambda k: GradientBoostingRegressor(loss='absolute_error', n_estimators=200, max_depth=3, learning_rate=0.05, random_state=k),
}


def grouped_mae(X, y, folds, make):
    maes = []
    for k, test in enumerate(folds):
        test = np.array(test, dtype=int)
        train = np.setdiff1d(np.arange(len(y)), test)
        p = np.clip(make(k).fit(X[train], y[train]).predict(X[test]), 0, 1)
        maes.append(np.abs(p - y[test]).mean())
    return float(np.mean(maes))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('table')
    ap.add_argument('folds')
    ap.add_argument('--selected', help="the shipped forest's features, comma-separated")
    a = ap.parse_args()
    with open(a.table, newline='') as f:
        rows = list(csv.DictReader(f))
    with open(a.folds) as f:
        folds = json.load(f)['grouped']
    y = np.array([float(r['f1']) for r in rows])
    X = lambda cols: np.array([[float(r[c]) for c in cols] for r in rows])  # noqa: E731
    base = grouped_mae(X(PAPER), y, folds, LEARNERS['random forest (paper)'])
    sets = [('paper 8', PAPER), ('all 18', ALL18)] + ([('selected', a.selected.split(','))] if a.selected else [])
    out = {'table': a.table, 'rows': len(rows), 'grouped_folds': len(folds), 'paper_method_mae': round(base, 4), 'results': []}
    for set_name, cols in sets:
        for name, make in LEARNERS.items():
            v = grouped_mae(X(cols), y, folds, make)
            out['results'].append({'features': set_name, 'learner': name, 'grouped_mae': round(v, 4), 'ratio': round(v / base, 3)})
            print(f'{set_name:9s} {name:42s} {v:.4f}  ratio {v / base:.3f}', flush=True)
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
