/**
 * The one shape of a label, from the live view (POST /api/labels) or an MQTT `label`
 * request: `{sha256, action: "confirm" | "edit", wrong?: [index], added?: [[x1,y1,x2,y2]]}`.
 * Checked here against the image it names, with a message a person can act on.
 */
import type { Box } from '../types.js';

export interface LabelRequest { sha256: string; action: 'confirm' | 'edit'; wrong: number[]; added: Box[] }

export class LabelError extends Error { override name = 'LabelError'; }

/** Most boxes one label may add: far above any real image, low enough to bound the file. */
export const MAX_ADDED = 2000;

export function parseLabelRequest(body: unknown): LabelRequest {
  const b = body as Record<string, unknown> | null;
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new LabelError('expected a JSON object {sha256, action, wrong?, added?}');
  if (typeof b.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(b.sha256)) throw new LabelError('sha256: expected the image\'s 64 lower-case hex digits');
  if (b.action !== 'confirm' && b.action !== 'edit') throw new LabelError('action: expected "confirm" (the detections are right) or "edit"');
  const wrong = b.wrong ?? [];
  const added = b.added ?? [];
  if (!Array.isArray(wrong) || !wrong.every((i) => Number.isInteger(i) && i >= 0)) throw new LabelError('wrong: expected an array of detection indexes');
  if (!Array.isArray(added) || added.length > MAX_ADDED || !added.every(isBox)) throw new LabelError(`added: expected at most ${MAX_ADDED} boxes [x1,y1,x2,y2] with x2 > x1 and y2 > y1`);
  if (b.action === 'confirm' && (wrong.length || added.length)) throw new LabelError('confirm takes no wrong or added boxes (use action "edit")');
  return { sha256: b.sha256, action: b.action, wrong: [...new Set(wrong as number[])].sort((x, y) => x - y), added: added as Box[] };
}

const isBox = (v: unknown): boolean => Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) && v[2] > v[0] && v[3] > v[1];

/** The request against the image's size and detections. */
export function checkAgainst(req: LabelRequest, image: { width: number; height: number; detections: number }): void {
  const bad = req.wrong.find((i) => i >= image.detections);
  if (bad !== undefined) throw new LabelError(`wrong: detection ${bad} does not exist (the image has ${image.detections})`);
  const out = req.added.find((b) => b[0] < 0 || b[1] < 0 || b[2] > image.width || b[3] > image.height);
  if (out) throw new LabelError(`added: box [${out.join(', ')}] lies outside the ${image.width}x${image.height} image`);
}
