/**
 * Which images are worth labelling next: the ones a label teaches the most about, i.e.
 * where the forest is least sure (widest interval), where it is outside its training domain,
 * and images from alert periods (where trusting the prediction matters most).
 */
export interface Candidate {
  sha256: string;
  rel: string;
  ts: string;
  f1: number;
  lo: number | null;
  hi: number | null;
  outOfDomain: boolean;
  inAlert: boolean;
}

export interface Suggestion { sha256: string; rel: string; ts: string; f1: number; score: number; reasons: string[] }

/** Weights of the reasons: an unusual image or an alert outranks a slightly wider interval. */
const OOD_WEIGHT = 0.5;
const ALERT_WEIGHT = 0.25;
/** Width assumed when the forest carries no interval (it says nothing about its doubt). */
const NO_INTERVAL_WIDTH = 0.2;

export function suggest(candidates: Candidate[], labelled: (sha: string) => boolean, max: number): Suggestion[] {
  const seen = new Set<string>();
  const out: Suggestion[] = [];
  for (const c of candidates) {
    if (labelled(c.sha256) || seen.has(c.sha256)) continue;
    seen.add(c.sha256);
    const width = c.lo !== null && c.hi !== null ? c.hi - c.lo : NO_INTERVAL_WIDTH;
    const reasons = [c.lo !== null && c.hi !== null ? `interval ${c.lo.toFixed(2)}–${c.hi.toFixed(2)}` : 'no interval'];
    if (c.outOfDomain) reasons.push('out of domain');
    if (c.inAlert) reasons.push('alert period');
    const score = width + (c.outOfDomain ? OOD_WEIGHT : 0) + (c.inAlert ? ALERT_WEIGHT : 0);
    out.push({ sha256: c.sha256, rel: c.rel, ts: c.ts, f1: c.f1, score: Math.round(score * 1e4) / 1e4, reasons });
  }
  return out.sort((a, b) => b.score - a.score || b.ts.localeCompare(a.ts)).slice(0, max);
}
