"""Train the bundled cavity U-Net on temguard-simulated images, validate it on fresh simulated
images per preset with the paper's matching, export ONNX and write models/<name>.manifest.json.

    /usr/bin/python3 models/recipes/detector/train.py --name cavity-unet-all \
        --train DATA/train-steel-under DATA/train-steel-over ... --val DATA/val-* --minutes 18

Each --train/--val DIR is a `temguard simulate` output (PNGs + COCO annotations.json, image
entries carrying a `temguard` object with the preset); an optional DIR/recipe.json (written by
build.sh) records the simulate command and seed and is copied into the manifest.

Self-training on real images (issue 12): --pseudo DIR (written by pseudo_labels.py label: one
label PNG per real image, 0 background, 1 cavity, 255 ignore) mixes real crops into each batch
(--pseudo-frac of it); the loss is masked where the label says ignore. --init accepts a state
dict or an ONNX export (re-created by onnx_init.py; fine-tune that with --freeze-bn).
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import f1_of, instances, load_coco, match_counts, normalise  # noqa: E402
from pseudo_labels import load_gray  # noqa: E402
from export_onnx import ADAPTER_METADATA, export  # noqa: E402
from unet import STRIDE, UNet  # noqa: E402


def load_dirs(dirs, ignore_below=0, ignore_presets=()):
    items = []
    for d in dirs:
        for name, img, boxes, mask, info in load_coco(d):
            preset = info.get('preset', os.path.basename(d.rstrip('/')))
            below = ignore_below if preset in ignore_presets else 0
            items.append({'dir': d, 'name': name, 'x': normalise(img), 'mask': mask, 'boxes': boxes,
                          'ignore': ignore_small(boxes, mask.shape, below), 'preset': preset})
    return items


def ignore_small(boxes, shape, below):
    """Where the loss does not count (True): each labelled cavity under `below` px across and a
    2 px margin round it, or None. A 2-4 px simulated cavity looks like a 2-4 px noise dot, and
    training on them taught the model to fire on real noise (docs/detector); ignoring them keeps
    the larger cavities of the same frames as positives without teaching either way on dots."""
    if below <= 0:
        return None
    h, w = shape
    ign = np.zeros(shape, bool)
    for x0, y0, x1, y1 in boxes:
        if max(x1 - x0, y1 - y0) < below:
            ign[max(0, int(y0) - 2):min(h, int(math.ceil(y1)) + 2), max(0, int(x0) - 2):min(w, int(math.ceil(x1)) + 2)] = True
    return ign if ign.any() else None


def load_pseudo(pseudo_dir, data_dir):
    """Real images with their pseudo-label maps; 'mask' is the label (0, 1, 255 = ignore)."""
    with open(os.path.join(pseudo_dir, 'index.json')) as f:
        index = json.load(f)
    items = []
    for e in index['images']:
        y0, x0, hh, ww = e['window']
        x = normalise(load_gray(os.path.join(data_dir, e['key'])))[y0:y0 + hh, x0:x0 + ww]
        lab = np.array(Image.open(os.path.join(pseudo_dir, e['label'])))
        if lab.shape != x.shape:
            raise ValueError(f"{e['key']}: label {lab.shape} vs image window {x.shape}")
        items.append({'name': e['key'], 'x': x, 'mask': lab, 'kind': e.get('kind', 'pseudo')})
    return index, items


def pseudo_crop(it, crop, rng, scale, tries=8):
    """A rescaled crop of a real image and its label (nearest), preferring crops that are not
    mostly ignore. Returns image, target (0/1) and weight (0 where ignored)."""
    h, w = it['x'].shape
    for _ in range(tries):
        s = float(np.exp(rng.uniform(np.log(scale[0]), np.log(scale[1]))))
        win = min(h, w, int(round(crop / s)))
        y0 = rng.integers(0, h - win + 1)
        x0 = rng.integers(0, w - win + 1)
        lab = it['mask'][y0:y0 + win, x0:x0 + win]
        if np.mean(lab == 255) < 0.7:
            break
    x = it['x'][y0:y0 + win, x0:x0 + win]
    if win != crop:
        x = F.interpolate(torch.from_numpy(np.ascontiguousarray(x))[None, None], size=(crop, crop), mode='bilinear',
                          align_corners=False)[0, 0].numpy()
        lab = F.interpolate(torch.from_numpy(lab.astype(np.float32))[None, None], size=(crop, crop),
                            mode='nearest')[0, 0].numpy()
    lab = np.asarray(lab)
    return x.astype(np.float32), (lab == 1).astype(np.float32), (lab != 255).astype(np.float32)


def init_record(path):
    """What an ONNX --init was: its sha256 and, when its manifest sits next to it, that
    manifest's training and validation blocks (the fine-tuned model's ancestry)."""
    rec = {'file': path, 'sha256': sha256(path)}
    m = path[:-len('.onnx')] + '.manifest.json'
    if os.path.exists(m):
        with open(m) as f:
            man = json.load(f)
        rec.update({'manifest': {k: man.get(k) for k in ('name', 'description', 'created', 'recipe')},
                    'training': man.get('training'), 'validation_per_preset': man.get('validation', {}).get('per_preset')})
    return rec


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
    ign = it.get('ignore')
    wt = np.ones_like(y) if ign is None else (~ign[y0:y0 + win, x0:x0 + win]).astype(np.float32)
    if win != crop:
        t = torch.from_numpy(np.stack([x, y, wt]))[None]
        t = F.interpolate(t, size=(crop, crop), mode='bilinear', align_corners=False)[0].numpy()
        x, y, wt = t[0], (t[1] >= 0.5).astype(np.float32), (t[2] >= 0.999).astype(np.float32)
    return x, y, wt


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


def real_noise(x, rng, sigma_max):
    """White noise on a real cavity-free crop, some of it blurred (correlated like a camera's):
    the noisiest real frames (the 666² void set: Immerkaer sigma 0.17-0.21 after percentile
    normalisation) are far noisier than the backgrounds (0.02-0.04) or the simulated training
    crops. On a background the label stays exact whatever the noise: nothing there is a cavity."""
    if sigma_max <= 0 or rng.random() < 0.4:
        return x
    n = rng.normal(0, 1, x.shape)
    if rng.random() < 0.5:
        n = ndimage.gaussian_filter(n, rng.uniform(0.5, 1.0))
        n /= n.std() + 1e-6
    return np.clip(x + n * rng.uniform(0, sigma_max), 0, 1).astype(np.float32)


def level_jitter(x, rng, gain, shift):
    """A new linear intensity scaling of a crop: gain log-uniform in `gain`, its mean moved by up to
    `shift`, clipped to [0,1]. A real frame is scaled by its own percentiles as a whole, so a dark or
    low-contrast region of it reaches the network with less contrast and clipped rims; a simulated
    512^2 image never does (docs/detector, "Local normalisation"). The noise and clutter scale with
    the cavities, so the simulator's SNR-based labels stay right; only the clipping loses detail."""
    if gain[0] == gain[1] == 1.0 and shift == 0.0:
        return x
    g = float(np.exp(rng.uniform(np.log(gain[0]), np.log(gain[1]))))
    m = float(x.mean())
    return np.clip((x - m) * g + m + rng.uniform(-shift, shift), 0, 1).astype(np.float32)


def sample_batch(items, batch, crop, rng, strong=False, scale=(1.0, 1.0), pseudo=None, pseudo_frac=0.0,
                 pseudo_scale=(1.0, 1.0), background_share=0.0, noise_on_real=0.0, jitter=((1.0, 1.0), 0.0)):
    """Simulated crops (augmented as before) and, when pseudo is given, round(batch * pseudo_frac)
    real crops (rescaled, rot90/flip/gamma, no synthetic degradation: they are real already),
    a background_share of them from the cavity-free real backgrounds, which get real_noise up to
    noise_on_real. Returns x, target, weight (None without pseudo or ignored cavities: every pixel counts)."""
    n_real = int(round(batch * pseudo_frac)) if pseudo else 0
    if pseudo:
        bgs = [it for it in pseudo if it['kind'] == 'background']
        cav = [it for it in pseudo if it['kind'] != 'background']
    xs, ys, ws = [], [], []
    for b in range(batch):
        if b < n_real:
            pool = bgs if bgs and (not cav or rng.random() < background_share) else cav
            it = pool[rng.integers(len(pool))]
            x, y, wt = pseudo_crop(it, crop, rng, pseudo_scale)
            if it['kind'] == 'background':
                x = real_noise(x, rng, noise_on_real)
        else:
            it = items[rng.integers(len(items))]
            x, y, wt = rescaled_crop(it, crop, rng, scale if strong else (1.0, 1.0))
            if strong:
                x = degrade(x, rng)
        x = level_jitter(x, rng, *jitter)  # real crops too: a real background stays all background
        k = rng.integers(4)
        x, y, wt = np.rot90(x, k), np.rot90(y, k), np.rot90(wt, k)
        if rng.random() < 0.5:
            x, y, wt = x[:, ::-1], y[:, ::-1], wt[:, ::-1]
        x = np.clip(x, 0, 1) ** np.float32(np.exp(rng.normal(0, 0.2)))  # contrast (gamma) jitter
        xs.append(np.ascontiguousarray(x))
        ys.append(np.ascontiguousarray(y))
        ws.append(np.ascontiguousarray(wt))
    t = lambda a: torch.from_numpy(np.stack(a).astype(np.float32)[:, None])  # noqa: E731
    weighted = pseudo or any(it.get('ignore') is not None for it in items)
    return t(xs), t(ys), (t(ws) if weighted else None)


def loss_fn(logits, target, weight=None):
    """BCE + soft Dice; with a weight map, both only over pixels of weight 1 (pseudo-label
    ignore regions count for nothing)."""
    if weight is None:
        bce = F.binary_cross_entropy_with_logits(logits, target)
        p = torch.sigmoid(logits)
        inter = (p * target).sum()
        dice = 1 - (2 * inter + 1) / (p.sum() + target.sum() + 1)
        return bce + dice
    bce = (F.binary_cross_entropy_with_logits(logits, target, reduction='none') * weight).sum() / weight.sum().clamp(min=1)
    p = torch.sigmoid(logits) * weight
    inter = (p * target).sum()
    dice = 1 - (2 * inter + 1) / (p.sum() + (target * weight).sum() + 1)
    return bce + dice


def freeze_batchnorm(model):
    """Keep BatchNorm in eval mode (running statistics fixed) while the rest trains."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.eval()


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
    ap.add_argument('--val', nargs='*', default=[],
                    help='validation dirs; none: skip validation (e.g. cross-fitting, where the agent scores the held-out fold)')
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
    ap.add_argument('--object-px', metavar='LO,HI',
                    help='equivalent diameters (px) the model finds at its own scale: exported as temguard.object_px (the agent\'s pyramid); unset: the adapter\'s default')
    ap.add_argument('--class-name', default='cavity', help='the one class the probability map is of (temguard.classes, manifest)')
    ap.add_argument('--aug', choices=['basic', 'strong'], default='basic',
                    help='basic: crop/rot90/flip/gamma; strong adds rescaling (--scale), mottled background, blur, noise')
    ap.add_argument('--scale', type=float, nargs=2, default=[0.5, 1.25], metavar=('LO', 'HI'),
                    help='strong augmentation: crops rescaled by a factor log-uniform in [LO, HI]')
    ap.add_argument('--checkpoint-every', type=int, default=500, help='save the weights to TMPDIR/<name>.pt this often (steps)')
    ap.add_argument('--init', help='start from these weights (a state dict saved by an earlier run, or an ONNX export) instead of random')
    ap.add_argument('--freeze-bn', action='store_true', help='BatchNorm statistics fixed (needed with an ONNX --init)')
    ap.add_argument('--pseudo', help='pseudo-label dir (pseudo_labels.py label) of real images to mix in')
    ap.add_argument('--pseudo-data', default='../shared/data', help='root the pseudo-label keys are relative to')
    ap.add_argument('--pseudo-frac', type=float, default=0.25, help='fraction of each batch from --pseudo')
    ap.add_argument('--background-share', type=float, default=0.33,
                    help='share of the real crops taken from the all-background real images in --pseudo')
    ap.add_argument('--real-noise', type=float, default=0.0, metavar='SIGMA',
                    help='white (or slightly blurred) noise up to this std on the real background crops (real_noise)')
    ap.add_argument('--pseudo-scale', type=float, nargs=2, default=[0.7, 1.4], metavar=('LO', 'HI'),
                    help='real crops rescaled by a factor log-uniform in [LO, HI]')
    ap.add_argument('--level-gain', type=float, nargs=2, default=[1.0, 1.0], metavar=('LO', 'HI'),
                    help='every crop re-scaled in contrast by a gain log-uniform in [LO, HI] (level_jitter)')
    ap.add_argument('--level-shift', type=float, default=0.0, metavar='D',
                    help='and their mean moved by up to +-D (level_jitter)')
    ap.add_argument('--ignore-below', type=int, default=0, metavar='PX',
                    help='simulated cavities under PX px across (and 2 px round them) count for nothing in the loss (ignore_small)')
    ap.add_argument('--ignore-presets', nargs='*', default=[], metavar='PRESET', help='the presets --ignore-below applies to')
    a = ap.parse_args()
    if a.ignore_below and not a.ignore_presets:
        ap.error('--ignore-below needs --ignore-presets: the presets whose small cavities are ignored')

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    t_load = time.time()
    train = load_dirs(a.train, a.ignore_below, a.ignore_presets)
    unknown = sorted(set(a.ignore_presets) - {it['preset'] for it in train})
    if unknown:
        ap.error(f'--ignore-presets {", ".join(unknown)}: no such preset in --train')
    print(f'loaded {len(train)} train images in {time.time() - t_load:.0f}s', flush=True)

    pseudo_index, pseudo = (load_pseudo(a.pseudo, a.pseudo_data) if a.pseudo else (None, None))
    if pseudo:
        print(f'loaded {len(pseudo)} pseudo-labelled real images', flush=True)

    model = UNet(a.base)
    init_sha = None
    if a.init and a.init.endswith('.onnx'):
        from onnx_init import from_onnx
        init_sha = init_record(a.init)  # read before training: the output may overwrite this file
        model = from_onnx(a.init)
    elif a.init:
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
        if a.freeze_bn:
            freeze_batchnorm(model)
        x, y, wt = sample_batch(train, a.batch, a.crop, rng, a.aug == 'strong', tuple(a.scale), pseudo, a.pseudo_frac,
                                tuple(a.pseudo_scale), a.background_share, a.real_noise, (tuple(a.level_gain), a.level_shift))
        loss = loss_fn(model.logits(x), y, wt)
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
    metrics = validate(model, val, a.threshold, a.min_area) if val else {}
    print(json.dumps(metrics, indent=1), flush=True)
    # Only keys that differ from export_onnx's defaults, so a run without these flags exports as before.
    model_meta = {**({'temguard.object_px': a.object_px} if a.object_px else {}),
                  **({'temguard.classes': "{0: '%s'}" % a.class_name} if a.class_name != 'cavity' else {})}

    onnx_path = os.path.join(a.out_dir, a.name + '.onnx')
    presets = sorted({it['preset'] for it in train})
    export(model, onnx_path, {
        'temguard.threshold': str(a.threshold), 'temguard.min_area': str(a.min_area),
        'temguard.model': a.name, 'temguard.training_presets': ','.join(presets), **model_meta,
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
        'output': {'name': 'prob', 'shape': '[1,1,H,W]', 'meaning': f'{a.class_name} probability per pixel'},
        'postprocess': {'instances': '8-connected components of prob >= threshold', 'threshold': a.threshold,
                        'min_area': a.min_area, 'score': 'mean probability over the component'},
        'metadata_props': {**ADAPTER_METADATA, 'temguard.threshold': str(a.threshold), 'temguard.min_area': str(a.min_area), **model_meta},
        'architecture': {'type': 'UNet', 'base_channels': a.base, 'levels': 4,
                         'parameters': int(sum(p.numel() for p in model.parameters()))},
        'training': {
            'presets': presets, 'images': len(train),
            'images_per_preset': {p: sum(1 for it in train if it['preset'] == p) for p in presets},
            'data': [dir_recipe(d) for d in a.train],
            'steps': step, 'init': a.init, 'init_onnx': init_sha, 'freeze_bn': a.freeze_bn, 'crop': a.crop, 'batch': a.batch, 'lr': a.lr, 'seed': a.seed,
            'loss': 'BCE + soft Dice', 'target': 'union of instance outlines minus pixels two instances (grown 1 px) share' + (
                f'; cavities under {a.ignore_below} px across (box, + 2 px) ignored in the loss in {", ".join(a.ignore_presets)}' if a.ignore_below else ''),
            'augmentation': 'random crop, rot90, flip, gamma exp(N(0,0.2))' + (
                f'; rescale {a.scale[0]:g}-{a.scale[1]:g}x, low-frequency background up to 0.25, blur p=0.3, noise sigma U(0,0.08)' if a.aug == 'strong' else '') + (
                f'; level jitter: gain {a.level_gain[0]:g}-{a.level_gain[1]:g} log-uniform, mean shift +-{a.level_shift:g}, clipped' if a.level_gain != [1.0, 1.0] or a.level_shift else ''),
            'wall_seconds': round(train_s), 'threads': a.threads, 'torch': torch.__version__,
            'pseudo_labels': None if not pseudo else {
                'recipe': 'models/recipes/detector/pseudo_labels.py (infer, then label)',
                'split': 'models/recipes/detector/real_split.json (adaptation part only; held_out never trained on)',
                'params': pseudo_index.get('params'), 'views': pseudo_index.get('views'),
                'batch_fraction': a.pseudo_frac, 'background_share': a.background_share, 'scale': a.pseudo_scale,
                'noise_on_backgrounds': a.real_noise,
                'loss': 'BCE + soft Dice over non-ignored pixels',
                'images': [{'key': e['key'], 'kind': e.get('kind', 'pseudo'), 'window': e['window'], 'kept': e['kept']}
                           for e in pseudo_index['images']],
            },
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
