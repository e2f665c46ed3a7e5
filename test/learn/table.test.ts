import test from 'ava';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable, parseTable, readTable, TableError, columnsFor } from '../../agent/learn/table.js';
import { parseCoco, CocoError } from '../../agent/learn/coco.js';
import { zeroFeatures } from '../../agent/pipeline/features.js';
import { FEATURE_NAMES } from '../../agent/types.js';

test('table: awkward image names and extra columns survive a round trip', (t) => {
  const f = { ...zeroFeatures(), counts: 3, avg_conf: 0.123456789, q_snr: 12.5 } as Record<string, number>;
  const rows = [
    { image: '10 115K, "over".png', group: 'steel-under', features: f, f1: 0.5, precision: 1, recall: 1 / 3 },
    { image: 'line\nbreak.png', group: 'g2', features: { ...f, counts: 0 }, f1: 1, precision: 1, recall: 1 },
  ];
  const text = formatTable(rows, ['q_snr']);
  t.is(text.split('\n')[0], columnsFor(['q_snr']).join(','));
  const back = parseTable(text);
  t.deepEqual(back.rows, rows);
  t.deepEqual(back.featureColumns, [...FEATURE_NAMES, 'q_snr']);
});

test('table: a missing column or a non-number cell is named', async (t) => {
  t.throws(() => parseTable('image,group,f1,precision\na,b,1,1\n', 'x.csv'), { instanceOf: TableError, message: 'x.csv has no "recall" column' });
  t.throws(() => parseTable('image,group,counts,f1,precision,recall\na,b,lots,1,1,1\n', 'x.csv'), { instanceOf: TableError, message: /x.csv line 2: "counts" is not a number/ });
  t.throws(() => parseTable('image,group,f1,precision,recall\na,b,1,1\n', 'x.csv'), { message: /line 2: 4 fields, header has 5/ });
  const dir = await mkdtemp(join(tmpdir(), 'table-'));
  await t.throwsAsync(readTable(join(dir, 'none.csv')), { message: /cannot read table .*ENOENT/ });
  await writeFile(join(dir, 'empty.csv'), '');
  await t.throwsAsync(readTable(join(dir, 'empty.csv')), { message: /is empty/ });
});

test('coco: bbox [x,y,w,h] becomes [x1,y1,x2,y2]; crowd ignored; bad input named', (t) => {
  const doc = {
    images: [{ id: 1, file_name: 'a.png', width: 10, height: 10, temguard: { preset: 'steel-under' } }, { id: 2, file_name: 'b c.png' }],
    annotations: [{ image_id: 1, bbox: [1, 2, 3, 4] }, { image_id: 1, bbox: [0, 0, 1, 1], iscrowd: 1 }],
  };
  const ims = parseCoco(doc, '/data');
  t.deepEqual(ims[0]!.truth, [[1, 2, 4, 6]]);
  t.is(ims[0]!.meta.preset, 'steel-under');
  t.is(ims[1]!.path, '/data/b c.png');
  t.deepEqual(ims[1]!.truth, []);
  t.throws(() => parseCoco({ images: [] }, '/d', 'x.json'), { instanceOf: CocoError, message: 'x.json: no "annotations" array' });
  t.throws(() => parseCoco({ images: [{ id: 1, file_name: 'a' }], annotations: [{ image_id: 9, bbox: [0, 0, 1, 1] }] }, '/d'), { message: /refers to image 9/ });
  t.throws(() => parseCoco({ images: [{ id: 1, file_name: 'a' }], annotations: [{ image_id: 1, bbox: [0, 0, -1, 1] }] }, '/d'), { message: /bbox must be/ });
});
