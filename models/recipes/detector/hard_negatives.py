#!/usr/bin/python3
"""Hard negatives from real cavity-free backgrounds (issue 12): every place where the agent's
detect stage finds something on the adaptation backgrounds of real_split.json is false, so a
window around each becomes an all-background training image for train.py --pseudo, beside the
whole backgrounds. Random crops of a 1024-4k background rarely hold one of its ~7 false
detections; these windows make every real crop count.

    npx tsx models/recipes/detector/dump_detections.ts --model models/cavity-unet-all.onnx \\
        --out DETS.jsonl <adaptation backgrounds>
    /usr/bin/python3 models/recipes/detector/hard_negatives.py DETS.jsonl OUT_DIR [--side 160] [--max-side 2048]

OUT_DIR gets index.json and one zero label PNG per window (keys relative to ../shared/data).
"""
import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pseudo_labels import window  # noqa: E402


def key_of(path, keys):
    """The real_split.json key ('backgrounds/NAME') of a dumped image path."""
    name = os.path.basename(path)
    for k in keys:
        if os.path.basename(k) == name:
            return k
    raise ValueError(f'{path}: not an adaptation background of real_split.json')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('detections')
    ap.add_argument('out')
    ap.add_argument('--side', type=int, default=160, help='window side around each false detection (px)')
    ap.add_argument('--per-image', type=int, default=12,
                    help='at most this many windows per background (evenly through its detections in row order): '
                         'the dotted first row of the TEM-BF images gives ~250 alike')
    ap.add_argument('--max-side', type=int, default=2048, help='window of the whole-background entries (as pseudo_labels.py)')
    a = ap.parse_args()
    with open(os.path.join(HERE, 'real_split.json')) as f:
        keys = json.load(f)['backgrounds_adaptation']
    os.makedirs(a.out, exist_ok=True)
    images = []
    for line in open(a.detections):
        r = json.loads(line)
        key = key_of(r['path'], keys)
        w, h = r['width'], r['height']
        y0, x0, hh, ww = window((h, w), a.max_side)
        images.append(entry(a.out, key, 'whole', [y0, x0, hh, ww]))
        dets = sorted(r['detections'], key=lambda d: (d['box'][1], d['box'][0]))
        step = max(1, -(-len(dets) // a.per_image))
        for i, d in enumerate(dets[::step]):
            side = min(a.side, w, h)
            cx, cy = (d['box'][0] + d['box'][2]) / 2, (d['box'][1] + d['box'][3]) / 2
            x0 = int(min(max(0, round(cx - side / 2)), w - side))
            y0 = int(min(max(0, round(cy - side / 2)), h - side))
            images.append(entry(a.out, key, f'fp{i}', [y0, x0, side, side]))
    with open(os.path.join(a.out, 'index.json'), 'w') as f:
        json.dump({'params': {'source': os.path.basename(a.detections), 'side': a.side}, 'views': [], 'images': images}, f, indent=1)
    print(f'{len(images)} background windows ({sum(1 for e in images if "-fp" in e["label"])} around false detections)')


def entry(out, key, tag, win):
    name = os.path.basename(key).replace(' ', '_').rsplit('.', 1)[0] + f'-{tag}.png'
    Image.fromarray(np.zeros((win[2], win[3]), np.uint8)).save(os.path.join(out, name))
    return {'key': key, 'label': name, 'window': win, 'kind': 'background', 'kept': 0, 'dropped': 0}


if __name__ == '__main__':
    main()
