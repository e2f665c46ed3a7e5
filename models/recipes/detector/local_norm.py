# Experiment (issue 12): does a local intensity normalisation help the bundled U-Net on real
# frames with strong thickness and bend-contour variation? Writes 8-bit copies of the images in
# which every neighbourhood of B px has its own percentiles 1..99 mapped to the frame's, so the
# agent's global percentile scaling then sees locally stretched contrast. Run the copies through
# dump_detections.ts and compare with the originals (docs/detector, "Local normalisation").
#
#   /usr/bin/python3 models/recipes/detector/local_norm.py OUT_DIR IMAGE... [--block 512] [--floor 0.5] [--offset-only]
#
# --floor: a neighbourhood's range is at least FLOOR x the frame's (at most 1/FLOOR more contrast).
# --offset-only: shift each neighbourhood's percentile 1 to the frame's, keep the contrast.
# Frames no larger than 1.25 blocks are copied unchanged (a 512 px block is the whole of a 512^2 image).
import argparse, os
import numpy as np
from PIL import Image
from scipy import ndimage


def block_grid(h, w, block):
    """Block centres every block/2 px (one centre on an axis that fits in a block)."""
    step = block // 2
    ys = np.arange(0, h + 1, step, dtype=float) if h > block else np.array([h / 2])
    xs = np.arange(0, w + 1, step, dtype=float) if w > block else np.array([w / 2])
    return ys, xs


def local_norm(x, block, floor, offset_only):
    h, w = x.shape
    g1, g99 = np.percentile(x[::2, ::2], [1, 99])
    grange = max(g99 - g1, 1e-6)
    if max(h, w) <= block * 1.25:
        return x
    ys, xs = block_grid(h, w, block)
    lo = np.zeros((len(ys), len(xs)))
    rng = np.zeros_like(lo)
    for i, cy in enumerate(ys):
        for j, cx in enumerate(xs):
            y0 = int(max(0, min(h - block, cy - block / 2)))
            x0 = int(max(0, min(w - block, cx - block / 2)))
            p1, p99 = np.percentile(x[y0:y0 + block:2, x0:x0 + block:2], [1, 99])
            lo[i, j], rng[i, j] = p1, max(p99 - p1, floor * grange)
    # Bilinear between block centres: no seams for the network to see.
    gy = np.interp(np.arange(h), ys, np.arange(len(ys)))
    gx = np.interp(np.arange(w), xs, np.arange(len(xs)))
    Y, X = np.meshgrid(gy, gx, indexing='ij')
    p1 = ndimage.map_coordinates(lo, [Y, X], order=1, mode='nearest')
    if offset_only:
        return x - p1 + g1
    r = ndimage.map_coordinates(rng, [Y, X], order=1, mode='nearest')
    return (x - p1) / r * grange + g1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('images', nargs='+')
    ap.add_argument('--block', type=int, default=512)
    ap.add_argument('--floor', type=float, default=0.5)
    ap.add_argument('--offset-only', action='store_true')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for p in a.images:
        x = np.asarray(Image.open(p).convert('L'), np.float32)
        y = local_norm(x, a.block, a.floor, a.offset_only)
        name = os.path.basename(p).rsplit('.', 1)[0] + '.png'
        Image.fromarray(np.clip(np.round(y), 0, 255).astype(np.uint8)).save(os.path.join(a.out, name))


if __name__ == '__main__':
    main()
