"""Why the recall forest's grouped R² is negative: leave-one-group-out recall on the shipped
table's 9 features (scikit-learn RandomForestRegressor(100), as sklearn_reference.py), scored
pooled and as the mean of per-group R² (temguard evaluate's and the paper's grouped figure),
with and without the images that hold no object (their recall is 0 by scoreCounts' convention
when anything was detected: there was nothing to find, so it says nothing about missing).
The object counts come from the simulated sets' annotations (SIM_ONLY=1 build.sh, same seeds).
  /usr/bin/python3 models/recipes/forest/recall_grouped.py docs/forest/table.csv /tmp/temguard-forest-data/sim
"""
import csv, json, os, sys
import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_absolute_error, r2_score

FEATURES = ['avg_shape', 'counts_0.9', 'avg_conf', 'counts', 'avg_size', 'area_ratio', 'counts_0.8', 'std_size', 'image_confidence']


def object_counts(sim):
    """(preset, file name) -> labelled objects in that simulated image."""
    out = {}
    for preset in os.listdir(sim):
        coco = json.load(open(os.path.join(sim, preset, 'annotations.json')))
        per = {im['id']: 0 for im in coco['images']}
        for a in coco['annotations']:
            per[a['image_id']] += 1
        out.update({(preset, os.path.basename(im['file_name'])): per[im['id']] for im in coco['images']})
    return out


def main(table, sim):
    rows = list(csv.DictReader(open(table)))
    counts = object_counts(sim)
    objects = np.array([0 if r['group'] == 'real-empty' else counts[(r['image'].split('/')[1], r['image'].split('/')[-1])] for r in rows])
    x = np.array([[float(r[f]) for f in FEATURES] for r in rows])
    y = np.array([float(r['recall']) for r in rows])
    g = np.array([r['group'] for r in rows])
    print(f'{len(rows)} rows, {(objects == 0).sum()} without objects')
    for train_name, train in [('trained on all rows', np.ones(len(rows), bool)), ('trained on rows with objects', objects > 0)]:
        pred = np.zeros(len(rows))
        for group in np.unique(g):
            test = g == group
            model = RandomForestRegressor(100, min_samples_leaf=2, random_state=0, n_jobs=2).fit(x[train & ~test], y[train & ~test])
            pred[test] = model.predict(x[test])
        for eval_name, scored in [('scored on all rows', np.ones(len(rows), bool)), ('scored on rows with objects', objects > 0)]:
            per = {grp: r2_score(y[scored & (g == grp)], pred[scored & (g == grp)]) for grp in np.unique(g)
                   if (scored & (g == grp)).sum() > 1 and np.var(y[scored & (g == grp)]) > 0}
            print(f'{train_name}, {eval_name}: pooled R2 {r2_score(y[scored], pred[scored]):.3f}, MAE {mean_absolute_error(y[scored], pred[scored]):.3f}, '
                  f'mean per-group R2 {np.mean(list(per.values())):.3f}; ' + ', '.join(f'{k} {v:.2f}' for k, v in per.items()))


if __name__ == '__main__':
    main(*sys.argv[1:3])
