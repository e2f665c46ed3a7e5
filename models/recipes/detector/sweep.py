"""F1 per preset of a trained U-Net (state dict) at several instance thresholds, used to choose
train.py --threshold (written into the ONNX metadata). On the first model F1 was flat from 0.2
to 0.6 (within 0.01 per preset), so 0.3 was chosen: uncertain instances then reach the agent with
low scores instead of being cut, which the F1 forest's score features can use.

    /usr/bin/python3 models/recipes/detector/sweep.py WEIGHTS.pt BASE DIR [DIR ...]
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import f1_of, instances, match_counts  # noqa: E402
from train import load_dirs, predict  # noqa: E402
from unet import UNet  # noqa: E402

THRESHOLDS = [0.2, 0.3, 0.4, 0.5, 0.6]


def main():
    torch.set_num_threads(1)
    weights, base, dirs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    model = UNet(base)
    model.load_state_dict(torch.load(weights))
    model.eval()
    counts = {}
    for it in load_dirs(dirs):
        prob = predict(model, it['x'])
        for t in THRESHOLDS:
            tp, fp, fn = match_counts(it['boxes'], [d[0] for d in instances(prob, t, 6)])
            c = counts.setdefault((it['preset'], t), [0, 0, 0])
            c[0] += tp
            c[1] += fp
            c[2] += fn
    presets = sorted({p for p, _ in counts})
    print('preset'.ljust(14) + ''.join(f'  t={t:<5}' for t in THRESHOLDS))
    for p in presets:
        print(p.ljust(14) + ''.join(f'  {f1_of(*counts[(p, t)]):.3f}  ' for t in THRESHOLDS))


if __name__ == '__main__':
    main()
