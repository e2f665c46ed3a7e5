"""The Python lab script of bench/pipeline.bench.ts: everything a lab would write around the same
network to get the same answer per image, timed per image, inference excluded (the network's
probability map is read from a file the benchmark wrote, outside the timer):
read + sha256, PIL decode, numpy 1/99 percentile scaling and edge padding to a multiple of 16,
scipy.ndimage.label (8-connected) + per-component box / area / mean probability / perimeter,
the paper's 18 features, three scikit-learn forests (F1, precision, recall) on one row, and what
temguard adds around them: the frame's noise (Immerkaer, for the smoothing of noisy frames), the
six image statistics of the applicability domain on the centre 1024^2 crop (noise, 8x8 block
spread, Welch spectrum slopes, structure-tensor coherence, mode share) and the two k = 5 nearest
neighbour distances (features against the forest's training rows, statistics against real frames).

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
LAPLACE = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
TILE = 128


def immerkaer(x):
    c = ndimage.convolve(x, LAPLACE)[1:-1, 1:-1]
    return float(np.sqrt(np.pi / 2) * np.abs(c).mean() / 6)


def spectrum_bins():
    f = np.fft.fftfreq(TILE)
    r = np.hypot(f[:, None], f[None, :])
    with np.errstate(divide='ignore'):
        k = np.floor((np.log(r) - np.log(0.02)) / (np.log(0.45) - np.log(0.02)) * 11)
    return np.where((k >= 0) & (k < 11), k, -1).astype(int)


BINS = spectrum_bins()
HANN = np.hanning(TILE)


def image_stats(img):
    h, w = img.shape
    c = img[(h - min(h, 1024)) // 2:, (w - min(w, 1024)) // 2:][:1024, :1024].astype(np.float64)
    h, w = c.shape
    sd, noise = c.std(), immerkaer(c.astype(np.float32))
    b = c[:h // 8 * 8, :w // 8 * 8].reshape(h // 8, 8, w // 8, 8).std(axis=(1, 3))
    lb = np.log(b + 1e-3 * sd)
    t = c[:h // TILE * TILE, :w // TILE * TILE].reshape(h // TILE, TILE, w // TILE, TILE).transpose(0, 2, 1, 3)
    t = (t - t.mean(axis=(2, 3), keepdims=True)) * HANN[:, None] * HANN[None, :]
    pw = (np.abs(np.fft.fft2(t)) ** 2).sum(axis=(0, 1))
    ok = BINS >= 0
    power = np.bincount(BINS[ok], pw[ok], 11) / np.maximum(np.bincount(BINS[ok], None, 11), 1)
    xs = np.log(0.02) + (np.arange(11) + 0.5) / 11 * (np.log(0.45) - np.log(0.02))
    slope, slope_hi = np.polyfit(xs, np.log(power), 1)[0], np.polyfit(xs[6:], np.log(power[6:]), 1)[0]
    gx, gy = ndimage.sobel(c, axis=1), ndimage.sobel(c, axis=0)
    jxx, jyy, jxy = (ndimage.uniform_filter(v, 7) for v in (gx * gx, gy * gy, gx * gy))
    coh = np.sqrt((jxx - jyy) ** 2 + 4 * jxy ** 2) / np.maximum(jxx + jyy, 1e-12)
    mode = np.bincount(c.astype(np.int64).ravel()).max() / c.size
    return [np.log(sd / noise), np.percentile(lb, 90) - np.percentile(lb, 10), slope, slope_hi, coh.mean(), np.log(mode)]


def knn_distance(ref, z, k=5):
    d = np.sqrt(((ref - z) ** 2).sum(axis=1))
    return float(np.partition(d, k)[:k].mean())


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


def analyse(job, prob, rfs, refs):
    raw = open(job['path'], 'rb').read()
    sha = hashlib.sha256(raw).hexdigest()
    im = Image.open(io.BytesIO(raw))
    if im.mode not in ('L', 'I;16', 'I', 'F'):
        im = im.convert('L')
    img = np.asarray(im).astype(np.float32)
    h, w = img.shape
    lo, hi = np.percentile(img, [1, 99])
    x = np.clip((img - lo) / (hi - lo if hi > lo else 1), 0, 1)
    c = x[(h - min(h, 1024)) // 2:, (w - min(w, 1024)) // 2:][:1024, :1024]
    immerkaer(c)  # the noise that decides whether the frame is smoothed (none of the bench frames is)
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
    knn_distance(refs[0], np.array(f[:10]))
    knn_distance(refs[1], np.array(image_stats(img)))
    items = [{'box': [s[1].start, s[0].start, s[1].stop, s[0].stop], 'score': float(m), 'area': float(a)}
             for s, m, a, k in zip(boxes, mean, area, keep) if k][:500]
    json.dumps({'sha256': sha, 'features': f, 'prediction': pred, 'items': items})
    return x


def main():
    jobs = json.load(open(sys.argv[1]))
    reps = int(sys.argv[2])
    rfs = forests()
    rng = np.random.default_rng(1)
    refs = (rng.random((1868, 10)), rng.random((404, 6)))  # the sizes of the shipped references
    out = {}
    for job in jobs:
        prob = np.fromfile(job['prob'], dtype=np.float32).reshape(job['height'], job['width'])
        analyse(job, prob, rfs, refs)  # warm-up (imports, caches)
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            analyse(job, prob, rfs, refs)
            ts.append((time.perf_counter() - t0) * 1000)
        out[job['name']] = float(np.median(ts))
    print(json.dumps(out))


if __name__ == '__main__':
    main()
