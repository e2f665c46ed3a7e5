"""Is a detection distinguishable from the frame's pixel noise? A measurement, not a shipped rule
(docs/detector, "Detections indistinguishable from pixel noise").

For each detection of a dump_detections.ts file: the frame's white-noise sigma (Immerkaer, central
1024² window, raw gray levels), the box's mean against a 3 px ring around it in units of the noise
over the box (sqrt(n) * |mean - ring| / sigma), and its excess variance about the ring's mean
((sum (v - ring)^2 / sigma^2 - n) / sqrt(2 n)). A detection below K on both is "noise-like".
With --sim, the dump's images are simulated sets (annotations.json beside them): F1 per set at the
paper's matching (common.match_counts, box IoU >= 0.1) with and without the noise-like ones dropped.

    /usr/bin/python3 models/recipes/detector/noise_dots.py DUMP.jsonl [--sim] [--k 6 8 10]
"""
import argparse
import collections
import json
import math
import os
import sys

import numpy as np
from PIL import Image
from scipy.signal import convolve2d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import annotations_beside, corners, f1_of, match_counts  # noqa: E402

LAPLACE = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], float)


def noise_sigma(a):
    h, w = a.shape
    c = a[max(0, h // 2 - 512):h // 2 + 512, max(0, w // 2 - 512):w // 2 + 512]
    return math.sqrt(math.pi / 2) * np.abs(convolve2d(c, LAPLACE, 'valid')).sum() / (6 * (c.shape[0] - 2) * (c.shape[1] - 2))


def contrast(a, box, sigma, ring=3):
    """(mean contrast, excess variance) of the box against its ring, in noise units; inf where no ring fits."""
    x0, y0, x1, y1 = box
    inner = a[y0:y1, x0:x1]
    outer = a[max(0, y0 - ring):y1 + ring, max(0, x0 - ring):x1 + ring]
    if inner.size == 0 or outer.size <= inner.size:
        return math.inf, math.inf
    level = (outer.sum() - inner.sum()) / (outer.size - inner.size)
    n, s = inner.size, max(sigma, 1e-6)
    return abs(inner.mean() - level) * math.sqrt(n) / s, (((inner - level) ** 2).sum() / s ** 2 - n) / math.sqrt(2 * n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dump')
    ap.add_argument('--sim', action='store_true')
    ap.add_argument('--k', type=float, nargs='+', default=[6, 8, 10])
    a = ap.parse_args()
    dropped = collections.defaultdict(lambda: np.zeros(len(a.k), int))
    total = collections.Counter()
    scores = collections.defaultdict(lambda: np.zeros((len(a.k) + 1, 3)))
    for line in open(a.dump):
        r = json.loads(line)
        img = np.asarray(Image.open(r['path']).convert('L'), float)
        sigma = noise_sigma(img)
        kind = os.path.basename(os.path.dirname(r['path'])) if a.sim else f"{r['width']}x{r['height']}"
        c = [contrast(img, d['box'], sigma) for d in r['detections']]
        total[kind] += len(c)
        for i, k in enumerate(a.k):
            dropped[kind][i] += sum(1 for m, e in c if m < k and e < k)
        if a.sim:
            t = [corners(x['bbox']) for x in annotations_beside(r['path'])]
            for i, k in enumerate([None] + a.k):
                kept = [d['box'] for d, (m, e) in zip(r['detections'], c) if k is None or m >= k or e >= k]
                scores[kind][i] += match_counts(t, kept)
    for kind in sorted(total):
        line = f'{kind:28s} {total[kind]:5d} detections; noise-like at K={a.k}: {list(dropped[kind])}'
        if a.sim:
            line += '; F1 ' + ' '.join(f'{f1_of(*map(int, v)):.3f}' for v in scores[kind]) + ' (all, then each K)'
        print(line)


if __name__ == '__main__':
    main()
