"""Train the bundled cavity U-Net on temguard-simulated images, validate it on fresh simulated
images per preset with the paper's matching, export ONNX and write models/<name>.manifest.json.

    /usr/bin/python3 models/recipes/detector/train.py --name cavity-unet-all \
        --train DATA/train-steel-under DATA/train-steel-over ... --val DATA/val-* --minutes 18

Each --train/--val DIR is a `temguard simulate` output (PNGs + COCO annotations.json, image
entries carrying a `temguard` object with the preset); an optional DIR/recipe.json (written by
build.sh) records the simulate command and seed and is copied into the manifest.
"""
import argparse
import datetime
import hashlib
import json
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import f1_of, instances, load_coco, match_counts, normalise  # noqa: E402
from export_onnx import ADAPTER_METADATA, export  # noqa: E402
from unet import STRIDE, UNet  # noqa: E402


def load_dirs(dirs):
    items = []
    for d in dirs:
        for name, img, boxes, mask, info in load_coco(d):
            items.append({'dir': d, 'name': name, 'x': normalise(img), 'mask': mask, 'boxes': boxes,
                          'preset': info.get('preset', os.path.basename(d.rstrip('/')))})
    return items


def dir_recipe(d):
    p = os.path.join(d, 'recipe.json')
    if os.path.exists(p):
        with open(p) as f:
            return json.load(f)
    return {'dir': d}


def rescaled_crop(it, crop, rng, scale):
    """A crop x crop window of crop/s pixels resized by s, log-uniform in scale = (lo, hi): real
    cavities span 3-70 px across, the simulated ones mostly 4-30 px."""
    h, w = it['x'].shape
    s = float(np.exp(rng.uniform(np.log(scale[0]), np.log(scale[1]))))
    win = min(h, w, int(round(crop / s)))
    y0 = rng.integers(0, h - win + 1)
    x0 = rng.integers(0, w - win + 1)
    x = it['x'][y0:y0 + win, x0:x0 + win]
    y = it['mask'][y0:y0 + win, x0:x0 + win].astype(np.float32)
    if win != crop:
        t = torch.from_numpy(np.stack([x, y]))[None]
        t = F.interpolate(t, size=(crop, crop), mode='bilinear', align_corners=False)[0].numpy()
        x, y = t[0], (t[1] >= 0.5).astype(np.float32)
    return x, y


def degrade(x, rng):
    """Real micrographs are noisier and more mottled than the simulator's: add a low-frequency
    background (strain/thickness contrast), optional blur, and white noise, in normalised units."""
    if rng.random() < 0.7:
        field = ndimage.gaussian_filter(rng.normal(0, 1, x.shape), rng.uniform(6, 25))
        x = x + field / (np.abs(field).max() + 1e-6) * rng.uniform(0, 0.25)
    if rng.random() < 0.3:
        x = ndimage.gaussian_filter(x, rng.uniform(0.4, 1.2))
    x = x + rng.normal(0, rng.uniform(0, 0.08), x.shape)
    return np.clip(x, 0, 1).astype(np.float32)


def sample_batch(items, batch, crop, rng, strong=False, scale=(1.0, 1.0)):
    xs, ys = [], []
    for _ in range(batch):
        it = items[rng.integers(len(items))]
        x, y = rescaled_crop(it, crop, rng, scale if strong else (1.0, 1.0))
        if strong:
            x = degrade(x, rng)
        k = rng.integers(4)
        x, y = np.rot90(x, k), np.rot90(y, k)
        if rng.random() < 0.5:
            x, y = x[:, ::-1], y[:, ::-1]
        x = np.clip(x, 0, 1) ** np.float32(np.exp(rng.normal(0, 0.2)))  # contrast (gamma) jitter
        xs.append(np.ascontiguousarray(x))
        ys.append(np.ascontiguousarray(y))
    return torch.from_numpy(np.stack(xs)[:, None]), torch.from_numpy(np.stack(ys)[:, None])


def loss_fn(logits, target):
    bce = F.binary_cross_entropy_with_logits(logits, target)
    p = torch.sigmoid(logits)
    inter = (p * target).sum()
    dice = 1 - (2 * inter + 1) / (p.sum() + target.sum() + 1)
    return bce + dice


def predict(model, x):
    h, w = x.shape
    ph, pw = -(-h // STRIDE) * STRIDE, -(-w // STRIDE) * STRIDE
    xp = np.pad(x, ((0, ph - h), (0, pw - w)), mode='edge')
    with torch.no_grad():
        return model(torch.from_numpy(xp)[None, None]).numpy()[0, 0, :h, :w]


def validate(model, items, threshold, min_area):
    model.eval()
    per = {}
    for it in items:
        dets = instances(predict(model, it['x']), threshold, min_area)
        tp, fp, fn = match_counts(it['boxes'], [d[0] for d in dets])
        s = per.setdefault(it['preset'], {'images': 0, 'truths': 0, 'predictions': 0, 'tp': 0, 'f1_images': []})
        s['images'] += 1
        s['truths'] += tp + fn
        s['predictions'] += tp + fp
        s['tp'] += tp
        s['f1_images'].append(f1_of(tp, fp, fn))
    out = {}
    for preset, s in sorted(per.items()):
        tp, fp, fn = s['tp'], s['predictions'] - s['tp'], s['truths'] - s['tp']
        out[preset] = {
            'images': s['images'], 'truths': s['truths'], 'predictions': s['predictions'], 'tp': tp,
            'precision': round(tp / max(1, tp + fp), 4), 'recall': round(tp / max(1, tp + fn), 4),
            'f1_pooled': round(f1_of(tp, fp, fn), 4), 'f1_mean_per_image': round(float(np.mean(s['f1_images'])), 4),
        }
    return out


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        h.update(f.read())
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--name', required=True)
    ap.add_argument('--train', nargs='+', required=True)
    ap.add_argument('--val', nargs='+', required=True)
    ap.add_argument('--out-dir', default='models')
    ap.add_argument('--base', type=int, default=12)
    ap.add_argument('--crop', type=int, default=128)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--steps', type=int, default=3000)
    ap.add_argument('--minutes', type=float, default=18, help='stop early at this wall time')
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=1, help='1 is fastest on a shared, oversubscribed CPU (OpenMP spin-waits)')
    ap.add_argument('--threshold', type=float, default=0.5)
    ap.add_argument('--min-area', type=int, default=6)
    ap.add_argument('--description', default='')
    ap.add_argument('--aug', choices=['basic', 'strong'], default='basic',
                    help='basic: crop/rot90/flip/gamma; strong adds rescaling (--scale), mottled background, blur, noise')
    ap.add_argument('--scale', type=float, nargs=2, default=[0.5, 1.25], metavar=('LO', 'HI'),
                    help='strong augmentation: crops rescaled by a factor log-uniform in [LO, HI]')
    ap.add_argument('--checkpoint-every', type=int, default=500, help='save the weights to TMPDIR/<name>.pt this often (steps)')
    ap.add_argument('--init', help='start from these weights (a state dict saved by an earlier run) instead of random')
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    t_load = time.time()
    train = load_dirs(a.train)
    print(f'loaded {len(train)} train images in {time.time() - t_load:.0f}s', flush=True)

    model = UNet(a.base)
    if a.init:
        model.load_state_dict(torch.load(a.init))
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    os.makedirs(a.out_dir, exist_ok=True)
    checkpoint = os.path.join(tempfile.gettempdir(), a.name + '.pt')
    t0 = time.time()
    step, avg = 0, None
    budget = a.minutes * 60
    while step < a.steps and time.time() - t0 < budget:
        frac = min(1.0, max(step / a.steps, (time.time() - t0) / budget))
        for g in opt.param_groups:
            g['lr'] = a.lr * 0.5 * (1 + np.cos(np.pi * frac))  # cosine decay over whichever budget ends first
        model.train()
        x, y = sample_batch(train, a.batch, a.crop, rng, a.aug == 'strong', tuple(a.scale))
        loss = loss_fn(model.logits(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        avg = loss.item() if avg is None else 0.95 * avg + 0.05 * loss.item()
        if step % 50 == 0:
            print(f'step {step} loss {avg:.4f} {time.time() - t0:.0f}s', flush=True)
        if step % a.checkpoint_every == 0:
            torch.save(model.state_dict(), checkpoint)  # a long run can be looked at (sweep.py) while it trains
    train_s = time.time() - t0

    torch.save(model.state_dict(), checkpoint)  # survives a failed validation
    val = load_dirs(a.val)  # loaded late: validation sets may still be rendering while training runs
    metrics = validate(model, val, a.threshold, a.min_area)
    print(json.dumps(metrics, indent=1), flush=True)

    onnx_path = os.path.join(a.out_dir, a.name + '.onnx')
    presets = sorted({it['preset'] for it in train})
    export(model, onnx_path, {
        'temguard.threshold': str(a.threshold), 'temguard.min_area': str(a.min_area),
        'temguard.model': a.name, 'temguard.training_presets': ','.join(presets),
    })
    manifest = {
        'name': a.name,
        'file': os.path.basename(onnx_path),
        'sha256': sha256(onnx_path),
        'bytes': os.path.getsize(onnx_path),
        'kind': 'detector',
        'adapter': 'unet',
        'description': a.description,
        'input': {'name': 'image', 'shape': '[1,1,H,W], H and W multiples of 16 (the agent edge-pads)',
                  'dtype': 'float32', 'normalisation': 'per-image percentile scaling: (v - p1) / (p99 - p1) clipped to [0,1]; '
                  'percentiles from every s-th pixel, s = ceil(N / 262144), nearest rank'},
        'output': {'name': 'prob', 'shape': '[1,1,H,W]', 'meaning': 'cavity probability per pixel'},
        'postprocess': {'instances': '8-connected components of prob >= threshold', 'threshold': a.threshold,
                        'min_area': a.min_area, 'score': 'mean probability over the component'},
        'metadata_props': {**ADAPTER_METADATA, 'temguard.threshold': str(a.threshold), 'temguard.min_area': str(a.min_area)},
        'architecture': {'type': 'UNet', 'base_channels': a.base, 'levels': 4,
                         'parameters': int(sum(p.numel() for p in model.parameters()))},
        'training': {
            'presets': presets, 'images': len(train),
            'images_per_preset': {p: sum(1 for it in train if it['preset'] == p) for p in presets},
            'data': [dir_recipe(d) for d in a.train],
            'steps': step, 'init': a.init, 'crop': a.crop, 'batch': a.batch, 'lr': a.lr, 'seed': a.seed,
            'loss': 'BCE + soft Dice', 'target': 'union of instance outlines minus pixels two instances (grown 1 px) share',
            'augmentation': 'random crop, rot90, flip, gamma exp(N(0,0.2))' + (
                f'; rescale {a.scale[0]:g}-{a.scale[1]:g}x, low-frequency background up to 0.25, blur p=0.3, noise sigma U(0,0.08)' if a.aug == 'strong' else ''),
            'wall_seconds': round(train_s), 'threads': a.threads, 'torch': torch.__version__,
        },
        'validation': {
            'matching': "paper's greedy box IoU >= 0.1, confidence >= 0 (all instances)",
            'data': [dir_recipe(d) for d in a.val],
            'per_preset': metrics,
        },
        'recipe': 'models/recipes/detector/train.py ' + ' '.join(sys.argv[1:]),
        'created': datetime.datetime.utcnow().replace(microsecond=0).isoformat() + 'Z',
    }
    with open(os.path.join(a.out_dir, a.name + '.manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    print('wrote', onnx_path, manifest['bytes'], 'bytes', flush=True)


if __name__ == '__main__':
    main()
