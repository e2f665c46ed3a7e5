#!/usr/bin/python3
"""Real labelled rows for the F1 forest: crops of the real cavity-free backgrounds
(../shared/data/backgrounds, the adaptation part of models/recipes/detector/real_split.json, never
its held-out part), at full, half and quarter scale. Their labels are exact: nothing in them is a
cavity, so every detection is false (F1 0) and an image left empty is right (F1 1).

    real_empty.py OUT_DIR [--data ../shared/data] [--per-scale 2] [--size 512] [--seed 0] [--held-out]

OUT_DIR gets 8-bit PNGs and a COCO annotations.json with no annotations, for `temguard dataset`.
--held-out takes the held-out backgrounds instead (to check the forest on them, never to train).
"""
import argparse
import json
import os

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SPLIT = os.path.join(HERE, '..', 'detector', 'real_split.json')


def crops(img, size, per_scale, rng):
    """(scale, crop) pairs: per_scale random size x size windows at 1, 1/2 and 1/4 scale
    (area-averaged), for every scale at which the image is still at least size on each side."""
    out = []
    for f in (1, 2, 4):
        w, h = img.size[0] // f, img.size[1] // f
        if min(w, h) < size:
            break
        small = img if f == 1 else img.resize((w, h), Image.BOX)
        for _ in range(per_scale):
            x0, y0 = int(rng.integers(0, w - size + 1)), int(rng.integers(0, h - size + 1))
            out.append((f, small.crop((x0, y0, x0 + size, y0 + size))))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--data', default='../shared/data')
    ap.add_argument('--per-scale', type=int, default=2)
    ap.add_argument('--size', type=int, default=512)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--held-out', action='store_true')
    a = ap.parse_args()
    with open(SPLIT) as f:
        keys = json.load(f)['backgrounds_held_out' if a.held_out else 'backgrounds_adaptation']
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    images = []
    for k in keys:
        img = Image.open(os.path.join(a.data, k)).convert('L')
        stem = os.path.splitext(os.path.basename(k))[0].replace(' ', '_')
        for i, (f, c) in enumerate(crops(img, a.size, a.per_scale, rng)):
            name = f'{stem}-s{f}-{i}.png'
            c.save(os.path.join(a.out, name))
            images.append({'id': len(images) + 1, 'file_name': name, 'width': a.size, 'height': a.size,
                           'temguard': {'preset': 'real-empty', 'background': k, 'downscale': f}})
    coco = {'info': {'description': f'crops of real cavity-free backgrounds ({"held-out" if a.held_out else "adaptation"} part of real_split.json): no cavities'},
            'images': images, 'annotations': [], 'categories': [{'id': 1, 'name': 'cavity'}]}
    with open(os.path.join(a.out, 'annotations.json'), 'w') as f:
        json.dump(coco, f, indent=1)
    print(f'real_empty.py: {len(images)} crops of {len(keys)} backgrounds -> {a.out}')


if __name__ == '__main__':
    main()
