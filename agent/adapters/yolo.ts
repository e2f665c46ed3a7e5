/**
 * Ultralytics YOLOv8 / YOLO11 ONNX exports, detect and segment. Input `images` [1,3,S,S]:
 * the frame letterboxed into S x S (centred, pad 114), RGB, /255. S comes from metadata imgsz
 * or the input shape (640 if dynamic). Outputs:
 *  - raw: output0 [1, 4+nc(+nm), A] with cx,cy,w,h and per-class scores (no objectness);
 *    NMS is done here (per class, IoU 0.7, at most 300).
 *  - seg adds output1 protos [1,nm,S/4,S/4]: mask = sigmoid(coef . protos), cut to the box, >= 0.5.
 *  - nms=True / end-to-end exports: output0 [1,K,6(+nm)] x1,y1,x2,y2,score,class(,coefs).
 * Boxes and masks are mapped back through the letterbox to original image pixels.
 * Metadata (names, imgsz, task) is read from the ONNX file's metadata_props.
 */
import { Tensor } from 'onnxruntime-node';
import { PAPER_CONFIDENCE } from '../config/schema.js';
import type { Box, Detection, Frame } from '../types.js';
import type { AdapterFactory, AdapterOptions, DetectorAdapter, ModelInfo, Prepared } from './adapter.js';
import { bilinear, maskFrom } from './masks.js';
import { ModelError } from './model-error.js';
import { nms, type Candidate } from './nms.js';
import { grayToChw3, letterbox, letterboxGeometry, to255, type Letterbox } from './rgb.js';

export interface YoloParams {
  input: string;
  output: string;
  protos?: string;
  size: number;
  confidence: number;
  iou: number;
  maxDet: number;
}

/** Parses imgsz metadata ("[640, 640]" or "640") into a square size; non-square -> the larger side. */
export function parseImgsz(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const nums = s.match(/\d+/g)?.map(Number) ?? [];
  return nums.length ? Math.max(...nums) : undefined;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Original-pixel box from an input-pixel box. */
function unletter(g: Letterbox, x1: number, y1: number, x2: number, y2: number, w: number, h: number): Box {
  const cx = (v: number): number => Math.min(w, Math.max(0, (v - g.left) / g.ratio));
  const cy = (v: number): number => Math.min(h, Math.max(0, (v - g.top) / g.ratio));
  return [cx(x1), cy(y1), cx(x2), cy(y2)];
}

interface Raw { boxIn: [number, number, number, number]; score: number; label: number; coef?: Float32Array }

/** Decodes output0 [1, 4+nc+nm, A] into candidates above the confidence (before NMS). */
function decodeRaw(t: Tensor, nm: number, conf: number): Raw[] {
  const [, c, a] = t.dims as [number, number, number];
  const nc = c - 4 - nm;
  if (nc < 1) throw new ModelError(`yolo: output0 [${t.dims.join(',')}] leaves no class channels (4 box + ${nm} mask coefficients)`);
  const d = t.data as Float32Array;
  const out: Raw[] = [];
  for (let j = 0; j < a; j++) {
    let best = -Infinity, label = 0;
    for (let k = 0; k < nc; k++) {
      const s = d[(4 + k) * a + j]!;
      if (s > best) { best = s; label = k; }
    }
    if (best < conf) continue;
    const cx = d[j]!, cy = d[a + j]!, w = d[2 * a + j]!, h = d[3 * a + j]!;
    const r: Raw = { boxIn: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score: best, label };
    if (nm) { const coef = new Float32Array(nm); for (let k = 0; k < nm; k++) coef[k] = d[(4 + nc + k) * a + j]!; r.coef = coef; }
    out.push(r);
  }
  return out;
}

/** Decodes an end-to-end output [1, K, 6(+nm)] (already NMS'ed). */
function decodeEndToEnd(t: Tensor, nm: number, conf: number): Raw[] {
  const [, k, c] = t.dims as [number, number, number];
  const d = t.data as Float32Array;
  const out: Raw[] = [];
  for (let i = 0; i < k; i++) {
    const o = i * c;
    if (d[o + 4]! < conf) continue;
    const r: Raw = { boxIn: [d[o]!, d[o + 1]!, d[o + 2]!, d[o + 3]!], score: d[o + 4]!, label: Math.round(d[o + 5]!) };
    if (nm) r.coef = d.slice(o + 6, o + 6 + nm);
    out.push(r);
  }
  return out;
}

/** Ultralytics process_mask, evaluated per original pixel: proto logits sampled bilinearly. */
function yoloMask(r: Raw, box: Box, protos: Tensor, g: Letterbox, frame: Frame): Detection['mask'] {
  const [, nm, mh, mw] = protos.dims as [number, number, number, number];
  const p = protos.data as Float32Array;
  const sx = mw / g.size, sy = mh / g.size;
  const [bx1, by1, bx2, by2] = r.boxIn;
  const u0 = Math.max(0, Math.floor(bx1 * sx) - 1), u1 = Math.min(mw - 1, Math.ceil(bx2 * sx) + 1);
  const v0 = Math.max(0, Math.floor(by1 * sy) - 1), v1 = Math.min(mh - 1, Math.ceil(by2 * sy) + 1);
  const rw = u1 - u0 + 1, rh = v1 - v0 + 1;
  if (rw <= 0 || rh <= 0) return undefined;
  const local = new Float32Array(rw * rh);
  for (let v = 0; v < rh; v++) for (let u = 0; u < rw; u++) {
    let s = 0;
    const idx = (v + v0) * mw + (u + u0);
    for (let k = 0; k < nm; k++) s += r.coef![k]! * p[k * mh * mw + idx]!;
    local[v * rw + u] = sigmoid(s);
  }
  return maskFrom(box, frame.width, frame.height, (x, y) => {
    const ix = (x + 0.5) * g.ratio + g.left, iy = (y + 0.5) * g.ratio + g.top; // input pixels
    if (ix < bx1 || ix > bx2 || iy < by1 || iy > by2) return false; // crop to the box
    return bilinear(local, 0, rw, rh, ix * sx - 0.5 - u0, iy * sy - 0.5 - v0) >= 0.5;
  });
}

export function createYoloAdapter(p: YoloParams): DetectorAdapter {
  return {
    name: 'yolo',
    inputSize: p.size,
    preprocess(frame: Frame): Prepared {
      const g = letterboxGeometry(frame.width, frame.height, p.size);
      const plane = letterbox(to255(frame), frame.width, frame.height, g, 114);
      return { feeds: { [p.input]: new Tensor('float32', grayToChw3(plane, 1 / 255), [1, 3, p.size, p.size]) }, ctx: g };
    },
    postprocess(outputs, prepared, frame): Detection[] {
      const g = prepared.ctx as Letterbox;
      const out0 = outputs[p.output];
      if (!out0 || out0.dims.length !== 3) throw new ModelError(`yolo: output "${p.output}" should be [1,C,A] or [1,K,6+]`);
      const protos = p.protos ? outputs[p.protos] : undefined;
      const nm = protos ? protos.dims[1]! : 0;
      const [, a, b] = out0.dims as [number, number, number];
      const endToEnd = b >= 6 && b <= 6 + nm && a > b;
      let raws = endToEnd ? decodeEndToEnd(out0, nm, p.confidence) : decodeRaw(out0, nm, p.confidence);
      if (!endToEnd) {
        const cands: Candidate[] = raws.map((r, index) => ({ box: r.boxIn, score: r.score, label: r.label, index }));
        raws = nms(cands, p.iou, p.maxDet).map((c) => raws[c.index]!);
      }
      return raws.map((r) => {
        const box = unletter(g, ...r.boxIn, frame.width, frame.height);
        const det: Detection = { box, score: r.score, label: r.label };
        if (protos && r.coef) { const m = yoloMask(r, box, protos, g, frame); if (m) det.mask = m; }
        return det;
      });
    },
  };
}

function looksLikeYolo(info: ModelInfo): boolean {
  const author = info.metadata['author'] ?? '';
  if (/ultralytics/i.test(author) || info.metadata['temguard.adapter'] === 'yolo') return true;
  const shape = info.inputShapes?.[info.inputNames[0] ?? ''];
  return info.inputNames.length === 1 && info.inputNames[0] === 'images' && info.outputNames[0] === 'output0' && shape?.length === 4 && shape[1] === 3;
}

export const yoloFactory: AdapterFactory = {
  name: 'yolo',
  matches: looksLikeYolo,
  create(info, opts?: AdapterOptions) {
    if (info.inputNames.length !== 1 || info.outputNames.length < 1 || info.outputNames.length > 2) {
      throw new ModelError(`yolo: expected 1 input and 1-2 outputs (output0 [, output1 protos]), got inputs [${info.inputNames.join(', ')}] outputs [${info.outputNames.join(', ')}]`);
    }
    const shape = info.inputShapes?.[info.inputNames[0]!];
    const fromShape = typeof shape?.[3] === 'number' ? (shape[3] as number) : undefined;
    const size = parseImgsz(info.metadata['imgsz']) ?? fromShape ?? 640;
    return createYoloAdapter({
      input: info.inputNames[0]!, output: info.outputNames[0]!,
      ...(info.outputNames[1] ? { protos: info.outputNames[1] } : {}),
      size, confidence: opts?.confidence ?? PAPER_CONFIDENCE, iou: 0.7, maxDet: 300,
    });
  },
};
