import test from 'ava';
import { maskFrom, pasteMask, pixelRect } from '../../agent/adapters/masks.js';
import { iou, nms } from '../../agent/adapters/nms.js';

test('pixel rectangles cover float boxes and clip to the image', (t) => {
  t.deepEqual(pixelRect([1.2, 2.7, 3.1, 4], 10, 10), { x0: 1, y0: 2, x1: 4, y1: 4 });
  t.deepEqual(pixelRect([-5, -5, 20, 3], 10, 10), { x0: 0, y0: 0, x1: 10, y1: 3 });
  t.is(pixelRect([5, 5, 5, 9], 10, 10), null);
});

test('maskFrom gives a box-local bitmask and nothing when no pixel is inside', (t) => {
  const m = maskFrom([2, 1, 5, 3], 10, 10, (x, y) => x === 3 || y === 2)!;
  t.deepEqual({ x0: m.x0, y0: m.y0, w: m.width, h: m.height }, { x0: 2, y0: 1, w: 3, h: 2 });
  t.deepEqual([...m.data], [0, 1, 0, 1, 1, 1]);
  t.is(maskFrom([0, 0, 3, 3], 10, 10, () => false), undefined);
});

test('Detectron2 mask pasting: a 2x2 grid whose top row is on fills the top half of a 4x4 box', (t) => {
  // pixel centres y = .5, 1.5, 2.5, 3.5 -> grid v = -.25, .25, .75, 1.25 -> values 1, .75, .25, 0
  const m = pasteMask(Float32Array.from([1, 1, 0, 0]), 0, 2, [0, 0, 4, 4], 10, 10)!;
  t.deepEqual([...m.data], [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  // the same grid in a 2x2 box at (4,2): centres hit v = 0 and 1 exactly -> top row on
  const n = pasteMask(Float32Array.from([1, 1, 0, 0]), 0, 2, [4, 2, 6, 4], 10, 10)!;
  t.deepEqual([n.x0, n.y0, n.width, n.height, ...n.data], [4, 2, 2, 2, 1, 1, 0, 0]);
});

test('IoU and per-class NMS', (t) => {
  t.is(iou([0, 0, 2, 2], [1, 0, 3, 2]), 2 / 6);
  const c = [
    { box: [0, 0, 10, 10] as [number, number, number, number], score: 0.9, label: 0, index: 0 },
    { box: [1, 0, 11, 10] as [number, number, number, number], score: 0.8, label: 0, index: 1 }, // IoU .818 with #0: suppressed
    { box: [1, 0, 11, 10] as [number, number, number, number], score: 0.7, label: 1, index: 2 }, // other class: kept
    { box: [50, 50, 60, 60] as [number, number, number, number], score: 0.6, label: 0, index: 3 },
  ];
  t.deepEqual(nms(c, 0.7, 300).map((x) => x.index), [0, 2, 3]);
  t.deepEqual(nms(c, 0.7, 300, true).map((x) => x.index), [0, 3]);
  t.deepEqual(nms(c, 0.7, 2).map((x) => x.index), [0, 2]);
});
