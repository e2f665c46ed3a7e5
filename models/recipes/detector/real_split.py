"""The fixed split of the real cavity images (../shared/data/tem and tem-unlabelled) into an
adaptation part (pseudo-labels, fine-tuning) and a held-out part (judged by eye, never trained
on): an image is held out when the first 8 hex digits of sha1("<folder>/<file name>") mod 5 == 0
(about 20 %; 50 of 173 by this rule). The real cavity-free backgrounds (../shared/data/backgrounds:
mottle, dislocations, bend contours, black dots) are split by the same rule: the adaptation ones
are all-background training crops, the held-out ones count false positives on real texture. Writes real_split.json next to this file; the file is committed so the split does
not depend on which images a checkout has.

    /usr/bin/python3 models/recipes/detector/real_split.py [DATA_DIR (../shared/data)]
"""
import hashlib
import json
import os
import sys

FOLDERS = ['tem', 'tem-unlabelled']
IMAGE = ('.png', '.jpg', '.jpeg', '.tif', '.tiff')


def held_out(key: str) -> bool:
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 5 == 0


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else '../shared/data'
    keys = sorted(f'{d}/{n}' for d in FOLDERS for n in os.listdir(os.path.join(data, d)) if n.lower().endswith(IMAGE))
    bgs = sorted(f'backgrounds/{n}' for n in os.listdir(os.path.join(data, 'backgrounds')) if n.lower().endswith(IMAGE))
    split = {'rule': 'held out when int(sha1("<folder>/<name>")[:8], 16) % 5 == 0',
             'adaptation': [k for k in keys if not held_out(k)], 'held_out': [k for k in keys if held_out(k)],
             'backgrounds_adaptation': [k for k in bgs if not held_out(k)],
             'backgrounds_held_out': [k for k in bgs if held_out(k)]}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'real_split.json')
    with open(out, 'w') as f:
        json.dump(split, f, indent=1)
        f.write('\n')
    print(f'{len(keys)} images: {len(split["adaptation"])} adaptation, {len(split["held_out"])} held out; '
          f'{len(bgs)} backgrounds: {len(split["backgrounds_held_out"])} held out -> {out}')


if __name__ == '__main__':
    main()
