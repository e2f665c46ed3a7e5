/**
 * `temguard simulate`: writes simulated, labelled TEM images of cavities.
 *
 *   temguard simulate --out DIR --count N --seed S [--focus under|over] [--preset NAME]
 *                     [--mix NAME,NAME,...] [--size PX] [--format png|tiff16]
 *
 * Image i uses seed S + i (so any single image can be re-rendered alone) and, with --mix,
 * preset mix[i mod len]. Writes DIR/sim-000001.png ..., DIR/annotations.json (COCO) and
 * DIR/metadata.jsonl (one line per image: its metadata plus every cavity, visible or not).
 */
import { join } from 'node:path';
import { UsageError, commandProgress, parseFlags, requireFlag, stringFlag, numberFlag, type Command } from './command.js';
import { PRESETS, PRESET_NAMES, presetFor, type Focus } from '../sim/presets.js';
import { renderPreset, to8bit } from '../sim/render.js';
import { toUint16, pngBytes, tiff16Bytes } from '../sim/encode.js';
import { addImage, emptyDataset } from '../sim/coco.js';
import { ensureDir, writeAtomic } from '../sim/files.js';
import { createBackgroundStore, defaultBackgroundDir } from '../sim/realbg.js';

const FLAGS = ['out', 'count', 'seed', 'focus', 'preset', 'mix', 'size', 'format', 'backgrounds', 'quiet', 'help'];

export function usage(): string {
  return [
    'usage: temguard simulate --out DIR --count N --seed S [--focus under|over] [--preset NAME]',
    '                         [--mix NAME,NAME,...] [--size PX (512)] [--format png|tiff16]',
    '                         [--backgrounds DIR (real-background; default ../shared/data/backgrounds)] [--quiet]',
    '',
    'presets:',
    ...PRESET_NAMES.map((n) => `  ${n.padEnd(16)} ${PRESETS[n]!.description}`),
    '',
    'Without --preset, --focus picks steel-under or steel-over (default under).',
    'Image i uses seed S+i (and preset mix[i mod len] with --mix). Writes sim-NNNNNN.png|.tif,',
    'annotations.json (COCO; only cavities that pass the visibility test) and metadata.jsonl',
    '(per image: acquisition parameters and every cavity with its visibility measures).',
  ].join('\n');
}

interface Options { out: string; count: number; seed: number; presets: string[]; size: number; format: 'png' | 'tiff16'; backgrounds: string | undefined; flags: Record<string, string | true> }

function intFlag(flags: Record<string, string | true>, name: string, fallback: number | undefined, lo: number, hi: number): number {
  const v = fallback === undefined ? Number(requireFlag(flags, name)) : numberFlag(flags, name, fallback);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new UsageError(`--${name} must be an integer in ${lo}..${hi}`);
  return v;
}

function parseOptions(argv: string[]): Options | null {
  const { flags, positional } = parseFlags(argv, FLAGS, ['help', 'quiet']);
  if (flags.help) return null;
  if (positional.length) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const focus = stringFlag(flags, 'focus');
  if (focus !== undefined && focus !== 'under' && focus !== 'over') throw new UsageError(`--focus must be under or over, got "${focus}"`);
  const preset = stringFlag(flags, 'preset');
  const mix = stringFlag(flags, 'mix');
  if (preset && mix) throw new UsageError('give --preset or --mix, not both');
  const presets = mix ? mix.split(',').map((s) => s.trim()).filter(Boolean) : [presetFor(preset, focus as Focus | undefined)];
  for (const p of presets) if (!PRESETS[p]) throw new UsageError(`unknown preset "${p}" (known: ${PRESET_NAMES.join(', ')})`);
  const format = stringFlag(flags, 'format') ?? 'png';
  if (format !== 'png' && format !== 'tiff16') throw new UsageError(`--format must be png or tiff16, got "${format}"`);
  return {
    out: requireFlag(flags, 'out'),
    count: intFlag(flags, 'count', undefined, 1, 1_000_000),
    seed: intFlag(flags, 'seed', undefined, 0, 2 ** 32 - 1),
    presets,
    size: intFlag(flags, 'size', 512, 16, 8192),
    format,
    backgrounds: stringFlag(flags, 'backgrounds'),
    flags,
  };
}

export const simulate: Command = async (argv, io) => {
  const o = parseOptions(argv);
  if (!o) { io.stdout(usage()); return 0; }
  // One store for the run: each real background is decoded once, and only if a preset needs it.
  const env = { backgrounds: createBackgroundStore(o.backgrounds ?? defaultBackgroundDir()) };
  if (o.presets.some((p) => p === 'real-background')) env.backgrounds.count(); // a missing folder fails before any file is written
  await ensureDir(o.out);
  const ds = emptyDataset(`temguard simulate --seed ${o.seed} --count ${o.count} presets ${o.presets.join(',')}`, '1970-01-01T00:00:00Z');
  const meta: string[] = [];
  const ext = o.format === 'png' ? 'png' : 'tif';
  const progress = commandProgress(io, o.flags, { label: 'simulate', total: o.count, unit: 'images' });
  for (let i = 0; i < o.count; i++) {
    const seed = (o.seed + i) >>> 0;
    const preset = o.presets[i % o.presets.length]!;
    const r = renderPreset(preset, seed, o.size, env);
    const name = `sim-${String(i + 1).padStart(6, '0')}.${ext}`;
    const bytes = o.format === 'png' ? await pngBytes(to8bit(r), r.width, r.height) : await tiff16Bytes(toUint16(r.image, r.metadata.counts_per_pixel), r.width, r.height);
    await writeAtomic(join(o.out, name), bytes);
    addImage(ds, name, r.width, r.height, r.metadata, r.labels);
    meta.push(JSON.stringify({ file_name: name, ...r.metadata, cavities: r.labels.map(({ polygon: _p, ...rest }) => rest) }));
    progress.tick();
  }
  progress.done();
  await writeAtomic(join(o.out, 'annotations.json'), JSON.stringify(ds));
  await writeAtomic(join(o.out, 'metadata.jsonl'), meta.join('\n') + '\n');
  io.stdout(`wrote ${o.count} images and ${ds.annotations.length} annotations to ${o.out}`);
  return 0;
};
