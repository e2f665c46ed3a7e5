/**
 * Permanent errors from fixable config causes (issue 14, item 9): a pixel-size override in a
 * unit decode does not know, or of size 0, is refused at start with the setting named (it
 * used to pass and fail every image); `validate-config` checks every file the config names.
 */
import test from 'ava';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../agent/commands/validate-config.js';
import { ConfigError, loadConfig } from '../../agent/config/load.js';

const tmp = mkdtempSync(join(tmpdir(), 'tg-cfgfiles-'));
const write = (name: string, text: string) => { const p = join(tmp, name); writeFileSync(p, text); return p; };

async function validate(file: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = process.env;
  process.env = { ...saved, ...env };
  try {
    const code = await validateConfig([file], { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) } as never);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    process.env = saved;
  }
}

test('pixel-size overrides: an unknown unit and a size of 0 are refused at start, naming the setting', (t) => {
  const file = write('units.yaml', 'decode:\n  pixel_size:\n    - pattern: "*.png"\n      x: 0.5\n      unit: furlong\n    - pattern: "*.tif"\n      x: 0\n');
  const e = t.throws(() => loadConfig({ file }), { instanceOf: ConfigError });
  t.regex(e!.message, /line 3: decode\.pixel_size\[0\]\.unit: "furlong" is not a length unit/);
  t.regex(e!.message, /decode\.pixel_size\[1\]\.x: must be greater than 0, got 0/);
  t.is(e!.issues.length, 2);
});

test('pixel-size overrides: every length unit decode supports is accepted', (t) => {
  for (const unit of ['nm', 'A', 'Å', 'angstrom', 'um', 'µm', 'micron', 'pm', 'mm', 'm']) {
    const file = write(`ok-${Buffer.from(unit).toString('hex')}.yaml`, `decode:\n  pixel_size:\n    - pattern: "*"\n      x: 1.5\n      unit: "${unit}"\n`);
    t.notThrows(() => loadConfig({ file }), unit);
  }
});

test('validate-config: a missing password file, CA file or model fails with the setting named', async (t) => {
  const file = write('missing.yaml', `mqtt:\n  url: mqtts://broker:8883\n  username: scope\n  password_file: ${join(tmp, 'nope-password')}\n  ca_file: ${join(tmp, 'nope-ca.pem')}\ndetector:\n  model: ${join(tmp, 'nope.onnx')}\n`);
  const r = await validate(file);
  t.is(r.code, 1);
  t.regex(r.err, /mqtt\.password_file: .*nope-password: does not exist/);
  t.regex(r.err, /mqtt\.ca_file: .*nope-ca\.pem: does not exist/);
  t.regex(r.err, /detector\.model: .*nope\.onnx: does not exist/);
  t.regex(r.err, /3 problems/);
});

test('validate-config: files present and readable pass; $CREDENTIALS_DIRECTORY outside systemd is a note, not a failure', async (t) => {
  const pw = write('password', 'secret\n');
  const ok = write('ok.yaml', `mqtt:\n  url: mqtt://broker:1883\n  username: scope\n  password_file: ${pw}\n`);
  const r = await validate(ok);
  t.is(r.code, 0, r.err);
  t.false(r.out.includes('secret'));
  const sd = write('sd.yaml', 'mqtt:\n  url: mqtt://broker:1883\n  username: scope\n  password_file: $CREDENTIALS_DIRECTORY/mqtt-password\n');
  const env = { ...process.env };
  delete env.CREDENTIALS_DIRECTORY;
  const saved = process.env;
  process.env = env;
  try {
    const out: string[] = [];
    const code = await validateConfig([sd], { stdout: () => {}, stderr: (s: string) => out.push(s) } as never);
    t.is(code, 0);
    t.regex(out.join('\n'), /note: mqtt\.password_file: .*LoadCredential/);
  } finally {
    process.env = saved;
  }
  const withDir = await validate(sd, { CREDENTIALS_DIRECTORY: tmp });
  t.is(withDir.code, 1, 'under systemd the credential must be there');
  t.regex(withDir.err, /mqtt\.password_file: .*mqtt-password: does not exist/);
});

const root = process.getuid?.() === 0;
(root ? test.skip : test)('validate-config: a password file this user cannot read fails (skipped as root, who reads anything)', async (t) => {
  const pw = write('locked-password', 'secret\n');
  chmodSync(pw, 0o000);
  const file = write('locked.yaml', `mqtt:\n  url: mqtt://broker:1883\n  username: scope\n  password_file: ${pw}\n`);
  const r = await validate(file);
  t.is(r.code, 1);
  t.regex(r.err, /mqtt\.password_file: .*not readable by this user/);
});
