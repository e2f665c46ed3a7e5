/**
 * Overlays on demand: decodes the image of a recent result (the path came from the agent's
 * own results, checked by own-images.ts, never from a URL or an MQTT message), renders it with its detections and keeps the last
 * few encoded images. Concurrent requests for the same image share one render. Failures
 * are values (a reason for a 404), not exceptions, so a deleted or corrupt file cannot
 * take the server down.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { decodeBytes, type DecodeOptions } from '../pipeline/decode.js';
import type { Frame } from '../types.js';
import { renderOverlay, type OverlayItem } from './overlay.js';
import type { OverlaySource } from './own-images.js';

export type OverlayFormat = 'png' | 'jpeg';
export type OverlayOutcome = { ok: true; body: Buffer; format: OverlayFormat } | { ok: false; reason: string };

export interface OverlayServiceOptions {
  /** Longest side of an overlay. Default 1024. */
  maxSide?: number;
  /** Encoded overlays kept in memory. Default 8. */
  cache?: number;
  decode?: DecodeOptions;
}

export class OverlayService {
  private readonly cache = new Map<string, Promise<OverlayOutcome>>();

  constructor(private readonly o: OverlayServiceOptions = {}) {}

  get(src: OverlaySource, format: OverlayFormat): Promise<OverlayOutcome> {
    const key = `${src.sha256}.${format}`;
    let p = this.cache.get(key);
    if (p) {
      this.cache.delete(key); // re-insert: most recently used last
    } else {
      p = this.render(src, format);
    }
    this.cache.set(key, p);
    const max = this.o.cache ?? 8;
    for (const k of this.cache.keys()) if (this.cache.size > max) this.cache.delete(k);
    return p;
  }

  private async render(src: OverlaySource, format: OverlayFormat): Promise<OverlayOutcome> {
    let frame: Frame;
    try {
      // Acquisition software often rewrites one file name (e.g. "current.tif"): boxes found on
      // the old image must not be drawn on the new one.
      // The bytes hashed are the bytes decoded: a file swapped in between is never drawn.
      const bytes = await readFile(src.path);
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (sha !== src.sha256) return this.fail(src, format, `image ${src.rel} has changed since it was analysed`);
      frame = await decodeBytes(bytes, src.path, this.o.decode);
    } catch (err) {
      return this.fail(src, format, `cannot read image ${src.rel}: ${(err as Error).message}`);
    }
    try {
      const items: OverlayItem[] = src.items;
      const body = await renderOverlay(frame, items, { maxSide: this.o.maxSide ?? 1024, format });
      return { ok: true, body, format };
    } catch (err) {
      return this.fail(src, format, `cannot render overlay of ${src.rel}: ${(err as Error).message}`);
    }
  }

  private fail(src: OverlaySource, format: OverlayFormat, reason: string): OverlayOutcome {
    this.forgetLater(src, format);
    return { ok: false, reason };
  }

  /** A failure is not cached for good: the file may be readable again later (a remounted share). */
  private forgetLater(src: OverlaySource, format: OverlayFormat): void {
    const key = `${src.sha256}.${format}`;
    setTimeout(() => this.cache.delete(key), 5000).unref();
  }
}
