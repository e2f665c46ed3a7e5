/**
 * Detectron2 models exported by tools/deploy/export_model.py --export-method tracing
 * --format onnx (the paper's Mask R-CNN R50-FPN is one). The caller resizes: input float32
 * [3,H,W] BGR 0..255 with the short edge 800 and the long edge <= 1333 (ResizeShortestEdge).
 * Outputs come by position, in the alphabetical order of the Instances fields:
 * pred_boxes [N,4] (resized pixels), pred_classes [N], pred_masks [N,1,M,M] (M = 28, pasted into
 * the box bilinearly, >= 0.5), scores [N], image_size [2]; Faster R-CNN exports lack pred_masks.
 */
import { Tensor } from 'onnxruntime-node';
import type { Box, Detection, Frame } from '../types.js';
import type { AdapterFactory, DetectorAdapter, ModelInfo, Prepared } from './adapter.js';
import { pasteMask } from './masks.js';
import { ModelError } from './model-error.js';
import { grayToChw3, resizeBilinear, to255 } from './rgb.js';

export interface Detectron2Params { input: string; outputs: string[]; minSize: number; maxSize: number }

interface Ctx { sx: number; sy: number }

/** ResizeShortestEdge's output size. */
export function shortestEdgeSize(w: number, h: number, minSize: number, maxSize: number): [number, number] {
  let scale = minSize / Math.min(w, h);
  if (Math.max(w, h) * scale > maxSize) scale = maxSize / Math.max(w, h);
  return [Math.floor(w * scale + 0.5), Math.floor(h * scale + 0.5)];
}

export function createDetectron2Adapter(p: Detectron2Params): DetectorAdapter {
  const withMasks = p.outputs.length === 5;
  return {
    name: 'detectron2',
    preprocess(frame: Frame): Prepared {
      const [nw, nh] = shortestEdgeSize(frame.width, frame.height, p.minSize, p.maxSize);
      const plane = to255(frame);
      const resized = nw === frame.width && nh === frame.height ? plane : resizeBilinear(plane, frame.width, frame.height, nw, nh);
      const ctx: Ctx = { sx: nw / frame.width, sy: nh / frame.height };
      return { feeds: { [p.input]: new Tensor('float32', grayToChw3(resized, 1), [3, nh, nw]) }, ctx };
    },
    postprocess(outputs, prepared, frame): Detection[] {
      const { sx, sy } = prepared.ctx as Ctx;
      const get = (i: number): Tensor => {
        const t = outputs[p.outputs[i]!];
        if (!t) throw new ModelError(`detectron2: missing output ${i} (${p.outputs[i]})`);
        return t;
      };
      const boxes = get(0).data as Float32Array;
      const classes = get(1).data as BigInt64Array | Int32Array;
      const masks = withMasks ? get(2) : undefined;
      const scores = get(withMasks ? 3 : 2).data as Float32Array;
      const n = scores.length;
      if (boxes.length !== 4 * n || classes.length !== n) throw new ModelError(`detectron2: ${boxes.length / 4} boxes, ${classes.length} classes, ${n} scores`);
      const m = masks ? masks.dims[masks.dims.length - 1]! : 0;
      if (masks && masks.data.length !== n * m * m) throw new ModelError(`detectron2: pred_masks [${masks.dims.join(',')}] is not [${n},1,M,M]`);
      const out: Detection[] = [];
      for (let i = 0; i < n; i++) {
        const box: Box = [boxes[4 * i]! / sx, boxes[4 * i + 1]! / sy, boxes[4 * i + 2]! / sx, boxes[4 * i + 3]! / sy];
        const det: Detection = { box, score: scores[i]!, label: Number(classes[i]!) };
        if (masks) {
          const mask = pasteMask(masks.data as Float32Array, i * m * m, m, box, frame.width, frame.height);
          if (mask) det.mask = mask;
        }
        out.push(det);
      }
      return out;
    },
  };
}

const rank = (s: readonly (number | string)[] | undefined): number => s?.length ?? -1;

/** One [3,H,W] input; 4 or 5 outputs whose first is [N,4] and last is image_size [2]. */
function looksLikeDetectron2(info: ModelInfo): boolean {
  if (info.metadata['temguard.adapter'] !== undefined) return info.metadata['temguard.adapter'] === 'detectron2';
  if (info.inputNames.length !== 1 || rank(info.inputShapes?.[info.inputNames[0]!]) !== 3) return false;
  const outs = info.outputNames;
  if (outs.length !== 4 && outs.length !== 5) return false;
  const first = info.outputShapes?.[outs[0]!];
  const last = info.outputShapes?.[outs[outs.length - 1]!];
  return rank(first) === 2 && first![1] === 4 && rank(last) === 1;
}

export const detectron2Factory: AdapterFactory = {
  name: 'detectron2',
  matches: looksLikeDetectron2,
  create(info) {
    if (info.inputNames.length !== 1 || (info.outputNames.length !== 4 && info.outputNames.length !== 5)) {
      throw new ModelError(`detectron2: expected 1 input and 4-5 outputs (pred_boxes, pred_classes, [pred_masks,] scores, image_size), got ${info.inputNames.length} and ${info.outputNames.length}`);
    }
    const num = (k: string, d: number): number => (info.metadata[k] ? Number(info.metadata[k]) : d);
    return createDetectron2Adapter({ input: info.inputNames[0]!, outputs: [...info.outputNames], minSize: num('temguard.min_size', 800), maxSize: num('temguard.max_size', 1333) });
  },
};
