"""The Python lab script of bench/pipeline.bench.ts: everything a lab would write around the same
network to get the same answer per image, timed per image, inference excluded (the network's
probability map is read from a file the benchmark wrote, outside the timer):
read + sha256, PIL decode, numpy 1/99 percentile scaling and edge padding to a multiple of 16,
scipy.ndimage.label (8-connected) + per-component box / area / mean probability / perimeter,
the paper's 18 features, three scikit-learn forests (F1, precision, recall) on one row.

    python3 lab_reference.py JOBS.json REPS   ->  one JSON line {name: median_ms, ...}
JOBS.json: [{"name", "path", "prob", "width", "height", "pw", "ph", "threshold", "min_area"}]
"""
import hashlib
import io
import json
import sys
import time

import numpy as np
from PIL import Image
from scipy import ndimage
from sklearn.ensemble import RandomForestRegressor

EIGHT = np.ones((3, 3), dtype=bool)


def forests():
    rng = np.random.default_rng(0)
    X = rng.random((1440, 7))
    return [RandomForestRegressor(n_estimators=100, min_samples_leaf=3, random_state=k).fit(X, rng.random(1440)) for k in range(3)]


def features(score, area, circ, w, h):
    n = len(score)
    if n == 0:
        return [0.0] * 18
    counts = [float(np.sum((score >= t) & (score < t + 0.1 if t < 0.9 else score <= 1.0))) / n for t in np.arange(0.1, 1.0, 0.1)]
    rel = area / (w * h)
    return counts + [float(area.sum() / (w * h)), float(score.mean()), float(score.std()), float(rel.mean()), float(rel.std()),
                     float(circ.mean()), float(circ.std()), float(n), float((area * score).sum() / area.sum())]


def analyse(job, prob, rfs):
    raw = open(job['path'], 'rb').read()
    sha = hashlib.sha256(raw).hexdigest()
    im = Image.open(io.BytesIO(raw))
    if im.mode not in ('L', 'I;16', 'I', 'F'):
        im = im.convert('L')
    img = np.asarray(im).astype(np.float32)
    h, w = img.shape
    lo, hi = np.percentile(img, [1, 99])
    x = np.clip((img - lo) / (hi - lo if hi > lo else 1), 0, 1)
    x = np.pad(x, ((0, job['ph'] - h), (0, job['pw'] - w)), mode='edge')  # the network's input
    p = prob[:h, :w]
    fg = p >= job['threshold']
    lab, n = ndimage.label(fg, structure=EIGHT)
    idx = np.arange(1, n + 1)
    area = ndimage.sum_labels(fg, lab, idx)
    mean = ndimage.mean(p, lab, idx) if n else np.zeros(0)
    edge = fg & ~ndimage.binary_erosion(fg, structure=EIGHT)
    perim = ndimage.sum_labels(edge, lab, idx)
    boxes = ndimage.find_objects(lab)
    keep = (area >= job['min_area']) & (mean >= 0.1)
    circ = np.clip(4 * np.pi * area[keep] / np.maximum(perim[keep], 1) ** 2, 0, 1)
    f = features(mean[keep], area[keep], circ, w, h)
    row = np.array([f[:7]])
    pred = [float(rf.predict(row)[0]) for rf in rfs]
    items = [{'box': [s[1].start, s[0].start, s[1].stop, s[0].stop], 'score': float(m), 'area': float(a)}
             for s, m, a, k in zip(boxes, mean, area, keep) if k][:500]
    json.dumps({'sha256': sha, 'features': f, 'prediction': pred, 'items': items})
    return x


def main():
    jobs = json.load(open(sys.argv[1]))
    reps = int(sys.argv[2])
    rfs = forests()
    out = {}
    for job in jobs:
        prob = np.fromfile(job['prob'], dtype=np.float32).reshape(job['height'], job['width'])
        analyse(job, prob, rfs)  # warm-up (imports, caches)
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            analyse(job, prob, rfs)
            ts.append((time.perf_counter() - t0) * 1000)
        out[job['name']] = float(np.median(ts))
    print(json.dumps(out))


if __name__ == '__main__':
    main()
