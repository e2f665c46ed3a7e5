/**
 * Reads COCO annotations as `score` and `dataset` need them: per image, its file (resolved
 * in the images directory), its ground-truth boxes converted from [x,y,w,h] to [x1,y1,x2,y2],
 * and the simulator's `temguard` metadata (preset, defocus...) when present. Crowd
 * annotations are ignored, as in COCO evaluation.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Box } from '../types.js';

export class CocoError extends Error {
  override name = 'CocoError';
}

export interface LabelledImage {
  id: number;
  file: string;
  path: string;
  width?: number;
  height?: number;
  truth: Box[];
  meta: Record<string, unknown>;
}

interface RawImage { id?: unknown; file_name?: unknown; width?: unknown; height?: unknown; temguard?: unknown }
interface RawAnnotation { image_id?: unknown; bbox?: unknown; iscrowd?: unknown }

export function parseCoco(json: unknown, imagesDir: string, source = 'annotations'): LabelledImage[] {
  const doc = json as { images?: RawImage[]; annotations?: RawAnnotation[] };
  if (!doc || !Array.isArray(doc.images)) throw new CocoError(`${source}: no "images" array (is this a COCO file?)`);
  if (!Array.isArray(doc.annotations)) throw new CocoError(`${source}: no "annotations" array`);
  const byId = new Map<number, LabelledImage>();
  doc.images.forEach((im, k) => {
    if (typeof im.id !== 'number' || typeof im.file_name !== 'string') throw new CocoError(`${source}: images[${k}] needs a numeric "id" and a "file_name"`);
    if (byId.has(im.id)) throw new CocoError(`${source}: image id ${im.id} appears twice`);
    byId.set(im.id, {
      id: im.id, file: im.file_name, path: join(imagesDir, im.file_name),
      ...(typeof im.width === 'number' ? { width: im.width } : {}), ...(typeof im.height === 'number' ? { height: im.height } : {}),
      truth: [], meta: (im.temguard && typeof im.temguard === 'object' ? im.temguard : {}) as Record<string, unknown>,
    });
  });
  doc.annotations.forEach((a, k) => {
    const im = byId.get(a.image_id as number);
    if (!im) throw new CocoError(`${source}: annotations[${k}] refers to image ${String(a.image_id)}, which is not listed`);
    const b = a.bbox;
    if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number' && Number.isFinite(v)) || b[2] < 0 || b[3] < 0) {
      throw new CocoError(`${source}: annotations[${k}].bbox must be [x, y, w, h] with w, h >= 0`);
    }
    if (a.iscrowd === 1) return;
    im.truth.push([b[0], b[1], b[0] + b[2], b[1] + b[3]]);
  });
  return [...byId.values()];
}

export async function readCoco(path: string, imagesDir: string): Promise<LabelledImage[]> {
  let text: string;
  try { text = await readFile(path, 'utf8'); }
  catch (e) { throw new CocoError(`cannot read annotations ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  let json: unknown;
  try { json = JSON.parse(text); }
  catch (e) { throw new CocoError(`${path} is not valid JSON: ${(e as Error).message}`); }
  return parseCoco(json, imagesDir, path);
}
