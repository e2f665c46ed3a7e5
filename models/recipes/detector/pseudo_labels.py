"""Pseudo-labels for self-training on real micrographs (issue 12, item 3).

Two steps, so the filter can be tuned without re-running the network:

  infer   run a model (train.py weights or an ONNX export re-created by onnx_init.py) over
          each adaptation image of real_split.json at its own scale under four flips/transposes
          and at half scale; cache the probability maps (uint8) per image.
  label   from the cached maps keep as pseudo-positive the components found consistently (see
          `filter_image`), as pseudo-negative the pixels every view calls background with high
          confidence, and ignore the rest; write one label PNG per image (0 background, 1
          cavity, 255 ignore) and index.json for train.py --pseudo.

    /usr/bin/python3 models/recipes/detector/pseudo_labels.py infer --model models/cavity-unet-all.onnx \
        --data ../shared/data --cache /tmp/pl-cache
    /usr/bin/python3 models/recipes/detector/pseudo_labels.py label --data ../shared/data \
        --cache /tmp/pl-cache --out /tmp/pl [--overlays /tmp/pl-overlays]

Images larger than --max-side are cut to a centred window of that size (after normalising the
whole image, as the agent does), which bounds the CPU time; the window is recorded in index.json.
"""
import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from scipy import ndimage
from skimage.morphology import convex_hull_image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import normalise  # noqa: E402
from unet import STRIDE, UNet  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VIEWS = ['id', 'fliplr', 'flipud', 'transpose', 'half', 'quarter']
FULL = VIEWS[:4]  # the views at the image's own scale


def load_model(path: str) -> UNet:
    if path.endswith('.onnx'):
        from onnx_init import from_onnx
        model = from_onnx(path)
    else:
        sd = torch.load(path)
        model = UNet(int(sd['head.weight'].shape[1]))
        model.load_state_dict(sd)
    return model.eval()


def load_gray(path: str) -> np.ndarray:
    img = np.array(Image.open(path))
    if img.ndim == 3:
        img = img[..., :3].mean(axis=2)  # as common.load_coco; the agent uses sharp's greyscale
    return img


def window(shape, max_side: int):
    h, w = shape
    hh, ww = min(h, max_side), min(w, max_side)
    y0, x0 = (h - hh) // 2, (w - ww) // 2
    return y0, x0, hh, ww


def predict(model, x: np.ndarray) -> np.ndarray:
    h, w = x.shape
    ph, pw = -(-h // STRIDE) * STRIDE, -(-w // STRIDE) * STRIDE
    xp = np.pad(x, ((0, ph - h), (0, pw - w)), mode='edge')
    with torch.no_grad():
        return model(torch.from_numpy(np.ascontiguousarray(xp))[None, None]).numpy()[0, 0, :h, :w]


def view_prob(model, x: np.ndarray, view: str) -> np.ndarray:
    """The model's probability map under one view, mapped back to x's pixel grid."""
    if view == 'id':
        return predict(model, x)
    if view == 'fliplr':
        return predict(model, x[:, ::-1])[:, ::-1]
    if view == 'flipud':
        return predict(model, x[::-1])[::-1]
    if view == 'transpose':
        return predict(model, x.T).T
    if view in ('half', 'quarter'):
        t = torch.from_numpy(np.ascontiguousarray(x))[None, None]
        f = 0.5 if view == 'half' else 0.25
        small = F.interpolate(t, scale_factor=f, mode='area', recompute_scale_factor=False)[0, 0].numpy()
        p = torch.from_numpy(predict(model, small))[None, None]
        return F.interpolate(p, size=x.shape, mode='bilinear', align_corners=False)[0, 0].numpy()
    raise ValueError(view)


def cache_name(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:16] + '.npz'


def infer(a):
    torch.set_num_threads(a.threads)
    model = load_model(a.model)
    with open(os.path.join(HERE, 'real_split.json')) as f:
        keys = json.load(f)[a.part]
    os.makedirs(a.cache, exist_ok=True)
    for i, key in enumerate(keys):
        out = os.path.join(a.cache, cache_name(key))
        have = dict(np.load(out)) if os.path.exists(out) else {}
        if all(v in have for v in VIEWS):
            continue
        t0 = time.time()
        x = normalise(load_gray(os.path.join(a.data, key)))
        y0, x0, hh, ww = window(x.shape, a.max_side)
        x = x[y0:y0 + hh, x0:x0 + ww]
        probs = {v: have[v] if v in have else np.round(view_prob(model, x, v) * 255).astype(np.uint8) for v in VIEWS}
        np.savez_compressed(out + '.tmp.npz', key=key, window=[y0, x0, hh, ww], **probs)
        os.replace(out + '.tmp.npz', out)
        print(f'{i + 1}/{len(keys)} {key} {hh}x{ww} {time.time() - t0:.1f}s', flush=True)


def components(binary: np.ndarray):
    return ndimage.label(binary, structure=np.ones((3, 3), dtype=int))


def filter_image(probs: dict, p: dict):
    """Label map (0 background, 1 cavity, 255 ignore) and per-component verdicts.

    Candidates are the components of the mean map over the four full-scale views and the half
    scale one, >= p['thr'] (the model's threshold). A candidate becomes a pseudo-positive when
      - in every full-scale view (and at half scale too when its area >= p['half_area']: a
        3-6 px cavity is 1-3 px there) the view's pixels >= thr overlap it with IoU >=
        p['agree'] (inside its box grown by 3 px, so spilling into the surroundings counts);
      - its mean probability in the mean map is >= p['score'];
      - its area is >= p['min_area'], it fills >= p['fill'] of its box and its box is at most
        p['aspect'] times longer than wide (slivers along large voids' edges, bend contours);
    its label is the consistent core (every full-scale view >= thr), grown by one pixel inside
    the candidate; the rest of the candidate is ignored. Background: every view, the quarter
    scale one included (large voids are seen there), < p['bg'], and farther than p['margin'] px
    from any pixel any view puts >= thr. Touching pseudo-positives are cut apart by an ignored
    1-px seam, as the simulated targets are.
    """
    views = [probs[v].astype(np.float32) / 255 for v in VIEWS]
    full = [probs[v].astype(np.float32) / 255 for v in FULL]
    half = probs['half'].astype(np.float32) / 255
    mean = np.mean(full + [half], axis=0)
    mx = np.max(views, axis=0)
    thr = p['thr']
    lab, n = components(mean >= thr)
    label = np.full(mean.shape, 255, np.uint8)
    any_hi = mx >= thr
    bg = (mx < p['bg']) & ~ndimage.binary_dilation(any_hi, iterations=p['margin'])
    label[bg] = 0
    kept, dropped = [], []
    ring = np.ones((3, 3), bool)
    for i, sl in enumerate(ndimage.find_objects(lab), start=1):
        if sl is None:
            continue
        gs = tuple(slice(max(0, s.start - 3), s.stop + 3) for s in sl)
        m = lab[gs] == i
        area = int(m.sum())
        bh, bw = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        score = float(mean[gs][m].mean())
        agrees = []
        for v in full + ([half] if area >= p['half_area'] else []):
            hi = v[gs] >= thr
            agrees.append(float((hi & m).sum()) / max(1.0, float((hi | m).sum())))
        fill = area / float(bh * bw)
        aspect = max(bh, bw) / float(min(bh, bw))
        solidity = area / float(max(1, convex_hull_image(m).sum())) if area >= 3 else 1.0
        ok = (area >= p['min_area'] and score >= p['score'] and min(agrees) >= p['agree']
              and fill >= p['fill'] and aspect <= p['aspect'] and solidity >= p['solidity'])
        found_in = sum(a >= 0.1 for a in agrees)
        info = {'box': [sl[1].start, sl[0].start, sl[1].stop, sl[0].stop], 'area': area, 'score': round(score, 3),
                'agree': round(min(agrees), 3), 'fill': round(fill, 2), 'aspect': round(aspect, 2),
                'solidity': round(solidity, 2), 'found_in': found_in}
        # weak and unstable: seen by at most half of the views, low mean probability
        unstable = score < p['neg_score'] and found_in <= len(agrees) // 2
        if unstable:
            region = label[gs]
            region[m & (mx[gs] < p['neg_max'])] = 0
            info['negative'] = True
            dropped.append(info)
        elif ok:
            core = m & np.all([f[gs] >= thr for f in full], axis=0)
            core = ndimage.binary_dilation(core, ring) & m
            region = label[gs]
            region[m] = 255
            region[core] = 1
            kept.append(info)
        else:
            dropped.append(info)
    pos = label == 1
    plab, _ = components(pos)
    grown = ndimage.grey_dilation(plab, footprint=ring)
    touching = pos & (grown != plab) & (grown > 0)
    label[touching] = 255
    return label, kept, dropped


def overlay(x: np.ndarray, label: np.ndarray, path: str, dropped=()):
    """Pseudo-positive outlines green, ignored pixels tinted blue, rejected candidates' boxes red
    (magenta: made background)."""
    g = (x * 255).astype(np.uint8)
    rgb = np.stack([g, g, g], -1).astype(np.float32)
    pos = label == 1
    edge = pos & ~ndimage.binary_erosion(pos)
    ign = label == 255
    rgb[ign] = rgb[ign] * 0.75 + np.array([0, 0, 255]) * 0.25
    rgb[edge] = [0, 255, 0]
    h, w = label.shape
    for d in dropped:
        x0, y0, x1, y1 = d['box']
        x0, y0, x1, y1 = max(0, x0 - 2), max(0, y0 - 2), min(w - 1, x1 + 1), min(h - 1, y1 + 1)
        c = [255, 0, 255] if d.get('negative') else [255, 0, 0]
        rgb[y0, x0:x1 + 1] = rgb[y1, x0:x1 + 1] = c
        rgb[y0:y1 + 1, x0] = rgb[y0:y1 + 1, x1] = c
    Image.fromarray(rgb.clip(0, 255).astype(np.uint8)).save(path)


def label_cmd(a):
    params = {'thr': a.thr, 'score': a.score, 'agree': a.agree, 'min_area': a.min_area, 'half_area': a.half_area,
              'fill': a.fill, 'aspect': a.aspect, 'solidity': a.solidity, 'bg': a.bg, 'margin': a.margin,
              'neg_score': a.neg_score, 'neg_max': a.neg_max}
    with open(os.path.join(HERE, 'real_split.json')) as f:
        keys = json.load(f)['adaptation']
    os.makedirs(a.out, exist_ok=True)
    if a.overlays:
        os.makedirs(a.overlays, exist_ok=True)
    only = set(a.only.split(',')) if a.only else None
    index = {'params': params, 'views': VIEWS, 'images': []}
    for key in keys:
        c = os.path.join(a.cache, cache_name(key))
        if not os.path.exists(c) or (only and key not in only):
            continue
        z = np.load(c)
        if not all(v in z for v in VIEWS):
            continue
        label, kept, dropped = filter_image({v: z[v] for v in VIEWS}, params)
        name = cache_name(key).replace('.npz', '.png')
        Image.fromarray(label).save(os.path.join(a.out, name))
        frac = {k: round(float(np.mean(label == v)), 4) for k, v in [('positive', 1), ('negative', 0), ('ignore', 255)]}
        index['images'].append({'key': key, 'label': name, 'window': [int(v) for v in z['window']], 'kind': 'pseudo',
                                'kept': len(kept), 'dropped': len(dropped), 'fractions': frac})
        if a.verbose:
            for d in dropped:
                print('   dropped', d)
        print(f'{key}: kept {len(kept)} dropped {len(dropped)} {frac}', flush=True)
        if a.overlays:
            y0, x0, hh, ww = z['window']
            x = normalise(load_gray(os.path.join(a.data, key)))[y0:y0 + hh, x0:x0 + ww]
            safe = key.replace('/', '__').replace(' ', '_').rsplit('.', 1)[0] + '.png'
            overlay(x, label, os.path.join(a.overlays, safe), dropped)
    if a.backgrounds:
        # real cavity-free texture: every pixel is background (the false positives to unlearn)
        with open(os.path.join(HERE, 'real_split.json')) as f:
            bgs = json.load(f)['backgrounds_adaptation']
        for key in bgs:
            shape = load_gray(os.path.join(a.data, key)).shape
            y0, x0, hh, ww = window(shape, a.max_side)
            name = cache_name(key).replace('.npz', '.png')
            Image.fromarray(np.zeros((hh, ww), np.uint8)).save(os.path.join(a.out, name))
            index['images'].append({'key': key, 'label': name, 'window': [y0, x0, hh, ww], 'kind': 'background',
                                    'kept': 0, 'dropped': 0, 'fractions': {'positive': 0, 'negative': 1, 'ignore': 0}})
    with open(os.path.join(a.out, 'index.json'), 'w') as f:
        json.dump(index, f, indent=1)
    n = len(index['images'])
    print(f'{n} images, {sum(i["kept"] for i in index["images"])} pseudo-positive components', flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    i = sub.add_parser('infer')
    i.add_argument('--model', required=True)
    i.add_argument('--data', default='../shared/data')
    i.add_argument('--cache', required=True)
    i.add_argument('--part', default='adaptation', choices=['adaptation', 'held_out'])
    i.add_argument('--max-side', type=int, default=2048)
    i.add_argument('--threads', type=int, default=1)
    lab = sub.add_parser('label')
    lab.add_argument('--data', default='../shared/data')
    lab.add_argument('--cache', required=True)
    lab.add_argument('--out', required=True)
    lab.add_argument('--overlays')
    lab.add_argument('--verbose', action='store_true')
    lab.add_argument('--backgrounds', action='store_true', help="add real_split.json's adaptation backgrounds, all background")
    lab.add_argument('--max-side', type=int, default=2048, help='window for the backgrounds (as infer does for the images)')
    lab.add_argument('--only', help='comma-separated keys (folder/name) to label')
    lab.add_argument('--thr', type=float, default=0.3, help='the model threshold; a view "finds" pixels >= this')
    lab.add_argument('--score', type=float, default=0.6)
    lab.add_argument('--agree', type=float, default=0.5)
    lab.add_argument('--min-area', type=int, default=12)
    lab.add_argument('--half-area', type=int, default=50)
    lab.add_argument('--fill', type=float, default=0.35)
    lab.add_argument('--aspect', type=float, default=3.0)
    lab.add_argument('--solidity', type=float, default=0.85)
    lab.add_argument('--neg-score', type=float, default=0.0,
                     help='candidates with a mean probability below this, found by at most half the views, become background')
    lab.add_argument('--neg-max', type=float, default=0.6, help='... only their pixels that no view puts at or above this')
    lab.add_argument('--bg', type=float, default=0.05)
    lab.add_argument('--margin', type=int, default=3)
    a = ap.parse_args()
    infer(a) if a.cmd == 'infer' else label_cmd(a)


if __name__ == '__main__':
    main()
