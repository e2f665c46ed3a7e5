"""False positives on held-out real texture: every detection on the held-out cavity-free
backgrounds of real_split.json is a false positive (black dots, dislocations, bend contours,
mottle). A count in brackets leaves out detections whose box touches the image edge (one of
the held-out backgrounds has a dotted first row that the model reads as a line of dots). Also counts detections on the held-out cavity images (no truth there: for the eye).
Whole image at its own size as the agent's unet adapter runs it; instances as common.instances.

    /usr/bin/python3 models/recipes/detector/real_check.py MODEL.onnx|MODEL.pt [MODEL ...] [--images]
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import instances, normalise  # noqa: E402
from pseudo_labels import load_gray, load_model, predict  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    data = os.environ.get('REAL_DATA', '../shared/data')
    torch.set_num_threads(1)
    with open(os.path.join(HERE, 'real_split.json')) as f:
        split = json.load(f)
    keys = split['backgrounds_held_out'] + (split['held_out'] if '--images' in sys.argv else [])
    models = [(m, load_model(m)) for m in args]
    print('| image | ' + ' | '.join(os.path.basename(m) + ' (off the edge)' for m, _ in models) + ' |')
    print('|---|' + '---|' * len(models))
    totals = [[0, 0] for _ in models]
    for key in keys:
        x = normalise(load_gray(os.path.join(data, key)))
        cells = []
        for j, (_, model) in enumerate(models):
            dets = instances(predict(model, x), 0.3, 6)
            h, w = x.shape
            hi = sum(1 for d in dets if d[0][0] > 0 and d[0][1] > 0 and d[0][2] < w and d[0][3] < h)
            if key.startswith('backgrounds/'):
                totals[j][0] += len(dets)
                totals[j][1] += hi
            cells.append(f'{len(dets)} ({hi})')
        print(f'| {key} | ' + ' | '.join(cells) + ' |', flush=True)
    print('| **backgrounds, all false** | ' + ' | '.join(f'**{t[0]} ({t[1]})**' for t in totals) + ' |')


if __name__ == '__main__':
    main()
