/**
 * The one error type for "this file is not a model temguard can run": not ONNX, corrupt,
 * an export format no adapter understands, a caffe2 export. Its message says why and what is
 * supported, so the CLI can print it as one line. Re-exported by pipeline/detect.ts.
 */
export class ModelError extends Error {
  override readonly name = 'ModelError';
}
