import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, redact } from '../../agent/config/load.js';
import { defaultYaml, markdownTable } from '../../agent/config/docs.js';
import { PACKAGE_ROOT } from '../../agent/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'tg-config-'));
const write = (name: string, text: string) => { const p = join(tmp, name); writeFileSync(p, text); return p; };

test('defaults follow the paper thresholds and the embedded broker', (t) => {
  const c = loadConfig();
  t.is(c.detector.confidence, 0.1);
  t.is(c.forest.f1_threshold, 0.5);
  t.is(c.mqtt.url, 'embedded://127.0.0.1:1883');
  t.is(c.watch.dir, null);
});

test('config/temguard.yaml is the generated documented defaults and loads to the defaults', (t) => {
  const file = join(PACKAGE_ROOT, 'config', 'temguard.yaml');
  t.is(readFileSync(file, 'utf8'), defaultYaml(), 'regenerate with: temguard validate-config --print-defaults > config/temguard.yaml');
  t.deepEqual(loadConfig({ file }), loadConfig());
});

test('file values override defaults; env overrides the file; flags override env', (t) => {
  const file = write('a.yaml', 'instrument:\n  id: talos-2\nmqtt:\n  url: mqtt://broker:1883\nwatch:\n  stable_ms: 500\n');
  const c = loadConfig({ file, env: { TEMGUARD_WATCH_STABLE_MS: '750', TEMGUARD_DETECTOR_PROVIDERS: '[cpu]' }, overrides: { 'instrument.id': 'flag-id' } });
  t.is(c.instrument.id, 'flag-id');
  t.is(c.mqtt.url, 'mqtt://broker:1883');
  t.is(c.watch.stable_ms, 750);
  t.deepEqual(c.detector.providers, ['cpu']);
});

test('unknown keys and bad values are all reported, with path and line', (t) => {
  const file = write('bad.yaml', 'watch:\n  stable_ms: fast\n  colour: red\nforest:\n  f1_threshold: 1.5\nbogus: 1\n');
  const err = t.throws(() => loadConfig({ file }), { instanceOf: ConfigError })!;
  const issues = (err as ConfigError).issues;
  t.is(issues.length, 4);
  t.truthy(issues.find((i) => i.path === 'watch.stable_ms' && i.line === 2 && /expected a number/.test(i.message)));
  t.truthy(issues.find((i) => i.path === 'watch.colour' && i.line === 3 && /unknown key/.test(i.message)));
  t.truthy(issues.find((i) => i.path === 'forest.f1_threshold' && i.line === 5 && /<= 1/.test(i.message)));
  t.truthy(issues.find((i) => i.path === 'bogus' && /unknown key/.test(i.message)));
  t.regex(err.message, /line 2: watch.stable_ms/);
});

test('broken YAML is an error with its line, not a crash', (t) => {
  const file = write('broken.yaml', 'watch:\n  dir: [unclosed\n');
  const err = t.throws(() => loadConfig({ file }), { instanceOf: ConfigError })!;
  t.regex(err.message, /\(yaml\)/);
});

test('a missing file is a clear error', (t) => {
  const err = t.throws(() => loadConfig({ file: join(tmp, 'nope.yaml') }), { instanceOf: ConfigError })!;
  t.regex(err.message, /cannot read/);
});

test('records are validated with their index; cross-field checks name the setting', (t) => {
  const file = write('rec.yaml', 'decode:\n  pixel_size:\n    - pattern: "*.tif"\n      x: -1\n    - pattern: "*.png"\n      size: 2\ninstrument:\n  id: "tem/1"\nmqtt:\n  url: http://x\nschedule:\n  status: "every minute"\n');
  const err = t.throws(() => loadConfig({ file }), { instanceOf: ConfigError }) as ConfigError;
  const paths = err.issues.map((i) => i.path).sort();
  t.deepEqual(paths, ['decode.pixel_size[0].x', 'decode.pixel_size[1].size', 'instrument.id', 'mqtt.url', 'schedule.status']);
});

test('env values of the wrong type are errors naming the variable path', (t) => {
  const err = t.throws(() => loadConfig({ env: { TEMGUARD_QUEUE_CAPACITY: 'lots' } }), { instanceOf: ConfigError }) as ConfigError;
  t.is(err.issues[0]!.path, 'queue.capacity');
});

test('redact masks credentials in the broker URL', (t) => {
  const c = loadConfig({ overrides: { 'mqtt.url': 'mqtts://user:secret@broker:8883' } });
  t.false(JSON.stringify(redact(c)).includes('secret'));
});

test('the README documents every key, as the schema says', (t) => {
  const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
  t.true(readme.includes(markdownTable()), 'regenerate the table with: temguard validate-config --print-reference');
});
