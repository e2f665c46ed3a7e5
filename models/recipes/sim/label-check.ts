/**
 * Are the simulator's labels the cavities a detector can see? Runs a detector on fresh renders
 * of the in-domain presets and splits its errors: a false positive that overlaps a cavity the
 * labels call invisible (box IoU >= 0.1) points at the visibility rule, not at the detector.
 *
 *   npx tsx models/recipes/sim/label-check.ts [--model models/cavity-unet-all.onnx] [--count 6] [--seed 7700000]
 *                                             [--presets steel-under,...] (default: the in-domain presets)
 *
 * Prints one line per preset: TP/FP/FN against the visible labels, the FPs on invisible cavities,
 * the F1 when every cavity counted as a truth, and the recall of the visible labels by size
 * (largest box side, px; a label counts as found when some detection has box IoU >= 0.1 with it).
 */
import { parseFlags, stringFlag } from '../../../agent/commands/command.js';
import { createDetector, DEFAULT_MODEL_PATH } from '../../../agent/pipeline/detect.js';
import { silentLogger } from '../../../agent/log.js';
import { boxIoU, matchImage } from '../../../agent/learn/match.js';
import { renderPreset, to8bit } from '../../../agent/sim/render.js';
import { createBackgroundStore } from '../../../agent/sim/realbg.js';
import type { CavityLabel } from '../../../agent/sim/labels.js';
import type { Box, Frame } from '../../../agent/types.js';

const DEFAULT_PRESETS = ['steel-under', 'steel-over', 'he-bubbles', 'he-bubbles-over', 'fe-insitu', 'steel-faceted', 'steel-faint', 'real-background'];
const { flags } = parseFlags(process.argv.slice(2), ['model', 'count', 'seed', 'presets']);
const PRESETS = (stringFlag(flags, 'presets') ?? DEFAULT_PRESETS.join(',')).split(',').map((x) => x.trim()).filter(Boolean);
const env = { backgrounds: createBackgroundStore() };
const modelPath = stringFlag(flags, 'model') ?? DEFAULT_MODEL_PATH;
const count = Number(stringFlag(flags, 'count') ?? 6);
const seed0 = Number(stringFlag(flags, 'seed') ?? 7_700_000);

const boxOf = (l: CavityLabel): Box => [l.bbox[0], l.bbox[1], l.bbox[0] + l.bbox[2], l.bbox[1] + l.bbox[3]];
const f1 = (tp: number, fp: number, fn: number): string => ((2 * tp) / Math.max(1, 2 * tp + fp + fn)).toFixed(3);
const SIZE_BINS = [8, 32, 100, Infinity];
const binOf = (b: Box): number => SIZE_BINS.findIndex((hi) => Math.max(b[2] - b[0], b[3] - b[1]) < hi);

const detector = await createDetector({ modelPath, providers: ['cpu'] }, silentLogger);
for (const preset of PRESETS) {
  const n = { tp: 0, fp: 0, fn: 0, fpOnInvisible: 0, tpAll: 0, fpAll: 0, fnAll: 0 };
  const bins = SIZE_BINS.map(() => ({ found: 0, all: 0 }));
  for (let s = 0; s < count; s++) {
    const r = renderPreset(preset, seed0 + s, 512, env);
    const frame: Frame = { width: r.width, height: r.height, data: Float32Array.from(to8bit(r)), dtype: 'uint8', min: 0, max: 255, mean: 128, pixelSize: null, format: 'sim' };
    const visible = r.labels.filter((l) => l.visible).map(boxOf);
    const invisible = r.labels.filter((l) => !l.visible).map(boxOf);
    const found = (await detector.detect(frame)).detections.map((d) => d.box);
    const m = matchImage(visible, found);
    n.tp += m.tp; n.fp += m.fp; n.fn += m.fn;
    const unmatched = found.filter((p) => !visible.some((t) => boxIoU(t, p) >= 0.1));
    n.fpOnInvisible += unmatched.filter((p) => invisible.some((t) => boxIoU(t, p) >= 0.1)).length;
    for (const t of visible) { const b = bins[binOf(t)]!; b.all++; if (found.some((p) => boxIoU(t, p) >= 0.1)) b.found++; }
    const all = matchImage([...visible, ...invisible], found);
    n.tpAll += all.tp; n.fpAll += all.fp; n.fnAll += all.fn;
  }
  console.log(`${preset.padEnd(16)} visible labels: TP ${n.tp} FP ${n.fp} FN ${n.fn} F1 ${f1(n.tp, n.fp, n.fn)} | FP on invisible cavities ${n.fpOnInvisible} | every cavity a truth: F1 ${f1(n.tpAll, n.fpAll, n.fnAll)} | recall by size <8/8-32/32-100/>=100 px: ${bins.map((b) => `${b.found}/${b.all}`).join(' ')}`);
}
await detector.close();
