/**
 * The defocus a file name states, as the microscopists here write it: "3-2 defocus -2um.png",
 * "5-4 2um.png", "16 BF 2 defocus 323.03nm.png", "74dpa-voids4 Under focus.png". Used to
 * validate the measured defocus against what the operator wrote down, never as the measurement.
 * `sign` -1 under, +1 over, 0 unknown (a magnitude with no sign word, e.g. "defocus 323.03nm");
 * `um` null when the name gives only the sign.
 */
export interface StatedDefocus { um: number | null; sign: -1 | 0 | 1 }

export function statedDefocus(name: string): StatedDefocus | null {
  const um = /(?:^|[\s_])([+-]?\d+(?:\.\d+)?)\s*um\b/i.exec(name);
  if (um) { const v = Number(um[1]); return { um: v, sign: v < 0 ? -1 : v > 0 ? 1 : 0 }; }
  const nm = /defocus\s*([+-]?\d+(?:\.\d+)?)\s*nm/i.exec(name);
  if (nm) { const v = Number(nm[1]) / 1000; return { um: Math.abs(v), sign: nm[1]!.startsWith('-') ? -1 : nm[1]!.startsWith('+') ? 1 : 0 }; }
  if (/under\s*-?focus/i.test(name)) return { um: null, sign: -1 };
  if (/over\s*-?focus|\bover\b/i.test(name)) return { um: null, sign: 1 };
  return null;
}
