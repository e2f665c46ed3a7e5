/**
 * The data that flows through the pipeline, stage to stage. Every stage imports its
 * input and output types from here so the contract between files is written down once.
 */

/** Physical size of one pixel, as the file or the config states it. */
export interface PixelSize {
  x: number;
  y: number;
  /** Usually "nm"; readers convert Angstrom and micrometre to nm where they can. */
  unit: string;
}

/** Element type of the pixels as stored in the file (before conversion to float). */
export type PixelType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float16' | 'float32' | 'float64';

/**
 * One decoded image: single-channel, row-major, full dynamic range kept (a 16-bit camera
 * frame stays 0..65535; no normalisation here; detector adapters normalise).
 */
export interface Frame {
  width: number;
  height: number;
  data: Float32Array;
  dtype: PixelType;
  /** min/max/mean of `data`, computed once by the decoder. */
  min: number;
  max: number;
  mean: number;
  pixelSize: PixelSize | null;
  /** e.g. "png", "jpeg", "tiff", "dm3", "dm4", "mrc". */
  format: string;
  /** Files stored in colour: the share of pixels that are coloured, not grey (formats/pixels.ts). */
  colourShare?: number;
}

/** Axis-aligned box in image pixels: x1,y1 inclusive top-left, x2,y2 exclusive bottom-right. */
export type Box = [x1: number, y1: number, x2: number, y2: number];

/** A binary instance mask stored in the coordinates of its own bounding rectangle. */
export interface Mask {
  /** Top-left of the mask rectangle in image pixels (integers). */
  x0: number;
  y0: number;
  width: number;
  height: number;
  /** width*height bytes, 1 = inside. */
  data: Uint8Array;
}

/** One detected object, already mapped back to the pixels of the original image. */
export interface Detection {
  box: Box;
  score: number;
  label: number;
  /** Present for segmenters (Mask R-CNN, YOLO-seg, the bundled U-Net); absent for box detectors. */
  mask?: Mask;
}

/** The 18 features of paper-method.md, in that document's order and with its names. */
export const FEATURE_NAMES = [
  'counts_0.1', 'counts_0.2', 'counts_0.3', 'counts_0.4', 'counts_0.5',
  'counts_0.6', 'counts_0.7', 'counts_0.8', 'counts_0.9',
  'area_ratio', 'avg_conf', 'std_conf', 'avg_size', 'std_size',
  'avg_shape', 'std_shape', 'counts', 'image_confidence',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];
export type Features = Record<FeatureName, number>;

/** What the forest says about one image. */
export interface Prediction {
  f1: number;
  precision: number;
  recall: number;
  /** True when f1 < threshold. */
  low: boolean;
  threshold: number;
  /** Calibrated interval on f1 where the model carries one (conformal), else absent. */
  interval?: { lo: number; hi: number; level: number };
  /** Applicability domain (pipeline/domain.ts) where the model carries a reference. */
  in_domain?: { in_domain: boolean; distance: number; percentile: number; image?: { in_domain: boolean; distance: number; percentile: number; colour_share?: number } };
  /** The forest's point estimate, where the image is unlike any real micrograph and f1 is the interval's lower end instead (image-domain.ts). */
  point_f1?: number;
}
