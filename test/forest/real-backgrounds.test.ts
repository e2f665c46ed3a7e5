import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDetectorDeps } from '../../agent/learn/detector-deps.js';
import { computeFeatures } from '../../agent/pipeline/features.js';
import { DEFAULT_FOREST_PATH, loadForest } from '../../agent/pipeline/forest.js';
import { PACKAGE_ROOT } from '../../agent/paths.js';

const DATA = join(PACKAGE_ROOT, '..', 'shared', 'data');
const SPLIT = join(PACKAGE_ROOT, 'models', 'recipes', 'detector', 'real_split.json');
const heldOut = (): string[] => (JSON.parse(readFileSync(SPLIT, 'utf8')) as { backgrounds_held_out: string[] }).backgrounds_held_out;
const realTest = existsSync(join(DATA, 'backgrounds')) ? test : test.skip;

// Real labelled data: nothing in a cavity-free background is a cavity, so any detection there
// makes the true F1 0. These five were never seen by the detector's adaptation nor by the
// forest (real_split.json). The forest trained on simulation alone predicted 0.70 for one of them.
realTest('on the held-out real cavity-free backgrounds, every image with detections gets a low predicted F1', async (t) => {
  const forest = await loadForest(DEFAULT_FOREST_PATH, { threshold: 0.5 });
  const { deps, close } = await openDetectorDeps({ providers: ['cpu'] });
  try {
    let withDetections = 0;
    for (const key of heldOut()) {
      const frame = await deps.decode(join(DATA, key));
      const ds = await deps.detect(frame);
      if (ds.length === 0) continue;
      withDetections++;
      const p = forest.predict(computeFeatures(ds, frame.width, frame.height), frame);
      t.true(p.f1 < 0.5, `${key}: ${ds.length} false detections, predicted F1 ${p.f1.toFixed(3)}`);
    }
    t.true(withDetections >= 3, `the detector finds something on ${withDetections} of them`);
  } finally { await close(); }
});
