#!/usr/bin/python3
"""Loops data for the detector recipe: k folds grouped by acquisition series, each a COCO dir
that models/recipes/detector/train.py (--train) and `temguard dataset` (--images) both read.

    prepare.py --data ../shared/data/loops --out WORK [--folds 3]

Writes WORK/fold<i>-train, WORK/fold<i>-test (held out: the series of fold i) and WORK/all, each
with annotations.json (file_name images/<name>, a symlink to the source images, so nothing is
copied), recipe.json (what it holds, copied into the model manifest by train.py) and
WORK/folds.json (series -> fold). Box labels become filled ellipse polygons inscribed in the
box: the U-Net recipe trains on polygon masks, and a loop is an ellipse (a tilted circle).
Each image carries temguard.preset = its series, so `temguard dataset` groups rows by series.
"""
import argparse
import csv
import json
import math
import os

ELLIPSE_POINTS = 24


def ellipse(bbox):
    x, y, w, h = bbox
    cx, cy = x + w / 2, y + h / 2
    pts = []
    for k in range(ELLIPSE_POINTS):
        t = 2 * math.pi * k / ELLIPSE_POINTS
        pts += [round(cx + w / 2 * math.cos(t), 2), round(cy + h / 2 * math.sin(t), 2)]
    return [pts]


def assign_folds(series_sizes, k):
    """Largest series first into the fold with fewest images: folds of similar size, and the
    one 53-image series cannot be split. Deterministic (ties by name)."""
    folds = [[] for _ in range(k)]
    load = [0] * k
    for name, n in sorted(series_sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        i = min(range(k), key=lambda j: (load[j], j))
        folds[i].append(name)
        load[i] += n
    return {s: i for i, names in enumerate(folds) for s in names}


def write_dir(out, name, coco, images, series_of, source, note):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    link = os.path.join(d, 'images')
    if not os.path.islink(link):
        os.symlink(os.path.abspath(os.path.join(source, 'images')), link)
    ids = {im['id'] for im in images}
    anns = [{**a, 'segmentation': ellipse(a['bbox'])} for a in coco['annotations'] if a['image_id'] in ids]
    ims = [{**im, 'file_name': 'images/' + im['file_name'], 'temguard': {'preset': series_of[im['file_name']]}} for im in images]
    with open(os.path.join(d, 'annotations.json'), 'w') as f:
        json.dump({'images': ims, 'annotations': anns, 'categories': coco['categories']}, f)
    series = sorted({series_of[im['file_name']] for im in images})
    with open(os.path.join(d, 'recipe.json'), 'w') as f:
        json.dump({'dir': name, 'source': 'shared/data/loops (uw-cmg/Multitype-Defect-Detection 331ed7a, SingleType111Loops, training split)',
                   'images': len(ims), 'boxes': len(anns), 'series': len(series), 'what': note,
                   'target': 'filled ellipse inscribed in each box (models/recipes/loops/prepare.py)'}, f, indent=1)
    return len(ims), len(anns)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='../shared/data/loops')
    ap.add_argument('--out', required=True)
    ap.add_argument('--folds', type=int, default=3)
    a = ap.parse_args()
    with open(os.path.join(a.data, 'annotations.json')) as f:
        coco = json.load(f)
    with open(os.path.join(a.data, 'series.csv'), newline='') as f:
        series_of = {r['file_name']: r['series'] for r in csv.DictReader(f)}
    missing = [im['file_name'] for im in coco['images'] if im['file_name'] not in series_of]
    if missing:
        raise SystemExit(f'series.csv lacks {len(missing)} images, e.g. {missing[0]}')
    sizes = {}
    for im in coco['images']:
        sizes[series_of[im['file_name']]] = sizes.get(series_of[im['file_name']], 0) + 1
    fold_of = assign_folds(sizes, a.folds)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, 'folds.json'), 'w') as f:
        json.dump({'folds': a.folds, 'rule': 'largest series first into the fold with fewest images', 'series': fold_of}, f, indent=1)
    for i in range(a.folds):
        test = [im for im in coco['images'] if fold_of[series_of[im['file_name']]] == i]
        train = [im for im in coco['images'] if fold_of[series_of[im['file_name']]] != i]
        n_tr = write_dir(a.out, f'fold{i}-train', coco, train, series_of, a.data, f'all series except fold {i} (cross-fitting)')
        n_te = write_dir(a.out, f'fold{i}-test', coco, test, series_of, a.data, f'the series of fold {i} only (held out)')
        print(f'fold {i}: train {n_tr[0]} images {n_tr[1]} boxes; held out {n_te[0]} images {n_te[1]} boxes, '
              f'{sum(1 for s in fold_of.values() if s == i)} series')
    n = write_dir(a.out, 'all', coco, coco['images'], series_of, a.data, 'all 266 images (the shipped detector)')
    print(f'all: {n[0]} images {n[1]} boxes')


if __name__ == '__main__':
    main()
