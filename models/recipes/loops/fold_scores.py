#!/usr/bin/python3
"""Per-fold detector scores on the held-out images, from the out-of-fold table (no second
detection run): per image TP = recall x truths (exact), predictions = the `counts` column;
pooled (micro) P/R/F1 per fold and the mean per-image F1, the quantity the forest predicts.

    fold_scores.py --table docs/loops/table.csv --work WORK --folds 3   (JSON on stdout)
"""
import argparse
import csv
import json
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--table', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--folds', type=int, default=3)
    a = ap.parse_args()
    with open(a.table, newline='') as f:
        rows = list(csv.DictReader(f))
    out = {}
    for i in range(a.folds):
        with open(os.path.join(a.work, f'fold{i}-test', 'annotations.json')) as f:
            coco = json.load(f)
        truths = {}
        names = {im['id']: im['file_name'] for im in coco['images']}
        for ann in coco['annotations']:
            truths[names[ann['image_id']]] = truths.get(names[ann['image_id']], 0) + 1
        mine = [r for r in rows if r['image'].startswith(f'fold{i}/')]
        tp = fp = fn = 0
        for r in mine:
            n = truths.get(r['image'][len(f'fold{i}/'):], 0)
            t = round(float(r['recall']) * n)
            p = int(float(r['counts']))
            tp, fp, fn = tp + t, fp + p - t, fn + n - t
        prec, rec = tp / max(1, tp + fp), tp / max(1, tp + fn)
        out[f'fold{i}'] = {'images': len(mine), 'truths': tp + fn, 'detections': tp + fp, 'tp': tp,
                           'precision': round(prec, 3), 'recall': round(rec, 3), 'f1_pooled': round(2 * tp / max(1, 2 * tp + fp + fn), 3),
                           'f1_mean_per_image': round(sum(float(r['f1']) for r in mine) / max(1, len(mine)), 3)}
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
