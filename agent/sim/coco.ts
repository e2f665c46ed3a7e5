/**
 * COCO annotations for a simulated set: images (with a `temguard` object of acquisition
 * metadata), categories [{id:1, name:'cavity'}], and one annotation per VISIBLE cavity
 * (labels.ts decides) with polygon segmentation, bbox [x, y, w, h], polygon area, and its
 * matched-filter SNR (`temguard.detectability`, >= ROSE_K), so a scorer can tell the cavities a
 * human labeller would call certain from the barely visible ones. Invisible cavities and
 * distractors are not annotations.
 */
import type { CavityLabel } from './labels.js';
import type { SimMetadata } from './render.js';

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
  temguard: SimMetadata & { defocus_nm: number; dose: number; pixel_size_nm: number; preset: string; seed: number; kV: number };
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: 1;
  segmentation: number[][];
  bbox: [number, number, number, number];
  area: number;
  iscrowd: 0;
  temguard: { detectability: number };
}

export interface CocoDataset {
  info: { description: string; version: string; date_created: string };
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: { id: number; name: string; supercategory: string }[];
}

/** An empty data set; `date` is passed in so the output stays a function of the inputs. */
export function emptyDataset(description: string, date: string): CocoDataset {
  return {
    info: { description, version: '1', date_created: date },
    images: [],
    annotations: [],
    categories: [{ id: 1, name: 'cavity', supercategory: 'defect' }],
  };
}

/** Appends one image and its visible cavities; ids are consecutive from 1. */
export function addImage(ds: CocoDataset, fileName: string, width: number, height: number, meta: SimMetadata, labels: CavityLabel[]): void {
  const imageId = ds.images.length + 1;
  ds.images.push({ id: imageId, file_name: fileName, width, height, temguard: meta });
  for (const l of labels) {
    if (!l.visible) continue;
    ds.annotations.push({
      id: ds.annotations.length + 1,
      image_id: imageId,
      category_id: 1,
      segmentation: [l.polygon],
      bbox: l.bbox,
      area: l.area,
      iscrowd: 0,
      temguard: { detectability: Math.round(l.detectability * 100) / 100 },
    });
  }
}
