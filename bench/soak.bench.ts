/**
 * Fuzz/soak run of the real agent (issue 14's "done means"): `node dist/agent/cli.js run` as a
 * child process on an aedes broker in this process (it outlives the agent, so one subscriber
 * sees every life of it), fed a mixed stream: good real images (../shared/data/tem, else
 * synthetic PNGs), files written in two parts with a pause longer than watch.stable_ms,
 * truncated files, garbage bytes with image extensions, garbage behind a real magic, real
 * images with flipped bytes, zero-byte files, a 16384² all-zero PNG (~260 KB; must be refused
 * from its header), and symlinks (to a hidden file inside, to a fed file, to a file outside, a
 * dangling one, a directory loop). Meanwhile the agent is SIGKILLed three times and stopped
 * with SIGTERM once, and restarted each time. Reports what each kind of file became, files
 * with more than one msg_id (must be 0), files with neither result nor error (must be 0),
 * messages naming a file that was never fed (must be 0), exits not caused here (must be 0) and
 * the agent's peak RSS. No reference run: these are counts, and the correct ones are known.
 * Asserts nothing; exits non-zero only if the run itself could not be carried out.
 *
 *   npm run bench -- soak        (TEMGUARD_SOAK_FILES=N for the 200, TEMGUARD_SOAK_SEED=S)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeflate } from 'node:zlib';
import mqtt from 'mqtt';
import sharp from 'sharp';
import { rng } from '../agent/learn/cart.js';
import { silentLogger } from '../agent/log.js';
import { startEmbeddedBroker } from '../agent/pipeline/broker.js';
import { PACKAGE_ROOT } from '../agent/paths.js';
import { FAST_ENV } from '../test/helpers/agent.js';

const N = Number(process.env.TEMGUARD_SOAK_FILES ?? 200);
const SEED = Number(process.env.TEMGUARD_SOAK_SEED ?? 14);
const CLI = join(PACKAGE_ROOT, 'dist', 'agent', 'cli.js');
const TEM = join(PACKAGE_ROOT, '..', 'shared', 'data', 'tem');
const INSTRUMENT = 'soak-1';
const FEED_GAP_MS = 120;
/** Files fed but without an outcome yet, at most: the stream keeps pace with the agent (as a camera session does), so the faults fall all through it. */
const BACKLOG = 24;
/** What the tests use (short stability wait and retries, 1 s heartbeat, CPU only), on MQTT 3.1.1 with a 10 s drain. */
const AGENT_ENV: Record<string, string> = { ...FAST_ENV, TEMGUARD_MQTT_PROTOCOL_VERSION: '4', TEMGUARD_QUEUE_DRAIN_TIMEOUT_S: '10' };

// ---------------------------------------------------------------------------------------------
// Small helpers

const rand = rng(SEED);
/** The faults' own draws, so the stream of files is the same for a seed however the timing falls. */
const faultRand = rng(SEED + 1);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T0 = Date.now();
/** Progress on stderr, so stdout stays the report's tables. */
const progress = (msg: string) => process.stderr.write(`[soak ${((Date.now() - T0) / 1000).toFixed(1)} s] ${msg}\n`);

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) { if (cond()) return true; await sleep(50); }
  return cond();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8); head.writeUInt32BE(data.length, 0); head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid 16384² 8-bit grey PNG of zeros: 268 M pixels in ~260 KB (issue 14, item 1). Deflated row block by row block, never whole. */
async function absurdPng(side = 16384): Promise<Buffer> {
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(side, 0); ihdr.writeUInt32BE(side, 4); ihdr[8] = 8; ihdr[9] = 0;
  const z = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  z.on('data', (d: Buffer) => parts.push(d));
  const done = new Promise((r) => z.once('end', r));
  const rows = 64, block = Buffer.alloc((side + 1) * rows); // filter byte 0 + samples, all zero
  for (let y = 0; y < side; y += rows) if (!z.write(block)) await new Promise((r) => z.once('drain', r));
  z.end();
  await done;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', ihdr), pngChunk('IDAT', Buffer.concat(parts)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Real cavity images (grey, up to 768 px), from which each good file is a distinct 512² crop; synthetic textures without ../shared. */
async function sources(): Promise<{ bufs: Buffer[]; real: boolean }> {
  if (existsSync(TEM)) {
    const files = readdirSync(TEM).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().map((f) => join(TEM, f));
    const bufs = await Promise.all(files.map((f) => sharp(f).greyscale().resize(768, 768, { fit: 'cover' }).png().toBuffer()));
    return { bufs, real: true };
  }
  const bufs: Buffer[] = [];
  for (let k = 0; k < 4; k++) {
    const w = 768, px = Buffer.alloc(w * w);
    for (let i = 0; i < px.length; i++) px[i] = 128 + 60 * Math.sin(i / (31 + k * 7)) * Math.cos(i / 1500) + ((i * 2654435761) % 23);
    bufs.push(await sharp(px, { raw: { width: w, height: w, channels: 1 } }).png().toBuffer());
  }
  return { bufs, real: false };
}

async function goodImage(srcs: Buffer[]): Promise<Buffer> {
  const left = Math.floor(rand() * 256), top = Math.floor(rand() * 256);
  return sharp(pick(srcs)).extract({ left, top, width: 512, height: 512 }).png().toBuffer();
}

function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

// ---------------------------------------------------------------------------------------------
// The agent, its lives and its memory

interface Life { child: ChildProcess; running: Promise<boolean>; caused: boolean; peakKiB: number; exit: Promise<{ code: number | null; signal: string | null }>; }

class Agent {
  lives: Life[] = [];
  unexpectedExits: string[] = [];
  logLevels = new Map<string, number>();
  errorLogs = new Map<string, number>();
  private poll: NodeJS.Timeout;
  private disposed = false;

  constructor(private args: string[]) {
    // VmHWM is the kernel's own peak RSS of the process, so a spike between two polls still counts.
    this.poll = setInterval(() => { for (const l of this.lives) this.sample(l); }, 200);
  }

  get current(): Life { return this.lives.at(-1)!; }

  start(): Life {
    const child = spawn(process.execPath, [CLI, 'run', ...this.args], { cwd: PACKAGE_ROOT, env: { ...process.env, ...AGENT_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '', markRunning: (ok: boolean) => void = () => {};
    const running = new Promise<boolean>((r) => { markRunning = r; });
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1);
        let rec: Record<string, unknown>;
        try { rec = JSON.parse(line); } catch { rec = { level: 'unparsed', msg: line.slice(0, 80) }; }
        const level = String(rec.level);
        this.logLevels.set(level, (this.logLevels.get(level) ?? 0) + 1);
        if (level === 'error' || level === 'unparsed') this.errorLogs.set(String(rec.msg), (this.errorLogs.get(String(rec.msg)) ?? 0) + 1);
        if (rec.msg === 'temguard running') markRunning(true);
      }
    });
    const stderr: string[] = [];
    child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
    const life: Life = { child, running, caused: false, peakKiB: 0, exit: null as never };
    life.exit = new Promise((resolve) => child.once('exit', (code, signal) => {
      markRunning(false);
      if (!life.caused) {
        // Counted, and brought back, so the run goes on.
        this.unexpectedExits.push(`pid ${child.pid}: code ${code} signal ${signal} ${stderr.join('').slice(-300)}`);
        if (!this.disposed) { progress('the agent exited by itself; restarting it'); this.start(); }
      }
      resolve({ code, signal });
    }));
    this.lives.push(life);
    return life;
  }

  private sample(l: Life): void {
    if (l.child.exitCode !== null || l.child.signalCode !== null) return;
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${l.child.pid}/status`, 'utf8'));
      if (m) l.peakKiB = Math.max(l.peakKiB, Number(m[1]));
    } catch { /* it just exited */ }
  }

  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<{ code: number | null; signal: string | null }> {
    const l = this.current;
    this.sample(l);
    l.caused = true;
    l.child.kill(signal);
    return l.exit;
  }

  /** Stops whatever is still running (used on the way out, also after a failure). */
  dispose(): void {
    this.disposed = true;
    clearInterval(this.poll);
    for (const l of this.lives) if (l.child.exitCode === null && l.child.signalCode === null) { l.caused = true; l.child.kill('SIGKILL'); }
  }
}

// ---------------------------------------------------------------------------------------------
// The stream

type Kind = 'good' | 'half-written' | 'truncated' | 'garbage' | 'garbage behind magic' | 'flipped bytes' | 'zero-byte' | '16384² zero PNG';
const KINDS: [Kind, number][] = [
  ['good', 0.44], ['half-written', 0.08], ['truncated', 0.1], ['garbage', 0.1], ['garbage behind magic', 0.07],
  ['flipped bytes', 0.1], ['zero-byte', 0.08], ['16384² zero PNG', 0.03],
];
const EXTS = ['.png', '.tif', '.tiff', '.jpg', '.dm4', '.dm3', '.mrc'];
const MAGIC: Record<string, Buffer> = {
  '.png': Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), '.tif': Buffer.from('II*\0'), '.mrc': Buffer.alloc(0),
  '.dm4': Buffer.from([0, 0, 0, 4]), '.jpg': Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
};

function kindOf(i: number): Kind {
  // The first files cover every kind once, so a small TEMGUARD_SOAK_FILES still tries them all.
  if (i < KINDS.length) return KINDS[i]![0];
  let r = rand();
  for (const [k, w] of KINDS) { if ((r -= w) < 0) return k; }
  return 'good';
}

interface Fed { rel: string; kind: string; }

async function main(): Promise<void> {
  const t0 = Date.now();
  const stale = !existsSync(CLI) || newestTs(join(PACKAGE_ROOT, 'agent')) > statSync(CLI).mtimeMs;
  if (stale) {
    progress('dist/ is older than agent/: npm run build');
    const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    if (!existsSync(CLI)) throw new Error(`npm run build made no ${CLI} (exit ${b.status})`);
  }
  const root = mkdtempSync(join(tmpdir(), 'tg-soak-'));
  const watch = join(root, 'watch'), state = join(root, 'state'), outside = join(root, 'outside');
  for (const d of [watch, state, outside, join(watch, 'sub'), join(watch, '.hidden')]) mkdirSync(d, { recursive: true });
  const port = await freePort();
  const broker = await startEmbeddedBroker('127.0.0.1', port, silentLogger);
  const agent = new Agent(['--watch', watch, '--mqtt', `mqtt://127.0.0.1:${port}`, '--state', state, '--instrument', INSTRUMENT]);
  const sub = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 200, clean: true });
  // Subscribed on every (re)connect; the first one may happen while the inputs are being made.
  const subscribed = new Promise<void>((resolve, reject) => {
    sub.on('connect', () => sub.subscribe(`temguard/${INSTRUMENT}/#`, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  });
  // Interrupted (Ctrl-C, timeout): no agent left behind, no temp dir.
  const onExit = () => { agent.dispose(); rmSync(root, { recursive: true, force: true }); };
  const onSignal = () => { onExit(); process.exit(130); };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    progress('broker up');
    const { bufs: srcs, real } = await sources();
    progress(`${srcs.length} source images`);
    const huge = await absurdPng();
    progress(`16384² PNG: ${huge.length} bytes`);

    // Every result/error per file, by msg_id (a QoS 1 re-send of the same id counts once).
    const outcomes = new Map<string, Map<string, { topic: string; code?: string; klass?: string }>>();
    const noImageErrors: string[] = [];
    sub.on('message', (topic, payload) => {
      const kind = topic.split('/').pop();
      if (kind !== 'result' && kind !== 'error') return;
      let m: { msg_id: string; image: { rel?: string } | null; code?: string; class?: string; stage?: string };
      try { m = JSON.parse(payload.toString()); } catch { noImageErrors.push(`unparseable ${kind}`); return; }
      if (!m.image?.rel) { noImageErrors.push(`${m.stage}/${m.code}`); return; }
      const ids = outcomes.get(m.image.rel) ?? new Map();
      ids.set(m.msg_id, { topic: kind, code: m.code, klass: m.class });
      outcomes.set(m.image.rel, ids);
    });
    await subscribed;

    const fed: Fed[] = [];
    const links: { name: string; what: string; expect: string | null }[] = [];
    const pending: Promise<void>[] = [];
    const write = async (i: number) => {
      const kind = kindOf(i);
      const dir = rand() < 0.2 ? 'sub/' : '';
      const ext = kind === 'good' || kind === 'half-written' || kind === 'truncated' || kind === 'flipped bytes' || kind === '16384² zero PNG' ? '.png' : pick(EXTS);
      const rel = `${dir}${String(i).padStart(4, '0')}-${kind.replace(/[^a-z0-9]+/gi, '-')}${ext}`;
      const path = join(watch, rel);
      fed.push({ rel, kind });
      switch (kind) {
        case 'good': writeFileSync(path, await goodImage(srcs)); break;
        case 'half-written': {
          // A camera writing slowly: the pause is longer than watch.stable_ms, so the agent sees a
          // stable, truncated file first and must retry it, not report it.
          const png = await goodImage(srcs), cut = Math.floor(png.length / 2);
          writeFileSync(path, png.subarray(0, cut));
          pending.push(sleep(350).then(() => writeFileSync(path, png.subarray(cut), { flag: 'a' })));
          break;
        }
        case 'truncated': { const png = await goodImage(srcs); writeFileSync(path, png.subarray(0, Math.floor(png.length * (0.1 + 0.8 * rand())))); break; }
        case 'garbage': writeFileSync(path, randomBytes(1 + Math.floor(rand() * 65536))); break;
        case 'garbage behind magic': writeFileSync(path, Buffer.concat([MAGIC[ext] ?? MAGIC['.png']!, randomBytes(64 + Math.floor(rand() * 32768))])); break;
        case 'flipped bytes': {
          const png = Buffer.from(await goodImage(srcs));
          for (let k = 0; k < 16; k++) png[33 + Math.floor(rand() * (png.length - 33))] = Math.floor(rand() * 256);
          writeFileSync(path, png);
          break;
        }
        case 'zero-byte': writeFileSync(path, Buffer.alloc(0)); break;
        case '16384² zero PNG': writeFileSync(path, huge); break;
      }
    };
    const addLinks = async (at: number) => {
      // Spread through the stream; some land while the agent is down (the catch-up's symlink rule).
      if (at === Math.floor(N * 0.15)) {
        const target = join(watch, '.hidden', 'target.png');
        writeFileSync(target, await goodImage(srcs));
        symlinkSync(target, join(watch, 'link-to-hidden.png'));
        links.push({ name: 'link-to-hidden.png', what: 'file symlink to a hidden file inside', expect: '.hidden/target.png' });
        fed.push({ rel: '.hidden/target.png', kind: 'symlinked (hidden target)' });
      }
      if (at === Math.floor(N * 0.3)) {
        const target = fed.find((f) => f.kind === 'good')!.rel;
        symlinkSync(join(watch, target), join(watch, 'link-to-fed.png'));
        links.push({ name: 'link-to-fed.png', what: `file symlink to a fed file (${target})`, expect: null });
      }
      if (at === Math.floor(N * 0.45)) {
        writeFileSync(join(outside, 'secret.png'), await goodImage(srcs));
        symlinkSync(join(outside, 'secret.png'), join(watch, 'link-outside.png'));
        links.push({ name: 'link-outside.png', what: 'file symlink outside the watch dir', expect: null });
      }
      if (at === Math.floor(N * 0.55)) {
        symlinkSync(join(root, 'nowhere.png'), join(watch, 'link-dangling.png'));
        links.push({ name: 'link-dangling.png', what: 'dangling symlink', expect: null });
      }
      if (at === Math.floor(N * 0.65)) {
        symlinkSync(watch, join(watch, 'sub', 'dirloop'));
        links.push({ name: 'sub/dirloop', what: 'directory symlink loop', expect: null });
      }
    };

    // Faults at fractions of the outcomes: each after the agent has published >= 3 outcomes since
    // its start, so the same image is not in flight at two consecutive kills (that one would be
    // quarantined as crash_loop, by design, which is not what this run is about).
    const faults: [number, 'SIGKILL' | 'SIGTERM'][] = [[0.2, 'SIGKILL'], [0.4, 'SIGKILL'], [0.6, 'SIGTERM'], [0.8, 'SIGKILL']];
    const restarts = { SIGKILL: 0, SIGTERM: 0, sigtermCodes: [] as (number | null)[], downMs: [] as number[] };
    const total = () => [...outcomes.values()].reduce((s, m) => s + m.size, 0);
    progress(`inputs ready; starting the agent (${watch})`);
    agent.start();
    if (!(await agent.current.running)) throw new Error('the agent did not start');
    progress('agent running; feeding');
    let sinceStart = total();
    let faultsDone = 0;
    const faultLoop = (async () => {
      for (const [at, signal] of faults) {
        await waitFor(() => outcomes.size >= Math.floor(N * at), 300_000);
        await waitFor(() => total() - sinceStart >= 3, 60_000);
        const down = Date.now();
        progress(`${signal} at ${fed.length} files fed, ${outcomes.size} with an outcome`);
        const exit = await agent.kill(signal);
        if (signal === 'SIGTERM') restarts.sigtermCodes.push(exit.code);
        await sleep(300 + faultRand() * 700); // files keep arriving while it is down
        agent.start();
        const ok = await agent.current.running;
        restarts.downMs.push(Date.now() - down);
        restarts[signal]++;
        faultsDone++;
        sinceStart = total();
        progress(ok ? `running again after ${((Date.now() - down) / 1000).toFixed(1)} s` : `the agent exited before running again after ${signal} (counted below)`);
      }
    })();

    const tFeed = Date.now();
    for (let i = 0; i < N; i++) {
      await waitFor(() => fed.length - outcomes.size <= BACKLOG, 60_000);
      await addLinks(i);
      await write(i);
      await sleep(FEED_GAP_MS);
    }
    await Promise.all(pending);
    await faultLoop;
    const feedS = (Date.now() - tFeed) / 1000;

    const expected = new Set(fed.map((f) => f.rel));
    progress(`all ${fed.length} fed; ${[...expected].filter((r) => outcomes.has(r)).length} have an outcome; waiting for the rest`);
    const settled = await waitFor(() => [...expected].every((r) => outcomes.has(r)), 60_000 + N * 500);
    const tSettled = Date.now();
    progress(settled ? 'every file has an outcome; stopping' : 'gave up waiting; stopping');
    const last = await agent.kill('SIGTERM'); // delivers the outbox; nothing can arrive after it
    await sleep(500);

    report({ fed, links, outcomes, expected, noImageErrors, restarts, faultsDone, agent, lastExit: last.code, real, settled, feedS, waitS: (tSettled - tFeed) / 1000 - feedS, wallS: (Date.now() - t0) / 1000 });
  } finally {
    agent.dispose();
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await sub.endAsync(true).catch(() => undefined);
    await broker.close().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

function newestTs(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestTs(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return t;
}

interface Summary {
  fed: Fed[]; links: { name: string; what: string; expect: string | null }[];
  outcomes: Map<string, Map<string, { topic: string; code?: string; klass?: string }>>; expected: Set<string>;
  noImageErrors: string[]; restarts: { SIGKILL: number; SIGTERM: number; sigtermCodes: (number | null)[]; downMs: number[] };
  faultsDone: number; agent: Agent; lastExit: number | null; real: boolean; settled: boolean; feedS: number; waitS: number; wallS: number;
}

function report(s: Summary): void {
  const tally = (xs: string[]) => { const m = new Map<string, number>(); for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1); return [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ') || '—'; };
  const kinds = [...new Set(s.fed.map((f) => f.kind))];
  console.log(`\n### ${s.fed.length} files fed (${s.real ? 'good ones: 512² crops of the real images in ../shared/data/tem' : 'good ones: synthetic textures (../shared/data/tem absent)'}), seed ${SEED}`);
  console.log('| kind | fed | results | errors (class/code) | > 1 msg_id | neither |\n|---|---|---|---|---|---|');
  let multi = 0, neither = 0, results = 0;
  const errorCodes: string[] = [];
  for (const k of kinds) {
    const files = s.fed.filter((f) => f.kind === k);
    let r = 0, many = 0, none = 0; const codes: string[] = [];
    for (const f of files) {
      const ids = s.outcomes.get(f.rel);
      if (!ids) { none++; continue; }
      if (ids.size > 1) many++;
      for (const o of ids.values()) { if (o.topic === 'result') r++; else codes.push(`${o.klass}/${o.code}`); }
    }
    multi += many; neither += none; results += r; errorCodes.push(...codes);
    console.log(`| ${k} | ${files.length} | ${r} | ${tally(codes)} | ${many} | ${none} |`);
  }
  const strays = [...s.outcomes.keys()].filter((r) => !s.expected.has(r));
  console.log('\n| symlink | expected | messages under its own name |\n|---|---|---|');
  for (const l of s.links) console.log(`| ${l.what} | ${l.expect ? `one outcome, under ${l.expect}` : 'none'} | ${[...s.outcomes.keys()].filter((r) => r === l.name || r.startsWith(`${l.name}/`)).length} |`);
  const peak = Math.max(...s.agent.lives.map((l) => l.peakKiB)) / 1024;
  console.log('\n| figure | value | should be |\n|---|---|---|');
  const rows: [string, string, string][] = [
    ['files fed (incl. the symlinked hidden target)', `${s.fed.length}`, ''],
    ['symlinks made', `${s.links.length}`, ''],
    ['results', `${results}`, ''],
    ['errors by class/code', tally(errorCodes), ''],
    ['errors without an image (startup/state)', tally(s.noImageErrors), '—'],
    ['files with more than one msg_id', `${multi}`, '0'],
    ['files with neither result nor error', `${neither}${s.settled ? '' : ' (gave up waiting)'}`, '0'],
    ['messages naming a file never fed', `${strays.length}${strays.length ? `: ${strays.slice(0, 5).join(', ')}` : ''}`, '0'],
    ['restarts', `${s.restarts.SIGKILL} after SIGKILL, ${s.restarts.SIGTERM} after SIGTERM (exit ${s.restarts.sigtermCodes.join(', ')}); down ${s.restarts.downMs.map((m) => (m / 1000).toFixed(1)).join(', ')} s until "temguard running"`, 'SIGTERM exit 0'],
    ['agent exits not caused here', `${s.agent.unexpectedExits.length}${s.agent.unexpectedExits.length ? `: ${s.agent.unexpectedExits.join(' | ').slice(0, 400)}` : ''}`, '0'],
    ['final SIGTERM exit code', `${s.lastExit}`, '0'],
    ['agent error-level log lines', tally([...s.agent.errorLogs].flatMap(([m, n]) => Array(n).fill(m))), ''],
    ['peak RSS of the agent (VmHWM, max over its lives)', `${peak.toFixed(0)} MiB (per life: ${s.agent.lives.map((l) => (l.peakKiB / 1024).toFixed(0)).join(', ')})`, ''],
    ['time', `feed ${s.feedS.toFixed(0)} s, then ${s.waitS.toFixed(0)} s until every file had an outcome; ${s.wallS.toFixed(0)} s in all`, ''],
  ];
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
}

main().catch((err) => { console.error(err); process.exitCode = 1; });
