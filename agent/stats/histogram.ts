/**
 * Cavity sizes as a histogram on fixed bins, so that per-image histograms add up to the
 * session's without keeping every diameter: edges 2^(k/2) nm (√2 apart: equal steps on the log
 * axis size distributions are read on), 0.5 nm to 256 nm; sizes outside go to the end bins.
 */
export interface SizeHistogram {
  /** Bin edges in nm (one more than counts). */
  edges_nm: number[];
  counts: number[];
}

export const SIZE_EDGES_NM: readonly number[] = Array.from({ length: 19 }, (_, k) => Number((2 ** ((k - 2) / 2)).toPrecision(4)));

export function sizeHistogram(diametersNm: readonly number[]): SizeHistogram {
  const counts = new Array<number>(SIZE_EDGES_NM.length - 1).fill(0);
  for (const d of diametersNm) counts[binOf(d)]!++;
  return { edges_nm: [...SIZE_EDGES_NM], counts };
}

function binOf(d: number): number {
  const last = SIZE_EDGES_NM.length - 2;
  for (let i = 0; i <= last; i++) if (d < SIZE_EDGES_NM[i + 1]!) return i;
  return last;
}

/** Sum of histograms on the same edges (ones on other edges are a programming error). */
export function addHistograms(into: number[], h: SizeHistogram): void {
  if (h.counts.length !== into.length) throw new Error(`histogram with ${h.counts.length} bins added to one with ${into.length}`);
  for (let i = 0; i < into.length; i++) into[i] = into[i]! + h.counts[i]!;
}
