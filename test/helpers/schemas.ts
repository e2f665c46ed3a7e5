/** Validates payloads against the published JSON Schemas in agent/schemas/. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { PACKAGE_ROOT } from '../../agent/paths.js';

const dir = join(PACKAGE_ROOT, 'agent', 'schemas');
const ajv = new Ajv2020({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
for (const f of readdirSync(dir)) ajv.addSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')), f.replace('.schema.json', ''));

/** Returns null when valid, else the errors as text. */
export function schemaErrors(topic: string, payload: unknown): string | null {
  const validate = ajv.getSchema(topic);
  if (!validate) return `no schema for topic "${topic}"`;
  return validate(payload) ? null : ajv.errorsText(validate.errors);
}
