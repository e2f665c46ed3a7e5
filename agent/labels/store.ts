/**
 * The spot-check labels, kept beside the journal in the state directory as one COCO file
 * (`labels.json`: images keyed by sha256, so a renamed or re-saved file keeps its labels
 * only while its bytes are the same). COCO because `temguard score`/`dataset` and every
 * annotation tool read it: the site's labels can feed a retraining directly.
 *
 * Durability: every change rewrites the file atomically (temp file, fsync, rename, fsync of
 * the directory), so a crash leaves the old or the new file, never half of one. A file that
 * cannot be read back is moved aside (`labels.json.corrupt-<time>`, kept for the operator)
 * and the store starts empty, with the reason in `problem`: labels are never silently lost.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Box } from '../types.js';

export const LABELS_FILE = 'labels.json';

/** One labelled image: what the detector said, what the operator changed, what was predicted. */
export interface LabelRecord {
  sha256: string;
  rel: string;
  width: number;
  height: number;
  labelled_at: string;
  /** The detector's boxes for this image, in the result's order. */
  detections: Box[];
  /** Indexes into detections the operator marked wrong (false positives). */
  wrong: number[];
  /** Cavities the detector missed, drawn by the operator. */
  added: Box[];
  /** The prediction published for this image (before any calibration). */
  predicted: { f1: number; precision: number; recall: number; lo: number | null; hi: number | null };
}

/** The ground truth the labels define: the detections not marked wrong, plus the added ones. */
export function truthBoxes(r: LabelRecord): Box[] {
  const wrong = new Set(r.wrong);
  return [...r.detections.filter((_, i) => !wrong.has(i)), ...r.added];
}

export class LabelStore {
  private readonly records = new Map<string, LabelRecord>();
  /** Why the file on disk was not used (it was moved aside), or null. */
  problem: string | null = null;

  private constructor(readonly path: string) {}

  static open(dir: string, now: () => Date = () => new Date()): LabelStore {
    mkdirSync(dir, { recursive: true });
    const store = new LabelStore(join(dir, LABELS_FILE));
    if (!existsSync(store.path)) return store;
    try {
      for (const r of fromCoco(JSON.parse(readFileSync(store.path, 'utf8')))) store.records.set(r.sha256, r);
    } catch (err) {
      const backup = `${store.path}.corrupt-${now().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(store.path, backup);
      store.problem = `${store.path} could not be read (${(err as Error).message}); it was moved to ${backup} and labelling starts empty`;
    }
    return store;
  }

  get size(): number { return this.records.size; }
  get(sha256: string): LabelRecord | undefined { return this.records.get(sha256); }
  all(): LabelRecord[] { return [...this.records.values()]; }

  /** Adds or replaces the label of one image; durable when this returns. */
  put(r: LabelRecord): void {
    const next = new Map(this.records).set(r.sha256, r);
    writeAtomic(this.path, JSON.stringify(toCoco([...next.values()])));
    this.records.set(r.sha256, r);
  }
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try { writeSync(fd, text); fsyncSync(fd); } finally { closeSync(fd); }
  renameSync(tmp, path);
  const dir = openSync(join(path, '..'), 'r'); // the rename itself survives a power cut only once the directory is synced
  try { fsyncSync(dir); } finally { closeSync(dir); }
}

const xywh = (b: Box): number[] => [b[0], b[1], b[2] - b[0], b[3] - b[1]];

/** COCO with temguard's extra per-image block; annotations are the ground truth boxes. */
export function toCoco(records: LabelRecord[]): object {
  const images: object[] = [];
  const annotations: object[] = [];
  records.forEach((r, i) => {
    const id = i + 1;
    images.push({ id, file_name: r.rel, width: r.width, height: r.height, sha256: r.sha256, temguard: { labelled_at: r.labelled_at, detections: r.detections, wrong: r.wrong, predicted: r.predicted } });
    const wrong = new Set(r.wrong);
    const boxes: [Box, string][] = [...r.detections.filter((_, j) => !wrong.has(j)).map((b): [Box, string] => [b, 'kept']), ...r.added.map((b): [Box, string] => [b, 'added'])];
    for (const [b, source] of boxes) {
      annotations.push({ id: annotations.length + 1, image_id: id, category_id: 1, bbox: xywh(b), area: (b[2] - b[0]) * (b[3] - b[1]), iscrowd: 0, source });
    }
  });
  return { info: { description: 'temguard spot-check labels' }, categories: [{ id: 1, name: 'cavity' }], images, annotations };
}

const isBox = (b: unknown): b is Box => Array.isArray(b) && b.length === 4 && b.every((v) => typeof v === 'number' && Number.isFinite(v));

/** Reads back what toCoco wrote; throws naming the first thing of the wrong shape. */
export function fromCoco(doc: unknown): LabelRecord[] {
  const d = doc as { images?: unknown; annotations?: unknown };
  if (!d || !Array.isArray(d.images) || !Array.isArray(d.annotations)) throw new Error('not a COCO file (images and annotations arrays expected)');
  const added = new Map<number, Box[]>();
  for (const a of d.annotations as { image_id?: unknown; bbox?: unknown; source?: unknown }[]) {
    if (a?.source !== 'added') continue;
    const bb = a.bbox;
    if (typeof a.image_id !== 'number' || !isBox(bb)) throw new Error('an added annotation has no image_id or bbox [x,y,w,h]');
    added.set(a.image_id, [...(added.get(a.image_id) ?? []), [bb[0], bb[1], bb[0] + bb[2], bb[1] + bb[3]]]);
  }
  return (d.images as Record<string, unknown>[]).map((im, i) => {
    const t = im?.temguard as Record<string, unknown> | undefined;
    const p = t?.predicted as LabelRecord['predicted'] | undefined;
    if (typeof im?.sha256 !== 'string' || !t || !Array.isArray(t.detections) || !t.detections.every(isBox) || !Array.isArray(t.wrong) || !p || typeof p.f1 !== 'number') {
      throw new Error(`images[${i}] lacks sha256 or its temguard block (detections, wrong, predicted)`);
    }
    return {
      sha256: im.sha256, rel: String(im.file_name), width: Number(im.width), height: Number(im.height), labelled_at: String(t.labelled_at),
      detections: t.detections as Box[], wrong: (t.wrong as unknown[]).map(Number), added: added.get(Number(im.id)) ?? [], predicted: p,
    };
  });
}
