/**
 * torchvision Mask R-CNN / Faster R-CNN exported with torch.onnx: one input float32 [3,H,W]
 * RGB in 0..1 (the graph resizes and normalises itself, so the frame goes in at its own
 * size), outputs boxes [N,4] xyxy in input pixels, labels int64 [N], scores [N] and, for
 * Mask R-CNN, masks [N,1,H,W] soft in 0..1 (>= 0.5 is inside). Batch 1 only.
 */
import { Tensor } from 'onnxruntime-node';
import type { Box, Detection, Frame } from '../types.js';
import type { AdapterFactory, DetectorAdapter, ModelInfo, Prepared } from './adapter.js';
import { maskFrom } from './masks.js';
import { ModelError } from './model-error.js';
import { grayToChw3, to255 } from './rgb.js';

interface Names { input: string; boxes: string; labels: string; scores: string; masks?: string }

function names(info: ModelInfo): Names | null {
  const has = (n: string): boolean => info.outputNames.includes(n);
  if (info.inputNames.length !== 1 || !has('boxes') || !has('labels') || !has('scores')) return null;
  return { input: info.inputNames[0]!, boxes: 'boxes', labels: 'labels', scores: 'scores', ...(has('masks') ? { masks: 'masks' } : {}) };
}

function tensorOf(outputs: Record<string, Tensor>, name: string): Tensor {
  const t = outputs[name];
  if (!t) throw new ModelError(`maskrcnn-torchvision: the model returned no "${name}" output`);
  return t;
}

export function createMaskrcnnAdapter(n: Names): DetectorAdapter {
  return {
    name: 'maskrcnn-torchvision',
    preprocess(frame: Frame): Prepared {
      const x = grayToChw3(to255(frame), 1 / 255);
      return { feeds: { [n.input]: new Tensor('float32', x, [3, frame.height, frame.width]) }, ctx: null };
    },
    postprocess(outputs, _prepared, frame): Detection[] {
      const boxes = tensorOf(outputs, n.boxes).data as Float32Array;
      const labels = tensorOf(outputs, n.labels).data as BigInt64Array | Int32Array;
      const scores = tensorOf(outputs, n.scores).data as Float32Array;
      const masks = n.masks ? tensorOf(outputs, n.masks) : undefined;
      const count = scores.length;
      if (boxes.length !== count * 4) throw new ModelError(`maskrcnn-torchvision: ${boxes.length / 4} boxes for ${count} scores`);
      const plane = frame.width * frame.height;
      if (masks && masks.data.length !== count * plane) {
        throw new ModelError(`maskrcnn-torchvision: masks [${masks.dims.join(',')}] do not match ${count} detections of ${frame.width}x${frame.height}`);
      }
      const out: Detection[] = [];
      for (let i = 0; i < count; i++) {
        const box: Box = [boxes[4 * i]!, boxes[4 * i + 1]!, boxes[4 * i + 2]!, boxes[4 * i + 3]!];
        const det: Detection = { box, score: scores[i]!, label: Number(labels[i]!) };
        if (masks) {
          const m = masks.data as Float32Array;
          const off = i * plane;
          const mask = maskFrom(box, frame.width, frame.height, (x, y) => m[off + y * frame.width + x]! >= 0.5);
          if (mask) det.mask = mask;
        }
        out.push(det);
      }
      return out;
    },
  };
}

export const maskrcnnFactory: AdapterFactory = {
  name: 'maskrcnn-torchvision',
  matches: (info) => names(info) !== null,
  create(info) {
    const n = names(info);
    if (!n) throw new ModelError(`maskrcnn-torchvision: expected one input and outputs boxes, labels, scores (+ masks); got outputs [${info.outputNames.join(', ')}]`);
    return createMaskrcnnAdapter(n);
  },
};
