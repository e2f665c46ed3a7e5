/**
 * The forest the agent runs on every image: loads a model file and its manifest, refuses a
 * model that does not fit this agent (unknown or mismatched features, a file that is not
 * the one its manifest describes), and turns the 18 features into predicted F1, precision
 * and recall (+ a conformal interval on F1 when the model carries one).
 *
 * Files: MODEL.json (format "temguard-forest", see ForestModelFile) and, next to it,
 * MODEL.manifest.json (ForestManifest) whose sha256 is that of MODEL.json's bytes.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MODELS_DIR } from '../paths.js';
import { FEATURE_NAMES, type FeatureName, type Features, type Frame, type Prediction } from '../types.js';
import { decodeForest, predictFlat, type EncodedForest, type FlatForest } from './trees.js';
import { domainChecker, type DomainReference, type DomainResult } from './domain.js';
import { imageDomainChecker, outsideImageDomain, type ImageDomainReference } from './image-domain.js';

export const DEFAULT_FOREST_PATH: string = join(MODELS_DIR, 'forest-default.json');
export const FOREST_FORMAT = 'temguard-forest';
export const FOREST_FORMAT_VERSION = 1;
export const TARGETS = ['f1', 'precision', 'recall'] as const;
export type Target = (typeof TARGETS)[number];

export class ForestError extends Error {
  override name = 'ForestError';
}

/** StandardScaler: z = (x - mean) / scale, per feature in the model's order. */
export interface Scaler {
  mean: number[];
  scale: number[];
}

/** Conformal half-width on F1: [f1 - q, f1 + q] clipped to [0,1] covers `level` of images. */
export interface ConformalInfo {
  method: string;
  level: number;
  q: number;
}

/** What MODEL.json holds. */
export interface ForestModelFile {
  format: typeof FOREST_FORMAT;
  version: number;
  features: FeatureName[];
  scaler: Scaler;
  targets: Record<Target, EncodedForest>;
  conformal?: ConformalInfo;
}

/** What MODEL.manifest.json holds (train.ts writes it; more fields are allowed). */
export interface ForestManifest {
  name: string;
  version: number;
  created: string;
  /** sha256 (hex) of MODEL.json. */
  sha256: string;
  features: FeatureName[];
  scaler: Scaler;
  targets: Target[];
  hyperparameters?: Record<string, unknown>;
  training?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  conformal?: ConformalInfo;
  /** Applicability-domain reference (domain.ts); absent in older models: no in_domain then. */
  domain?: DomainReference;
  /** Image-statistics reference from real micrographs (image-domain.ts); absent: features only. */
  image_domain?: ImageDomainReference;
  [extra: string]: unknown;
}

export interface Forest {
  readonly path: string;
  readonly sha256: string;
  readonly manifest: ForestManifest;
  readonly features: readonly FeatureName[];
  /** `frame`, where given and the model carries an image reference, also checks the pixels. */
  predict(features: Features, frame?: Frame): Prediction;
}

export function manifestPathFor(modelPath: string): string {
  return modelPath.replace(/\.json$/i, '') + '.manifest.json';
}

export async function loadForest(path: string, opts: { threshold: number }): Promise<Forest> {
  if (!(opts.threshold >= 0 && opts.threshold <= 1)) throw new ForestError(`forest threshold must be within [0,1], got ${opts.threshold}`);
  const bytes = await readOrFail(path, 'forest model');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const model = parseJson(bytes, path) as ForestModelFile;
  const manifestPath = manifestPathFor(path);
  const manifest = parseJson(await readOrFail(manifestPath, 'forest manifest'), manifestPath) as ForestManifest;
  if (manifest.sha256 !== sha256) throw new ForestError(`forest ${path}: sha256 ${sha256.slice(0, 12)}… does not match its manifest (${String(manifest.sha256).slice(0, 12)}…); the model file was changed or the manifest belongs to another model`);
  return createForest(model, manifest, path, sha256, opts.threshold);
}

/** `build()`, with its error turned into a ForestError that names the forest file (and `what` in it). */
function naming<T>(path: string, build: () => T, what = ''): T {
  try { return build(); } catch (e) { throw new ForestError(`forest ${path}: ${what}${(e as Error).message}`); }
}

/** Builds a Forest from parsed files (also used by `train` to check what it just wrote). */
export function createForest(model: ForestModelFile, manifest: ForestManifest, path: string, sha256: string, threshold: number): Forest {
  const features = checkModel(model, manifest, path);
  const forests = {} as Record<Target, FlatForest>;
  for (const t of TARGETS) forests[t] = naming(path, () => decodeForest(model.targets[t], features.length), `target "${t}": `);
  const { mean, scale } = model.scaler;
  const x = new Float32Array(features.length);
  const clamp = (v: number): number => Math.min(1, Math.max(0, v));
  const outside = manifest.domain?.features?.filter((f) => !(features as readonly string[]).includes(f)) ?? [];
  if (outside.length) throw new ForestError(`forest ${path}: domain reference uses features the model does not: ${outside.join(', ')}`);
  const { domain: ref, image_domain: imageRef } = manifest;
  const domain = ref ? naming(path, () => domainChecker(ref)) : undefined;
  const imageDomain = imageRef ? naming(path, () => imageDomainChecker(imageRef)) : undefined;
  return {
    path, sha256, manifest, features,
    predict(input: Features, frame?: Frame): Prediction {
      for (let j = 0; j < features.length; j++) {
        const v = input[features[j]!];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new ForestError(`feature "${features[j]}" is missing or not a finite number`);
        x[j] = (v - mean[j]!) / scale[j]!;
      }
      const f1 = clamp(predictFlat(forests.f1, x));
      const out: Prediction = { f1, precision: clamp(predictFlat(forests.precision, x)), recall: clamp(predictFlat(forests.recall, x)), low: f1 < threshold, threshold };
      if (model.conformal) out.interval = { lo: clamp(f1 - model.conformal.q), hi: clamp(f1 + model.conformal.q), level: model.conformal.level };
      const inDomain = combineDomain(domain?.(input as unknown as Record<string, number>), frame && imageDomain ? imageDomain(frame) : null);
      if (inDomain) out.in_domain = inDomain;
      return outsideImageDomain(out);
    },
  };
}

/**
 * In domain only when near both references: the features' (simulated training rows) and the
 * pixels' (real micrographs). distance/percentile stay the features' where that reference
 * exists (the image's are under `image`).
 */
function combineDomain(features: DomainResult | undefined, image: DomainResult | null): Prediction['in_domain'] {
  if (!image) return features;
  const top = features ?? image;
  return { ...top, in_domain: top.in_domain && image.in_domain, image };
}

/** Refuses, with the reason, any model this agent cannot feed correctly. */
function checkModel(model: ForestModelFile, manifest: ForestManifest, path: string): FeatureName[] {
  const fail = (why: string): never => { throw new ForestError(`forest ${path}: ${why}`); };
  if (model?.format !== FOREST_FORMAT) fail(`not a ${FOREST_FORMAT} model (format "${String(model?.format)}")`);
  if (model.version !== FOREST_FORMAT_VERSION) fail(`format version ${model.version} is not supported (this agent reads ${FOREST_FORMAT_VERSION})`);
  const feats = model.features;
  if (!Array.isArray(feats) || feats.length === 0) fail('lists no features');
  const unknown = feats.filter((f) => !(FEATURE_NAMES as readonly string[]).includes(f));
  if (unknown.length) fail(`uses features this agent does not compute: ${unknown.join(', ')} (known: ${FEATURE_NAMES.join(', ')})`);
  if (new Set(feats).size !== feats.length) fail('lists a feature twice');
  if (!Array.isArray(manifest.features) || manifest.features.join(',') !== feats.join(',')) {
    fail(`feature list [${feats.join(', ')}] does not match its manifest's [${(manifest.features ?? []).join(', ')}]`);
  }
  const { mean, scale } = model.scaler ?? {};
  if (!Array.isArray(mean) || !Array.isArray(scale) || mean.length !== feats.length || scale.length !== feats.length) fail(`scaler does not have one mean and scale per feature (${feats.length})`);
  if (scale.some((s) => !(s > 0)) || mean.some((m) => !Number.isFinite(m))) fail('scaler has a non-finite mean or a scale <= 0');
  for (const t of TARGETS) if (!model.targets?.[t]) fail(`has no forest for target "${t}"`);
  return feats;
}

async function readOrFail(path: string, what: string): Promise<Buffer> {
  try { return await readFile(path); }
  catch (e) { throw new ForestError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
}

function parseJson(bytes: Buffer, path: string): unknown {
  try { return JSON.parse(bytes.toString('utf8')); }
  catch (e) { throw new ForestError(`${path} is not valid JSON: ${(e as Error).message}`); }
}
