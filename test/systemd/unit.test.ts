/**
 * The systemd unit (issue 14, item 11): the hardening is present, MemoryMax= leaves room above
 * the decoder's memory budget, the GPU stays reachable, and the exposure figure measured by
 * `systemd-analyze security --offline=true` is at most 3.0 and the one systemd/README.md states.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../agent/config/load.js';
import { PACKAGE_ROOT } from '../../agent/paths.js';

const UNIT = join(PACKAGE_ROOT, 'systemd', 'temguard.service');
const text = readFileSync(UNIT, 'utf8');
const values = (key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

test('hardening directives are set, the GPU stays reachable', (t) => {
  for (const [key, want] of Object.entries({
    SystemCallFilter: '@system-service', RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6 AF_NETLINK', RestrictNamespaces: 'yes',
    ProtectClock: 'yes', ProtectKernelLogs: 'yes', ProtectHostname: 'yes', ProtectProc: 'invisible', UMask: '0077', PrivateDevices: 'no',
  })) t.true(values(key).includes(want), `${key}=${want}`);
  t.true(values('DeviceAllow').includes('char-nvidia-frontend rw') && values('DeviceAllow').includes('char-nvidia-uvm rw'), 'ProtectClock makes devices an allow-list: the GPU is on it');
  t.true(values('ReadOnlyPaths').every((p) => p.startsWith('-')), 'a missing acquisition mount does not stop the unit');
  t.false(values('MemoryDenyWriteExecute').includes('yes'), 'the JIT needs W+X memory');
});

test('MemoryMax= leaves room above decode.memory_budget_mb for node, sharp and onnxruntime', (t) => {
  const [max] = values('MemoryMax');
  const m = /^(\d+)([KMG])$/.exec(max ?? '');
  t.truthy(m, `MemoryMax=${max}`);
  const mb = Number(m![1]) * { K: 1 / 1024, M: 1, G: 1024 }[m![2] as 'K' | 'M' | 'G'];
  const budget = (loadConfig().decode as { memory_budget_mb?: number }).memory_budget_mb;
  t.is(typeof budget, 'number', 'decode.memory_budget_mb is the budget the unit is sized for');
  t.true(mb >= budget! + 256, `MemoryMax ${mb} MB vs budget ${budget} MB`);
});

const analyze = spawnSync('systemd-analyze', ['--version']).error === undefined;
(analyze ? test : test.skip)('systemd-analyze security --offline: exposure <= 3.0, as systemd/README.md says (skipped without systemd-analyze)', (t) => {
  const r = spawnSync('systemd-analyze', ['security', '--offline=true', UNIT], { encoding: 'utf8' });
  const m = /Overall exposure level for temguard\.service: (\d+\.\d)/.exec(r.stdout + r.stderr);
  t.truthy(m, r.stdout + r.stderr);
  const exposure = Number(m![1]);
  t.true(exposure <= 3.0, `exposure ${exposure}`);
  const readme = readFileSync(join(PACKAGE_ROOT, 'systemd', 'README.md'), 'utf8');
  t.regex(readme, new RegExp(`\\*\\*${m![1]!.replace('.', '\\.')} OK\\*\\*`), 'update the figure in systemd/README.md');
  const verify = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
  t.false(/Unknown key|Failed to parse|Invalid/.test(verify.stderr), verify.stderr);
});
