/**
 * Builds the effective Config: schema defaults < YAML file < TEMGUARD_* environment < CLI
 * flags. Unknown keys and bad values are errors naming the path (and the YAML line), all of
 * them at once so a user fixes a file in one go.
 */
import { readFileSync } from 'node:fs';
import cron from 'node-cron';
import { LineCounter, parseDocument, isMap, type Node } from 'yaml';
import { nmPerUnit } from '../formats/calibration.js';
import { SCHEMA, type Config } from './schema.js';
import { checkValue, isField, type ConfigIssue, type Field, type Section } from './schema-dsl.js';

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[], readonly source: string) {
    super(`${source}: ${issues.length} problem${issues.length > 1 ? 's' : ''}:\n` + issues.map((i) => `  ${i.line ? `line ${i.line}: ` : ''}${i.path}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** YAML file; absent means defaults only. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Dotted-path overrides from CLI flags, e.g. {"watch.dir": "/data"}. */
  overrides?: Record<string, unknown>;
}

export function defaults(section: Section = SCHEMA): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(section)) out[k] = isField(v) ? structuredClone(v.default) : defaults(v);
  return out;
}

/** Environment variable that overrides a dotted path: watch.stable_ms -> TEMGUARD_WATCH_STABLE_MS. */
export function envName(path: string): string {
  return 'TEMGUARD_' + path.replace(/\./g, '_').toUpperCase();
}

/** Problems found so far, and the YAML line of each leaf value that came from the file. */
interface Ctx {
  issues: ConfigIssue[];
  lines: Map<string, number | undefined>;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const ctx: Ctx = { issues: [], lines: new Map() };
  const issues = ctx.issues;
  const source = opts.file ?? 'defaults';
  const merged = defaults();
  if (opts.file) mergeYaml(opts.file, merged, ctx);
  mergeEnv(opts.env ?? {}, merged, ctx);
  for (const [path, value] of Object.entries(opts.overrides ?? {})) setPath(merged, path, value, ctx, 'command line');
  validate(SCHEMA, merged, '', ctx);
  checkCrossField(merged as Config, issues);
  checkPixelSizes(merged as Config, ctx);
  if (issues.length) throw new ConfigError(issues, source);
  return merged as Config;
}

function mergeYaml(file: string, target: Record<string, unknown>, ctx: Ctx): void {
  const issues = ctx.issues;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '(file)', message: `cannot read: ${(err as Error).message}` }], file);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  for (const e of doc.errors) issues.push({ path: '(yaml)', message: e.message.split('\n')[0]!, line: lc.linePos(e.pos[0]).line });
  if (issues.length) throw new ConfigError(issues, file);
  if (doc.contents === null) return; // empty file: defaults
  if (!isMap(doc.contents)) throw new ConfigError([{ path: '(root)', message: 'expected a mapping of sections' }], file);
  const lineOf = (node: Node | null | undefined) => (node?.range ? lc.linePos(node.range[0]).line : undefined);
  mergeNode(SCHEMA, doc.contents.toJSON() as Record<string, unknown>, target, '', ctx, (path) => lineOf(doc.getIn(path.split('.'), true) as Node));
}

/** Copies the file's values over the defaults, reporting unknown keys with their line. */
function mergeNode(schema: Section, src: Record<string, unknown>, target: Record<string, unknown>, prefix: string, ctx: Ctx, lineOf: (p: string) => number | undefined): void {
  const issues = ctx.issues;
  for (const [key, value] of Object.entries(src ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const spec = schema[key];
    if (!spec) { issues.push({ path, message: `unknown key (known: ${Object.keys(schema).join(', ')})`, line: lineOf(path) }); continue; }
    if (isField(spec)) { target[key] = value; ctx.lines.set(path, lineOf(path)); continue; }
    if (value === null) continue; // an empty section keeps its defaults
    if (typeof value !== 'object' || Array.isArray(value)) { issues.push({ path, message: 'expected a section (mapping)', line: lineOf(path) }); continue; }
    mergeNode(spec, value as Record<string, unknown>, target[key] as Record<string, unknown>, path, ctx, lineOf);
  }
}

function mergeEnv(env: NodeJS.ProcessEnv, target: Record<string, unknown>, ctx: Ctx): void {
  for (const path of leafPaths(SCHEMA)) {
    const raw = env[envName(path)];
    if (raw === undefined) continue;
    const field = fieldAt(path)!;
    // Parse env values as YAML scalars/flow so "5", "true" and "[cpu]" become typed values.
    let value: unknown = raw;
    if (field.kind !== 'string' && field.kind !== 'nullableString') {
      const doc = parseDocument(raw);
      value = doc.errors.length ? raw : doc.toJSON();
    }
    setPath(target, path, value, ctx, envName(path));
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown, ctx: Ctx, origin: string): void {
  if (!fieldAt(path)) { ctx.issues.push({ path, message: `unknown setting (from ${origin})` }); return; }
  const parts = path.split('.');
  let obj = target;
  for (const p of parts.slice(0, -1)) obj = obj[p] as Record<string, unknown>;
  obj[parts.at(-1)!] = value;
  ctx.lines.delete(path);
}

function validate(schema: Section, obj: Record<string, unknown>, prefix: string, ctx: Ctx): void {
  const issues = ctx.issues;
  for (const [key, spec] of Object.entries(schema)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (!isField(spec)) { validate(spec, obj[key] as Record<string, unknown>, path, ctx); continue; }
    const r = checkValue(spec, obj[key]);
    if (!r.ok) { issues.push({ path, message: r.message, line: ctx.lines.get(path) }); continue; }
    obj[key] = r.value;
    if (spec.kind === 'records') obj[key] = validateRecords(spec, obj[key] as unknown[], path, ctx);
  }
}

function validateRecords(spec: Field<unknown>, items: unknown[], path: string, ctx: Ctx): unknown[] {
  const issues = ctx.issues;
  return items.map((item, i) => {
    const at = `${path}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) { issues.push({ path: at, message: 'expected a mapping' }); return item; }
    const filled = { ...defaults(spec.item!), ...(item as Record<string, unknown>) };
    for (const k of Object.keys(item)) if (!spec.item![k]) issues.push({ path: `${at}.${k}`, message: `unknown key (known: ${Object.keys(spec.item!).join(', ')})` });
    validate(spec.item!, filled, at, ctx);
    return filled;
  });
}

function checkCrossField(c: Config, issues: ConfigIssue[]): void {
  if (!/^[A-Za-z0-9_-]+$/.test(c.instrument.id)) issues.push({ path: 'instrument.id', message: `"${c.instrument.id}" may hold letters, digits, - and _ only (it is an MQTT topic level)` });
  if (!/^(embedded|mqtt|mqtts|ws|wss):\/\//.test(c.mqtt.url)) issues.push({ path: 'mqtt.url', message: `"${c.mqtt.url}" must start with embedded://, mqtt://, mqtts://, ws:// or wss://` });
  if (/[#+]/.test(c.mqtt.prefix) || c.mqtt.prefix.length === 0) issues.push({ path: 'mqtt.prefix', message: 'must be non-empty and hold no MQTT wildcards (# or +)' });
  for (const [name, expr] of Object.entries(c.schedule)) {
    if (!cron.validate(expr)) issues.push({ path: `schedule.${name}`, message: `"${expr}" is not a valid cron expression (5 fields, or 6 with seconds first)` });
  }
  if (c.mqtt.url.startsWith('embedded://') && c.mqtt.username && !c.mqtt.password_file && !c.mqtt.password_env) issues.push({ path: 'mqtt.username', message: 'with embedded:// the broker then requires this login: set mqtt.password_file or mqtt.password_env too' });
  if (c.detector.providers.length === 0) issues.push({ path: 'detector.providers', message: 'name at least one execution provider (cpu always works)' });
}

/**
 * Pixel-size overrides are checked here, at start, with the setting named: a unit decode
 * does not know ("furlong") or a size of 0 would otherwise pass and fail every image.
 */
function checkPixelSizes(c: Config, ctx: Ctx): void {
  const line = ctx.lines.get('decode.pixel_size');
  c.decode.pixel_size.forEach((o, i) => {
    const at = `decode.pixel_size[${i}]`;
    if (typeof o.unit === 'string' && nmPerUnit(o.unit) === undefined) ctx.issues.push({ path: `${at}.unit`, message: `"${o.unit}" is not a length unit the decoder knows (nm, A/Å/angstrom, um/µm/micron, pm, mm, m)`, line });
    const flagged = ctx.issues.some((i) => i.path === `${at}.x`); // below the schema's min already
    if (typeof o.x === 'number' && !(o.x > 0) && !flagged) ctx.issues.push({ path: `${at}.x`, message: `must be greater than 0, got ${o.x}`, line });
  });
}

function leafPaths(section: Section, prefix = ''): string[] {
  return Object.entries(section).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return isField(v) ? (v.kind === 'records' ? [] : [p]) : leafPaths(v, p);
  });
}

export function fieldAt(path: string): Field<unknown> | undefined {
  let node: Field<unknown> | Section = SCHEMA;
  for (const p of path.split('.')) {
    if (isField(node)) return undefined;
    const next: Field<unknown> | Section | undefined = (node as Section)[p];
    if (!next) return undefined;
    node = next;
  }
  return isField(node) ? node : undefined;
}

/** The config with secrets and credentials masked, for `info` and logs. */
export function redact(c: Config): Config {
  const copy = structuredClone(c);
  if (copy.mqtt.url.includes('@')) copy.mqtt.url = copy.mqtt.url.replace(/\/\/[^@/]*@/, '//***@');
  return copy;
}
