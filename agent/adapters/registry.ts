/**
 * Picks the adapter for a model: by name when the config says so, otherwise the first
 * factory whose `matches` accepts the model's inputs, outputs and metadata. Also rejects
 * export flavours onnxruntime cannot run (Detectron2's caffe2 exports) with a message that
 * says what to do instead.
 */
import type { AdapterFactory, AdapterOptions, DetectorAdapter, ModelInfo } from './adapter.js';
import { detectron2Factory } from './detectron2.js';
import { maskrcnnFactory } from './maskrcnn-torchvision.js';
import { yoloFactory } from './yolo.js';
import { ModelError } from './model-error.js';
import type { OnnxFileInfo } from './onnx-file.js';
import { unetFactory } from './unet.js';

/** Order matters for 'auto': the most specific formats first. */
export const ADAPTER_FACTORIES: readonly AdapterFactory[] = [unetFactory, maskrcnnFactory, yoloFactory, detectron2Factory];

export const SUPPORTED_FORMATS =
  'the bundled unet, torchvision Mask R-CNN (torch.onnx), Detectron2 --export-method tracing, Ultralytics YOLOv8/YOLO11 detect/seg';

/** Throws ModelError for caffe2-flavoured exports (custom ops in the org.pytorch._caffe2 domain). */
export function rejectUnrunnable(file: OnnxFileInfo, label: string): void {
  const caffe2 = Object.keys(file.opsets).some((d) => d.includes('caffe2')) || file.operators.some((o) => o.includes('caffe2'));
  if (caffe2) {
    throw new ModelError(`${label} is a caffe2-flavoured export (Detectron2 --export-method caffe2_tracing), whose custom operators onnxruntime cannot run; re-export with --export-method tracing --format onnx`);
  }
}

function describe(info: ModelInfo): string {
  const shape = (s: readonly (number | string)[] | undefined): string => (s ? `[${s.join(',')}]` : '');
  const ins = info.inputNames.map((n) => n + shape(info.inputShapes?.[n])).join(', ');
  const outs = info.outputNames.map((n) => n + shape(info.outputShapes?.[n])).join(', ');
  return `inputs ${ins || '(none)'}; outputs ${outs || '(none)'}`;
}

export function selectAdapter(info: ModelInfo, requested = 'auto', opts: AdapterOptions = {}, factories: readonly AdapterFactory[] = ADAPTER_FACTORIES): DetectorAdapter {
  const names = factories.map((f) => f.name).join(', ');
  if (requested !== 'auto') {
    const f = factories.find((x) => x.name === requested);
    if (!f) throw new ModelError(`unknown detector adapter "${requested}"; known: auto, ${names}`);
    return f.create(info, opts);
  }
  const f = factories.find((x) => x.matches(info));
  if (!f) throw new ModelError(`no adapter understands this model (${describe(info)}); supported: ${SUPPORTED_FORMATS}`);
  return f.create(info, opts);
}
