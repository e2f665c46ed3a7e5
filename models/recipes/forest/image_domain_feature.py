"""Exploratory: does the image-domain distance help as a forest feature? On image-domain-feature.ts's
CSV: scikit-learn RandomForestRegressor(100) (as models/recipes/loops/paper_method.py) on the shipped
forest's 9 features, without and with `image_distance`: leave-one-preset-out F1 MAE (mean of folds),
and the median predicted F1 of the natural photographs from a forest fit on every table row.
Usage: /usr/bin/python3 models/recipes/forest/image_domain_feature.py FILE.csv"""
import sys, csv, json
import numpy as np
from sklearn.ensemble import RandomForestRegressor

rows = list(csv.DictReader(open(sys.argv[1])))
cols = [c for c in rows[0] if c not in ('image', 'group', 'image_distance', 'f1')]
train = [r for r in rows if r['group'] != 'natural']
nat = [r for r in rows if r['group'] == 'natural']
groups = np.array([r['group'] for r in train])
y = np.array([float(r['f1']) for r in train])
out = {}
for name, feats in (('without', cols), ('with_image_distance', cols + ['image_distance'])):
    X = np.array([[float(r[c]) for c in feats] for r in train])
    Xn = np.array([[float(r[c]) for c in feats] for r in nat])
    maes = []
    for g in sorted(set(groups)):
        m = RandomForestRegressor(100, random_state=0, n_jobs=1).fit(X[groups != g], y[groups != g])
        maes.append(float(np.abs(m.predict(X[groups == g]) - y[groups == g]).mean()))
    m = RandomForestRegressor(100, random_state=0, n_jobs=1).fit(X, y)
    pn = m.predict(Xn)
    out[name] = {'grouped_f1_mae': round(float(np.mean(maes)), 4), 'per_group': dict(zip(sorted(set(groups)), [round(v, 4) for v in maes])),
                 'natural_median_f1': round(float(np.median(pn)), 3), 'natural_f1': {r['image']: round(float(p), 3) for r, p in zip(nat, pn)}}
print(json.dumps(out, indent=1))
