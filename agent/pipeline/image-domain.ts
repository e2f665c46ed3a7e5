/**
 * The image half of the applicability domain: how far an image's pixel statistics
 * (image-stats.ts) lie from REAL micrographs. The feature half (domain.ts) is built from the
 * forest's simulated training rows, and those span what photographs give the detector, so a
 * photograph can look in domain there; in pixel statistics it does not look like any camera
 * frame of a foil. Same kNN machinery as domain.ts (standardised, k nearest, training
 * percentile); the reference lives in the forest manifest as `image_domain`, written by
 * models/recipes/forest/image-domain.ts from label-free real images. A colour picture is out
 * of domain whatever its statistics: micrographs are grey (those saved as RGB have R=G=B).
 */
import type { Frame, Prediction } from '../types.js';
import { domainChecker, DomainError, type DomainReference, type DomainResult } from './domain.js';
import { IMAGE_STAT_NAMES, imageStatistics } from './image-stats.js';

/** A domain reference on image statistics, plus what it was built from (for the manifest reader). */
export interface ImageDomainReference extends DomainReference {
  sources?: Record<string, number>;
}

/**
 * More colour pixels than this (formats/pixels.ts) and the frame is a colour picture. A real
 * micrograph's coloured scale bar or label covers at most 0.5 % (../shared/data), the colour
 * photographs of the natural-image check 8-99 %.
 */
export const COLOUR_SHARE_CUT = 0.02;

/** Checks the reference once; the function returns null for a frame too small to describe. */
export function imageDomainChecker(ref: ImageDomainReference): (frame: Frame) => DomainResult | null {
  const unknown = (ref.features ?? []).filter((f) => !(IMAGE_STAT_NAMES as readonly string[]).includes(f));
  if (unknown.length) throw new DomainError(`image domain reference uses statistics this agent does not compute: ${unknown.join(', ')}`);
  const check = domainChecker(ref);
  return (frame) => {
    const stats = imageStatistics(frame);
    if (!stats) return null;
    const r = check(stats);
    const colour = frame.colourShare ?? 0;
    return colour > COLOUR_SHARE_CUT ? { ...r, in_domain: false, colour_share: colour } : r;
  };
}

/**
 * What is published for an image whose pixels are unlike any real micrograph (the image half out
 * of domain; a colour picture always): f1 is the interval's lower end, the forest's point
 * estimate kept as point_f1. Such an image gives the forest feature vectors it never trained
 * on, and the detections on it are false: on the 18 photographs of the natural-image check the
 * point estimates reached 0.89 (coins). The feature half alone does not do this: it also flags
 * real cavity frames the forest predicts well (docs/forest/beyond.md).
 */
export function outsideImageDomain(p: Prediction): Prediction {
  if (p.in_domain?.image?.in_domain !== false || !p.interval || p.point_f1 !== undefined) return p;
  const f1 = p.interval.lo;
  return { ...p, f1, low: f1 < p.threshold, point_f1: p.f1 };
}
