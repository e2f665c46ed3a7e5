/**
 * Runs a detector over real images and writes overlay PNGs (mask outlines and boxes coloured
 * by score) plus a counts table, so the bundled model's behaviour on real micrographs can be
 * judged by eye. Uses the agent's own detect stage (not a Python re-implementation).
 *
 *   npx tsx models/recipes/detector/overlays.ts --model models/cavity-unet-all.onnx \
 *       --out docs/detector [--images DIR] [--pictures NAME,NAME] [IMAGE_NAME ...]
 *
 * Every image is counted; --pictures limits the overlay PNGs written (about 0.7 MB each at
 * 1024², too many to commit all 27).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { silentLogger } from '../../../agent/log.js';
import { createDetector } from '../../../agent/pipeline/detect.js';
import { detectorOptions } from '../../../agent/config/derived.js';
import { loadConfig } from '../../../agent/config/load.js';
import type { Detection, Frame } from '../../../agent/types.js';

async function load(path: string): Promise<{ frame: Frame; gray: Buffer }> {
  const { data, info } = await sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
  const px = new Float32Array(info.width * info.height);
  for (let i = 0; i < px.length; i++) px[i] = data[i * info.channels]!;
  const frame: Frame = { width: info.width, height: info.height, data: px, dtype: 'uint8', min: 0, max: 255, mean: 0, pixelSize: null, format: 'png' };
  return { frame, gray: data };
}

const colour = (s: number): string => (s >= 0.8 ? '#00ff66' : s >= 0.5 ? '#ffd000' : '#ff3030');

/** Mask outline as SVG path segments along the pixel edges between inside and outside. */
function outline(d: Detection): string {
  const m = d.mask;
  if (!m) return '';
  const inside = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < m.width && y < m.height && m.data[y * m.width + x] === 1;
  const segs: string[] = [];
  for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) {
    if (!inside(x, y)) continue;
    const X = m.x0 + x, Y = m.y0 + y;
    if (!inside(x, y - 1)) segs.push(`M${X} ${Y}h1`);
    if (!inside(x, y + 1)) segs.push(`M${X} ${Y + 1}h1`);
    if (!inside(x - 1, y)) segs.push(`M${X} ${Y}v1`);
    if (!inside(x + 1, y)) segs.push(`M${X + 1} ${Y}v1`);
  }
  return `<path d="${segs.join('')}" stroke="${colour(d.score)}" stroke-width="1" fill="none"/>`;
}

function svg(w: number, h: number, dets: Detection[], label: string): string {
  const font = Math.max(14, Math.round(w / 45));
  const parts = dets.map((d) => outline(d));
  parts.push(`<rect x="0" y="0" width="${w}" height="${font * 1.6}" fill="black" fill-opacity="0.6"/>`);
  parts.push(`<text x="6" y="${font * 1.2}" font-family="sans-serif" font-size="${font}" fill="white">${label}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: {
    model: { type: 'string' }, out: { type: 'string', default: 'docs/detector' },
    images: { type: 'string', default: '../shared/data/tem' }, confidence: { type: 'string', default: '0.1' },
    pictures: { type: 'string' },
  } });
  const pictures = values.pictures ? new Set(values.pictures.split(',')) : null;
  if (!values.model) throw new Error('--model is required');
  const names = positionals.length ? positionals : readdirSync(values.images!).filter((n) => /\.(png|jpe?g|tif)$/i.test(n)).sort();
  // The daemon's tiles and pyramid (defaults and TEMGUARD_DETECTOR_* env), so the pictures show what the agent reports.
  const { dense } = detectorOptions(loadConfig({ env: process.env }));
  const det = await createDetector({ modelPath: values.model, providers: ['cpu'], confidence: Number(values.confidence), ...(dense ? { dense } : {}) }, silentLogger);
  mkdirSync(values.out!, { recursive: true });
  const rows: string[] = ['| image | size | detections | score >= 0.5 | score >= 0.8 | median box side px | ms |', '|---|---|---|---|---|---|---|'];
  for (const name of names) {
    const { frame, gray } = await load(join(values.images!, name));
    const r = await det.detect(frame);
    const ds = r.detections;
    const sides = ds.map((d) => Math.sqrt((d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))).sort((a, b) => a - b);
    const hi5 = ds.filter((d) => d.score >= 0.5).length, hi8 = ds.filter((d) => d.score >= 0.8).length;
    const label = `${det.model.name}: ${ds.length} detections (${hi8} >= 0.8)`;
    const outName = basename(name).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._-]+/g, '_') + '.png';
    if (!pictures || pictures.has(name)) await sharp(gray, { raw: { width: frame.width, height: frame.height, channels: 1 } })
      .toColourspace('srgb')
      .composite([{ input: Buffer.from(svg(frame.width, frame.height, ds, label)) }])
      .png({ palette: true, colours: 64 }) // keeps committed overlays small
      .toFile(join(values.out!, outName));
    rows.push(`| ${name} | ${frame.width}x${frame.height} | ${ds.length} | ${hi5} | ${hi8} | ${sides.length ? sides[Math.floor(sides.length / 2)]!.toFixed(0) : '-'} | ${(r.preprocessMs + r.inferenceMs + r.postprocessMs).toFixed(0)} |`);
    console.log(rows[rows.length - 1]);
  }
  await det.close();
  writeFileSync(join(values.out!, `counts-${det.model.name}.md`), rows.join('\n') + '\n');
}

main().catch((err) => { console.error(`overlays: ${(err as Error).message}`); process.exitCode = 1; });
