/**
 * The dashboard examples read the agent's real topics and payloads: the Node-RED flow is
 * wired consistently and its function nodes, run on messages in the agent's format, give
 * the values a dashboard shows; the Grafana panels subscribe to real topics and extract
 * fields that exist in real messages.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../agent/paths.js';
import type { TopicName } from '../../agent/pipeline/payloads.js';
import { alertMsg, availabilityMsg, errorMsg, INSTRUMENT, resultMsg, statusMsg } from './messages.js';

const TOPICS: TopicName[] = ['availability', 'info', 'status', 'result', 'alert', 'error', 'digest'];
type Node = Record<string, unknown> & { id: string; type: string; wires?: string[][]; func?: string; topic?: string };

const flow = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'examples', 'node-red', 'temguard-flow.json'), 'utf8')) as Node[];
const dashboard = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'examples', 'grafana', 'temguard-dashboard.json'), 'utf8')) as {
  panels: { title: string; targets?: { topic: string }[]; transformations?: { id: string; options: { source?: string; jsonPaths?: { path: string; alias: string }[]; include?: { names: string[] } } }[] }[];
  templating: { list: { name: string }[] };
};

const SHA = 'c'.repeat(64);
const sample = {
  result: resultMsg({ path: '/data/run 1/a.tif', rel: 'run 1/a.tif', sha256: SHA, width: 2048, height: 2048, f1: 0.42, interval: [0.3, 0.55], threshold: 0.6, items: [{ box: [1, 2, 30, 40], score: 0.8 }] }),
  alert: alertMsg('new'),
  status: statusMsg({ depth: 5, ep: 'tensorrt' }),
  availability: availabilityMsg('online'),
  error: errorMsg('run 1/b.tif', 'truncated'),
} as Record<string, Record<string, unknown>>;

/** Runs a function node's code as Node-RED would (msg, node, env in scope; return value = outputs). */
function runFunction(node: Node, msg: object, env: Record<string, string> = {}): unknown {
  const statuses: unknown[] = [];
  const fn = new Function('msg', 'node', 'env', node.func!) as (m: object, n: object, e: object) => unknown;
  return fn(structuredClone(msg), { status: (s: unknown) => statuses.push(s), warn: () => {}, error: () => {} }, { get: (k: string) => env[k] });
}

const byId = new Map(flow.map((n) => [n.id, n]));
const nodeByName = (name: string) => flow.find((n) => n.name === name)!;

test('Node-RED flow: unique ids, every wire and config reference resolves, topics are the agent\'s', (t) => {
  t.is(byId.size, flow.length, 'ids are unique');
  for (const n of flow) {
    for (const out of n.wires ?? []) for (const target of out) t.true(byId.has(target), `${n.id} wires to ${target}`);
    // (an mqtt-broker's own `broker` field is a host name, not a reference)
    for (const ref of ['broker', 'group', 'tab', 'z'] as const) if (n.type !== 'mqtt-broker' && typeof n[ref] === 'string' && n[ref]) t.true(byId.has(n[ref] as string), `${n.id}.${ref}`);
    if (n.type === 'function') t.is(n.wires!.length, n.outputs as number, `${n.id}: one wire list per output`);
  }
  const ins = flow.filter((n) => n.type === 'mqtt in');
  t.true(ins.length >= 4);
  for (const n of ins) {
    t.regex(n.topic!, /^temguard\/\+\/[a-z]+$/);
    t.true(TOPICS.includes(n.topic!.split('/')[2] as TopicName), n.topic);
    t.is(n.datatype, 'json');
  }
});

test('Node-RED result function: chart points with interval and threshold, summary, overlay URL', (t) => {
  const out = runFunction(nodeByName('F1 points, summary, overlay'), { payload: sample.result }, { TEMGUARD_LIVE_VIEW: 'http://tem-pc:8080/' }) as [{ topic: string; payload: number; timestamp: number }[], { payload: string }, { payload: string }];
  const points = Object.fromEntries(out[0].map((p) => [p.topic, p.payload]));
  t.deepEqual(points, { 'predicted F1': 0.42, 'alert threshold': 0.6, 'interval low': 0.3, 'interval high': 0.55 });
  t.is(out[0][0]!.timestamp, Date.parse(sample.result!.ts as string));
  t.regex(out[1].payload, /^0\.42 \(LOW\) \| 1 detections \| run 1\/a\.tif$/);
  t.is(out[2].payload, `http://tem-pc:8080/overlay/${SHA}.jpg`);
  t.is(runFunction(nodeByName('F1 points, summary, overlay'), { payload: sample.status }), null, 'ignores a non-result');
});

test('Node-RED alert and status functions', (t) => {
  const alert = runFunction(nodeByName('alert text'), { payload: sample.alert }) as { topic?: string; payload: string }[];
  t.regex(alert[0]!.topic!, new RegExp(`${INSTRUMENT}: ALERT`));
  t.regex(alert[0]!.payload, /Likely cause: few confident detections/);
  const end = runFunction(nodeByName('alert text'), { payload: alertMsg('end') }) as { payload: string }[];
  t.regex(end[0]!.payload, /^Recovered/);
  t.is(end[1]!.payload, 'none');
  const status = runFunction(nodeByName('status fields'), { payload: sample.status }) as { payload: string }[];
  t.deepEqual(status.map((m) => m.payload), ['5 / 256 (working)', 'tensorrt', '2 / 10000', 'connected']);
});

test('Grafana dashboard: panels read real topics and extract fields present in real messages', (t) => {
  t.true(dashboard.templating.list.some((v) => v.name === 'instrument'));
  const panels = dashboard.panels.filter((p) => p.targets?.length);
  t.true(panels.length >= 4);
  for (const p of panels) {
    for (const target of p.targets!) {
      const m = /^temguard\/\$\{instrument\}\/([a-z]+)$/.exec(target.topic);
      t.truthy(m, `${p.title}: topic ${target.topic}`);
      const msg = sample[m![1]!];
      t.truthy(msg, `${p.title}: a sample ${m![1]} message`);
      // The MQTT data source makes one field per top-level key; extractFields opens the nested ones.
      const fields = new Set(Object.keys(msg!).concat('Time'));
      for (const tr of p.transformations ?? []) {
        if (tr.id === 'extractFields') {
          const src = msg![tr.options.source!];
          t.true(typeof src === 'object' && src !== null, `${p.title}: ${tr.options.source} is an object in ${m![1]}`);
          for (const jp of tr.options.jsonPaths!) {
            const v = jp.path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], src);
            t.is(typeof v, 'number', `${p.title}: ${tr.options.source}.${jp.path} is a number`);
            fields.add(jp.alias);
          }
        }
        if (tr.id === 'filterFieldsByName') for (const name of tr.options.include!.names) t.true(fields.has(name), `${p.title}: field ${name} exists`);
      }
    }
  }
});
