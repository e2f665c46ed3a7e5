/**
 * Pixel sizes in nm: unit conversion for what files state (DM "µm", MRC Angstrom) and the
 * per-pattern overrides from the config for files that state nothing usable (most PNGs and
 * many TIFFs). Sizes in nm are what the results report.
 */
import type { PixelSize } from '../types.js';

/** nm per one of each length unit, keyed by the spellings DM, MRC and TIFF writers use. */
const NM_PER_UNIT: Record<string, number> = {
  nm: 1, nanometer: 1, nanometers: 1, nanometre: 1,
  '\u00e5': 0.1, '\u00c5': 0.1, '\u212b': 0.1, a: 0.1, angstrom: 0.1, angstroms: 0.1,
  '\u00b5m': 1000, '\u03bcm': 1000, um: 1000, micron: 1000, microns: 1000, micrometer: 1000,
  mm: 1e6, m: 1e9, pm: 1e-3,
};

/** Convert a length unit to nm; undefined for non-length units (1/nm, eV, pixels, ""). */
export function nmPerUnit(unit: string): number | undefined {
  const u = unit.trim();
  return NM_PER_UNIT[u] ?? NM_PER_UNIT[u.toLowerCase()];
}

/** A pixel size in nm from a scale per axis and its unit, or null when either is unusable. */
export function pixelSizeNm(x: number, y: number, unit: string): PixelSize | null {
  const f = nmPerUnit(unit);
  if (f === undefined || !Number.isFinite(x) || !Number.isFinite(y) || x <= 0 || y <= 0) return null;
  return { x: x * f, y: y * f, unit: 'nm' };
}

export interface PixelSizeOverride {
  /** Glob on the file's basename, e.g. "*.tif" (`*`, `?` and `[abc]` are understood). */
  pattern: string;
  x: number;
  y?: number;
  /** Default nm. */
  unit?: string;
}

/** Glob (basename only) -> anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) { re += '\\['; continue; }
      const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += '[' + (body.startsWith('!') ? '^' + body.slice(1) : body) + ']';
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

/**
 * The first override whose pattern matches `basename`, as a pixel size in nm; undefined
 * when none matches. An override with an unknown unit throws: that is a config mistake.
 */
export function overridePixelSize(basename: string, overrides: readonly PixelSizeOverride[] | undefined): PixelSize | undefined {
  for (const o of overrides ?? []) {
    if (!globToRegExp(o.pattern).test(basename)) continue;
    const size = pixelSizeNm(o.x, o.y ?? o.x, o.unit ?? 'nm');
    if (!size) throw new Error(`pixel size override "${o.pattern}": invalid size ${o.x}${o.y !== undefined ? 'x' + o.y : ''} ${o.unit ?? 'nm'}`);
    return size;
  }
  return undefined;
}
