"""Shared by the training recipe and its evaluation. Each function mirrors one in temguard's
TypeScript so the model is trained and validated on exactly what the agent will feed it:
  normalise          <- agent/adapters/normalise.ts (percentileScale)
  instances          <- agent/adapters/components.ts (componentsToDetections)
  match_f1           <- the paper's greedy IoU >= 0.1 matching (agent/learn/match.ts in TS)
"""
import collections
import json
import math
import os

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.draw import polygon as draw_polygon

PERCENTILE_SAMPLE = 262144


def percentiles(flat: np.ndarray, qs) -> list:
    stride = max(1, math.ceil(flat.size / PERCENTILE_SAMPLE))
    s = flat[::stride]
    s = np.sort(s[np.isfinite(s)])
    if s.size == 0:
        return [0.0 for _ in qs]
    return [float(s[int(math.floor(q / 100 * (s.size - 1) + 0.5))]) for q in qs]


def normalise(img: np.ndarray, lo: float = 1, hi: float = 99) -> np.ndarray:
    """(v - p_lo) / (p_hi - p_lo) clipped to [0,1]; flat images -> 0."""
    a = img.astype(np.float32)
    p_lo, p_hi = percentiles(a.ravel(), [lo, hi])
    rng = p_hi - p_lo
    out = (a - np.float32(p_lo)) * np.float32(1 / rng if rng > 0 else 0)
    return np.nan_to_num(np.clip(out, 0, 1), nan=0.0).astype(np.float32)


def instances(prob: np.ndarray, threshold: float = 0.5, min_area: int = 6):
    """8-connected components of prob >= threshold -> [(box [x1,y1,x2,y2) exclusive, score, mask)]."""
    lab, n = ndimage.label(prob >= threshold, structure=np.ones((3, 3), dtype=int))
    out = []
    for i, sl in enumerate(ndimage.find_objects(lab), start=1):
        if sl is None:
            continue
        m = lab[sl] == i
        area = int(m.sum())
        if area < min_area:
            continue
        score = float(prob[sl][m].mean())
        out.append(([sl[1].start, sl[0].start, sl[1].stop, sl[0].stop], score, m))
    out.sort(key=lambda d: -d[1])
    return out


def box_iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def match_truths(truths, preds, iou_min: float = 0.1):
    """The paper's greedy matching: each truth (in order) takes the unused prediction with the
    highest box IoU; a match when that IoU >= iou_min. Returns, per truth, the prediction's index or None."""
    used = [False] * len(preds)
    matched = []
    for t in truths:
        best, best_j = -1.0, -1
        for j, p in enumerate(preds):
            if used[j]:
                continue
            iou = box_iou(t, p)
            if iou > best:
                best, best_j = iou, j
        if best_j >= 0 and best >= iou_min:
            used[best_j] = True
            matched.append(best_j)
        else:
            matched.append(None)
    return matched


def match_counts(truths, preds, iou_min: float = 0.1):
    """(tp, fp, fn) of match_truths."""
    tp = sum(m is not None for m in match_truths(truths, preds, iou_min))
    return tp, len(preds) - tp, len(truths) - tp


def f1_of(tp: int, fp: int, fn: int) -> float:
    """F1 = 2TP/(2TP+FP+FN); an image with no truths and no predictions scores 1."""
    d = 2 * tp + fp + fn
    return 1.0 if d == 0 else 2 * tp / d


def annotations_beside(path: str, cache={}) -> list:
    """The COCO annotations of the image at `path`, from the annotations.json in its folder (read once per folder)."""
    d = os.path.dirname(path)
    if d not in cache:
        with open(os.path.join(d, 'annotations.json')) as f:
            coco = json.load(f)
        names = {i['id']: os.path.basename(i['file_name']) for i in coco['images']}
        cache[d] = collections.defaultdict(list)
        for a in coco['annotations']:
            cache[d][names[a['image_id']]].append(a)
    return cache[d][os.path.basename(path)]


def corners(bbox) -> list:
    """COCO [x, y, w, h] -> [x1, y1, x2, y2]."""
    x, y, w, h = bbox
    return [x, y, x + w, y + h]


def load_coco(dir_: str):
    """Yields (file_name, gray uint8/uint16 image, [truth boxes], target mask, temguard info).

    The target mask is the union of the instance outlines minus a separating border: pixels
    covered by two instances, or within one pixel of two, are background. In the plain union
    4-7 % of the simulated cavities merged with a neighbour into one blob, which the agent's
    connected components would then count as one detection."""
    with open(os.path.join(dir_, 'annotations.json')) as f:
        coco = json.load(f)
    by_image = {}
    for a in coco['annotations']:
        by_image.setdefault(a['image_id'], []).append(a)
    for im in coco['images']:
        img = np.array(Image.open(os.path.join(dir_, im['file_name'])))
        if img.ndim == 3:
            img = img[..., :3].mean(axis=2)
        h, w = img.shape
        boxes = [[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2], a['bbox'][1] + a['bbox'][3]]
                 for a in by_image.get(im['id'], [])]
        yield im['file_name'], img, boxes, separated_mask(by_image.get(im['id'], []), h, w), im.get('temguard', {})


def separated_mask(annotations, h: int, w: int) -> np.ndarray:
    """Union of the annotations' polygons, minus pixels that two instances (grown by 1 px) share."""
    union = np.zeros((h, w), np.uint8)
    grown = np.zeros((h, w), np.uint8)
    ring = np.ones((3, 3), bool)
    for a in annotations:
        x, y, bw, bh = a['bbox']
        x0, y0 = max(0, int(x) - 2), max(0, int(y) - 2)
        x1, y1 = min(w, int(math.ceil(x + bw)) + 2), min(h, int(math.ceil(y + bh)) + 2)
        if x1 <= x0 or y1 <= y0:
            continue
        m = np.zeros((y1 - y0, x1 - x0), bool)
        for poly in a.get('segmentation') or []:
            if isinstance(poly, list) and len(poly) >= 6:
                rr, cc = draw_polygon(np.array(poly[1::2]) - y0, np.array(poly[0::2]) - x0, shape=m.shape)
                m[rr, cc] = True
        union[y0:y1, x0:x1] |= m
        grown[y0:y1, x0:x1] += ndimage.binary_dilation(m, ring)
    union[grown >= 2] = 0
    return union
