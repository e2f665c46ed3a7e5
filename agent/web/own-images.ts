/**
 * The images the live view may draw: only those this agent analysed itself, filled by the
 * daemon from its own results (never from MQTT, where anyone who can reach the broker can
 * publish a "result" naming any file), and only while their real path is inside the watch
 * directory (a file replaced by a symlink to /etc/shadow after analysis is refused).
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';

/** An image whose overlay can be drawn: where it is and what was found on it. */
export interface OverlaySource {
  sha256: string;
  path: string;
  rel: string;
  items: { box: number[]; score: number }[];
}

export interface OwnImagesOptions {
  /** Images kept (the newest). */
  max: number;
  /** The watch directory (known to the daemon only once it has started its source). */
  watchDir: () => string | null;
}

/** What the daemon hands over from one of its results. */
export interface OwnResult {
  image: { sha256: string; path: string; rel: string };
  detections: { items: readonly { box: readonly number[]; score: number }[] };
}

export type Located = { ok: true; path: string } | { ok: false; reason: string };

export class OwnImages {
  private readonly sources: OverlaySource[] = [];

  constructor(private readonly o: OwnImagesOptions) {}

  get max(): number { return this.o.max; }

  record(r: OwnResult): void {
    const { sha256, path, rel } = r.image;
    const i = this.sources.findIndex((s) => s.sha256 === sha256);
    if (i >= 0) this.sources.splice(i, 1);
    this.sources.push({ sha256, path, rel, items: r.detections.items.map((it) => ({ box: [...it.box], score: it.score })) });
    if (this.sources.length > this.o.max) this.sources.splice(0, this.sources.length - this.o.max);
  }

  /** The newest image, or the one with this hash; null if this agent has not analysed it lately. */
  source(sha256?: string): OverlaySource | null {
    if (sha256 === undefined) return this.sources[this.sources.length - 1] ?? null;
    return this.sources.find((s) => s.sha256 === sha256) ?? null;
  }

  /** The real path to read for src, or why not: it must resolve inside the watch directory. */
  async locate(src: OverlaySource): Promise<Located> {
    const dir = this.o.watchDir();
    if (!dir) return { ok: false, reason: 'no watch directory yet' };
    const [root, real] = await Promise.all([realpath(dir).catch(() => null), realpath(src.path).catch(() => null)]);
    if (!root) return { ok: false, reason: 'the watch directory is not there' };
    if (!real) return { ok: false, reason: `cannot read image ${src.rel}: it is gone` };
    const r = relative(root, real);
    if (r === '' || r === '..' || r.startsWith('..' + sep) || isAbsolute(r)) return { ok: false, reason: `image ${src.rel} now resolves outside the watch directory` };
    return { ok: true, path: real };
  }
}
