"""Which cavities does the detector miss in simulation, by their matched-filter SNR? A measurement
for the forest's recall target (docs/forest/beyond.md, "Certain and barely visible cavities").

The simulator labels every cavity whose SNR is >= ROSE_K = 5 (agent/sim/labels.ts) and writes it
as `temguard.detectability` on each annotation. A human labeller of "certain" cavities is far less
sensitive. This prints the share of misses and of hits below a few SNRs, and mean recall and F1 per
set when the cavities below K are ignored (a detection on one is neither true nor false; the paper's
matching, common.match_truths, at box IoU >= 0.1).

    npx tsx agent/cli.ts simulate --out DIR/PRESET --preset PRESET --count 60 --seed SEED --size 512
    npx tsx models/recipes/detector/dump_detections.ts --model models/cavity-unet-all.onnx --out DUMP.jsonl DIR/*/sim-*.png
    /usr/bin/python3 models/recipes/forest/misses_by_snr.py DUMP.jsonl [--k 5 8 10 15]
"""
import argparse
import collections
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'detector'))
from common import annotations_beside, corners, f1_of, match_truths  # noqa: E402


def truths_of(path):
    """[(box [x1, y1, x2, y2], SNR)] of the image at `path`."""
    anns = annotations_beside(path)
    if any('temguard' not in a for a in anns):
        sys.exit(f'{path}: annotations without temguard.detectability (simulated before the simulator wrote it)')
    return [(corners(a['bbox']), a['temguard']['detectability']) for a in anns]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dump')
    ap.add_argument('--k', type=float, nargs='+', default=[5, 8, 10, 15])
    a = ap.parse_args()
    hit, miss = [], []
    scores = collections.defaultdict(list)  # (K, set) -> [(f1, recall)]
    for line in open(a.dump):
        r = json.loads(line)
        truths = truths_of(r['path'])
        preds = [d['box'] for d in r['detections']]
        matched = match_truths([b for b, _ in truths], preds)
        for (_, snr), m in zip(truths, matched):
            (hit if m is not None else miss).append(snr)
        fp = len(preds) - sum(m is not None for m in matched)
        for k in a.k:
            tp = sum(1 for (_, snr), m in zip(truths, matched) if m is not None and snr >= k)
            fn = sum(1 for (_, snr), m in zip(truths, matched) if m is None and snr >= k)
            rec = 1.0 if tp + fn == 0 else tp / (tp + fn)
            for s in (os.path.basename(os.path.dirname(r['path'])), 'all'):
                scores[(k, s)].append((f1_of(tp, fp, fn), rec))
    hit, miss = np.array(hit), np.array(miss)
    for k in a.k[1:]:
        print(f'SNR < {k:g}: {np.mean(miss < k):.2f} of {len(miss)} misses, {np.mean(hit < k):.2f} of {len(hit)} hits')
    for (k, s), v in sorted(scores.items(), key=lambda kv: (kv[0][1] != 'all', kv[0][1], kv[0][0])):
        v = np.array(v)
        print(f'{s:16s} certain = SNR >= {k:g}: mean F1 {v[:, 0].mean():.3f}, recall {v[:, 1].mean():.3f} ({len(v)} images)')


if __name__ == '__main__':
    main()
