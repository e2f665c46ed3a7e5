import test from 'ava';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDomainReference, domainChecker, DomainError } from '../../agent/pipeline/domain.js';
import { loadForest, manifestPathFor, ForestError } from '../../agent/pipeline/forest.js';
import { readTable } from '../../agent/learn/table.js';
import { AlertTracker, domainPrefix } from '../../agent/pipeline/alerts.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MODELS_DIR, PACKAGE_ROOT } from '../../agent/paths.js';
import { temImages } from '../helpers/data.js';
import { schemaErrors } from '../helpers/schemas.js';

const run = promisify(execFile);
import type { Prediction } from '../../agent/types.js';

const TABLE = 'docs/forest/table.csv';
const MODEL = join(MODELS_DIR, 'forest-default.json');

test('held-out rows of a known group are mostly in domain, shifted rows are not', async (t) => {
  const { rows } = await readTable(TABLE);
  const feats = ['counts_0.9', 'avg_conf', 'avg_shape', 'counts', 'avg_size'];
  const train = rows.filter((_, i) => i % 2 === 0);
  const held = rows.filter((_, i) => i % 2 === 1);
  const check = domainChecker(buildDomainReference(train.map((r) => r.features), feats));
  const inside = held.filter((r) => check(r.features).in_domain).length / held.length;
  t.true(inside > 0.9, `held-out share in domain ${inside}`);
  const far = { ...held[0]!.features, counts: 50_000, avg_shape: 40 };
  const r = check(far);
  t.false(r.in_domain);
  t.is(r.percentile, 100);
  t.true(r.distance > check(held[0]!.features).distance);
});

test('a malformed reference is refused with a reason, a missing feature too', (t) => {
  const rows = Array.from({ length: 20 }, (_, i) => ({ a: i, b: i % 3 }));
  const ref = buildDomainReference(rows, ['a', 'b'], { k: 3 });
  t.throws(() => domainChecker({ ...ref, points: ref.points.slice(0, 8) }), { instanceOf: DomainError, message: /points/ });
  t.throws(() => domainChecker({ ...ref, mean: [0] }), { instanceOf: DomainError, message: /malformed/ });
  t.throws(() => domainChecker(ref)({ a: 1 }), { instanceOf: DomainError, message: /"b"/ });
  t.throws(() => buildDomainReference(rows.slice(0, 3), ['a'], { k: 3 }), { instanceOf: DomainError });
});

test('the shipped forest publishes in_domain; a reference on foreign features is refused', async (t) => {
  const base = JSON.parse(await readFile(manifestPathFor(MODEL), 'utf8'));
  if (!base.domain) return t.fail('models/forest-default.manifest.json carries no domain reference (run models/recipes/forest/domain.ts)');
  const forest = await loadForest(MODEL, { threshold: 0.5 });
  const { rows } = await readTable(TABLE);
  const p = forest.predict(rows[0]!.features as never);
  t.truthy(p.in_domain);
  t.true(p.in_domain!.distance >= 0 && p.in_domain!.percentile >= 0 && p.in_domain!.percentile <= 100);
  const dir = await mkdtemp(join(tmpdir(), 'tg-domain-'));
  const model = join(dir, 'm.json');
  await copyFile(MODEL, model);
  await writeFile(manifestPathFor(model), JSON.stringify({ ...base, domain: { ...base.domain, features: ['q_snr'] } }));
  await t.throwsAsync(loadForest(model, { threshold: 0.5 }), { instanceOf: ForestError, message: /domain reference uses features/ });
});

test('an alert on out-of-domain images says so before the usual hint', (t) => {
  const alerts = new AlertTracker({ enterAfter: 1, exitAfter: 1, updateEvery: 5 });
  const p: Prediction = { f1: 0.3, precision: 0.3, recall: 0.3, low: true, threshold: 0.5, in_domain: { in_domain: false, distance: 9, percentile: 100 } };
  const ev = alerts.observe(p, { counts: 0 } as never, 'x.png');
  t.truthy(ev);
  t.regex(ev!.hint, /^outside what the forest knows .*100\.0%.*; no detections/);
  t.is(domainPrefix({ ...p, in_domain: { in_domain: true, distance: 1, percentile: 50 } }), '');
  t.is(domainPrefix({ ...p, in_domain: undefined }), '');
  const colour = { in_domain: false, distance: 1, percentile: 50, colour_share: 0.66 };
  t.regex(domainPrefix({ ...p, in_domain: { in_domain: false, distance: 1, percentile: 50, image: colour } }), /^a colour picture, not a micrograph \(66% of its pixels coloured\)/);
  const unlike = { in_domain: false, distance: 3, percentile: 99.3 };
  t.is(domainPrefix({ ...p, point_f1: 0.31, in_domain: { in_domain: false, distance: 1, percentile: 50, image: unlike } }),
    'unlike any real micrograph (its pixel statistics farther from theirs than 99.3% of them): the predicted F1 is not reliable and is shown at its interval\'s lower end (the forest said 0.31); ');
});

const tem = temImages().slice(0, 1);
(tem.length ? test : test.skip)('a real prediction publishes in_domain and stays schema-valid (real TEM image, real detector; skipped without ../shared/data/tem)', async (t) => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'agent/cli.ts', 'predict', tem[0]!], { cwd: PACKAGE_ROOT, maxBuffer: 64 << 20 });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
  t.is(typeof result.prediction.in_domain?.in_domain, 'boolean');
  t.true(result.prediction.in_domain.percentile >= 0 && result.prediction.in_domain.percentile <= 100);
  t.is(schemaErrors('result', result), null);
  t.is(schemaErrors('result', { ...result, prediction: { ...result.prediction, in_domain: { in_domain: 'yes', distance: -1 } } }) === null, false);
});

test('a screenshot through `temguard predict`: f1 is the interval\'s lower end, point_f1 the forest\'s, and the result is schema-valid', async (t) => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'agent/cli.ts', 'predict', 'docs/web/live-view.png'], { cwd: PACKAGE_ROOT, maxBuffer: 64 << 20 });
  const { prediction: p, ...rest } = JSON.parse(stdout.trim().split('\n').at(-1)!);
  t.false(p.in_domain.image.in_domain);
  t.is(p.f1, p.interval.lo);
  t.true(p.point_f1 >= p.f1);
  t.is(schemaErrors('result', { ...rest, prediction: p }), null);
  t.not(schemaErrors('result', { ...rest, prediction: { ...p, point_f1: 2 } }), null);
});
