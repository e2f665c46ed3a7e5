import test from 'ava';
import { readFileSync } from 'node:fs';
import { ModelError } from '../../agent/adapters/model-error.js';
import { readOnnxInfo } from '../../agent/adapters/onnx-file.js';
import { rejectUnrunnable } from '../../agent/adapters/registry.js';
import { modelProto } from './proto.js';

const FIXTURE = new URL('../fixtures/onnx/unet-fixture.onnx', import.meta.url);

test('reads metadata_props, opsets and operators from hand-written bytes', (t) => {
  const info = readOnnxInfo(modelProto({
    opsets: [['', 17], ['ai.onnx.ml', 3]],
    nodes: [['', 'Conv'], ['', 'Relu'], ['', 'Conv']],
    metadata: [['names', "{0: 'cavity', 1: 'loop'}"], ['imgsz', '[640, 640]'], ['é', 'ü']],
  }), 'mem');
  t.is(info.irVersion, 8);
  t.is(info.producer, 'hand-made');
  t.deepEqual(info.opsets, { '': 17, 'ai.onnx.ml': 3 });
  t.deepEqual(info.operators, ['::Conv', '::Relu']);
  t.deepEqual(info.metadata, { names: "{0: 'cavity', 1: 'loop'}", imgsz: '[640, 640]', 'é': 'ü' });
});

test('reads the metadata torch.onnx + onnx wrote into the fixture', (t) => {
  const info = readOnnxInfo(readFileSync(FIXTURE), 'fixture');
  t.is(info.metadata['temguard.adapter'], 'unet');
  t.is(info.metadata['temguard.normalisation'], 'percentile:1,99');
  t.is(info.opsets[''], 13);
  t.true(info.operators.includes('::Conv'));
  t.true(info.operators.includes('::Sigmoid'));
});

test('non-ONNX bytes, truncated files and graphless protos are ModelErrors naming the file', (t) => {
  const text = new TextEncoder().encode('{"name": "not a model"}\n');
  t.throws(() => readOnnxInfo(text, 'config.json'), { instanceOf: ModelError, message: /config\.json is not/ });
  const truncated = readFileSync(FIXTURE).subarray(0, 200);
  t.throws(() => readOnnxInfo(truncated, 'cut.onnx'), { instanceOf: ModelError, message: /cut\.onnx/ });
  t.throws(() => readOnnxInfo(modelProto({ graph: false }), 'nograph.onnx'), { instanceOf: ModelError, message: /no ir_version\/graph/ });
  t.throws(() => readOnnxInfo(new Uint8Array(0), 'empty.onnx'), { instanceOf: ModelError });
});

test('caffe2 exports are rejected with the fix in the message', (t) => {
  const byOpset = readOnnxInfo(modelProto({ opsets: [['', 9], ['org.pytorch._caffe2', 1]] }), 'c2.onnx');
  t.throws(() => rejectUnrunnable(byOpset, 'c2.onnx'), { instanceOf: ModelError, message: /caffe2.*--export-method tracing/ });
  const byNode = readOnnxInfo(modelProto({ nodes: [['org.pytorch._caffe2', 'AliasWithName']] }), 'c2b.onnx');
  t.throws(() => rejectUnrunnable(byNode, 'c2b.onnx'), { instanceOf: ModelError });
  t.notThrows(() => rejectUnrunnable(readOnnxInfo(modelProto({}), 'ok'), 'ok'));
});
