import test from 'ava';
import { grayToChw3, letterbox, letterboxGeometry, resizeBilinear, to255 } from '../../agent/adapters/rgb.js';
import { shortestEdgeSize } from '../../agent/adapters/detectron2.js';
import type { Frame } from '../../agent/types.js';

const frame = (data: number[], width: number, dtype: Frame['dtype']): Frame =>
  ({ width, height: data.length / width, data: Float32Array.from(data), dtype, min: 0, max: 0, mean: 0, pixelSize: null, format: 't' });

test('to255 keeps 8-bit pixels and stretches 16-bit ones to 0..255', (t) => {
  const f8 = frame([0, 10, 255], 3, 'uint8');
  t.is(to255(f8), f8.data);
  const ramp = Array.from({ length: 1001 }, (_, i) => 1000 + i * 10); // 1000..11000
  const out = to255(frame(ramp, 1001, 'uint16'));
  t.is(out[0], 0); // at p0.1 (value 1010) or below -> 0
  t.is(out[1000], 255);
  t.true(Math.abs(out[500]! - 127.5) < 0.5);
});

test('bilinear resize with half-pixel centres: 2x upsampling of [0, 4]', (t) => {
  // centres of the 4 output pixels map to -0.25, 0.25, 0.75, 1.25 -> clamp -> 0, 1, 3, 4
  t.deepEqual([...resizeBilinear(Float32Array.from([0, 4]), 2, 1, 4, 1)], [0, 1, 3, 4]);
  // 2x downsampling averages pairs
  t.deepEqual([...resizeBilinear(Float32Array.from([0, 2, 4, 6]), 4, 1, 2, 1)], [1, 5]);
});

test('letterbox geometry matches Ultralytics for a 200x100 image into 64', (t) => {
  // r = min(64/200, 64/100) = 0.32 -> 64x32, vertical padding 32 split as round(16-0.1)=16 top
  t.deepEqual(letterboxGeometry(200, 100, 64), { size: 64, ratio: 0.32, width: 64, height: 32, left: 0, top: 16 });
  // 1335x2004 (tall) into 640: r = 640/2004, width round(426.35)=426, left round(107-0.1)=107
  const g = letterboxGeometry(1335, 2004, 640);
  t.is(g.width, 426);
  t.is(g.height, 640);
  t.is(g.left, 107);
  t.is(g.top, 0);
});

test('letterbox pads with the given value around the resized image', (t) => {
  const g = letterboxGeometry(4, 2, 4); // r=1, 4x2, top 1
  const out = letterbox(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 4, 2, g, 114);
  t.deepEqual([...out], [114, 114, 114, 114, 1, 2, 3, 4, 5, 6, 7, 8, 114, 114, 114, 114]);
});

test('gray is replicated to three CHW planes and scaled', (t) => {
  t.deepEqual([...grayToChw3(Float32Array.from([0, 255]), 1 / 255)], [0, 1, 0, 1, 0, 1]);
});

test('Detectron2 ResizeShortestEdge sizes (short 800, long <= 1333)', (t) => {
  t.deepEqual(shortestEdgeSize(1024, 1024, 800, 1333), [800, 800]);
  t.deepEqual(shortestEdgeSize(2004, 1335, 800, 1333), [1201, 800]); // 800/1335*2004 = 1200.9
  t.deepEqual(shortestEdgeSize(3000, 1000, 800, 1333), [1333, 444]); // long edge capped: 1333/3000*1000 = 444.3
});
