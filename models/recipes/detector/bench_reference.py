"""Reference timings for bench/detect.bench.ts: the same U-Net architecture in PyTorch (CPU,
weights loaded from a .pt if given, else random: speed does not depend on the values) and the
same post-processing in numpy/scipy, at the size the benchmark uses. Prints one JSON line."""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import instances, normalise  # noqa: E402
from unet import UNet  # noqa: E402


def median_ms(fn, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return float(np.median(ts))


def main():
    base, size, threads, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    model = UNet(base).eval()
    img = np.random.default_rng(0).integers(0, 256, (size, size)).astype(np.float32)
    x = torch.from_numpy(normalise(img))[None, None]
    with torch.no_grad():
        model(x)  # warm-up
        infer = median_ms(lambda: model(x), reps)
        prob = model(x).numpy()[0, 0]
    pre = median_ms(lambda: normalise(img), reps)
    post = median_ms(lambda: instances(prob, 0.5, 6), reps)
    print(json.dumps({'preprocessMs': pre, 'inferenceMs': infer, 'postprocessMs': post, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
