/**
 * Renders the schema as documentation: the commented default YAML (config/temguard.yaml is
 * this output, checked by a test so it cannot drift) and the README's reference table.
 */
import { stringify } from 'yaml';
import { SCHEMA } from './schema.js';
import { isField, type Section } from './schema-dsl.js';
import { envName } from './load.js';

export function defaultYaml(): string {
  const out = ['# temguard configuration: every key with its default. Generated from agent/config/schema.ts', '# (`temguard validate-config --print-defaults`); each key can also be set by the environment', '# variable TEMGUARD_<SECTION>_<KEY>, e.g. TEMGUARD_MQTT_URL.', ''];
  for (const [name, section] of Object.entries(SCHEMA)) {
    out.push(`${name}:`);
    for (const [key, field] of Object.entries(section as Section)) {
      if (!isField(field)) continue;
      out.push(`  # ${field.doc}`);
      const value = stringify({ [key]: field.default }, { flowCollectionPadding: false, lineWidth: 0 }).trimEnd();
      out.push(...value.split('\n').map((l) => `  ${l}`));
    }
    out.push('');
  }
  return out.join('\n');
}

export function markdownTable(): string {
  const rows = ['| key | default | env | meaning |', '|---|---|---|---|'];
  for (const [name, section] of Object.entries(SCHEMA)) {
    for (const [key, field] of Object.entries(section as Section)) {
      if (!isField(field)) continue;
      const path = `${name}.${key}`;
      const env = field.kind === 'records' ? '' : '`' + envName(path) + '`';
      rows.push(`| \`${path}\` | \`${JSON.stringify(field.default)}\` | ${env} | ${field.doc.replace(/\|/g, '\\|')} |`);
    }
  }
  return rows.join('\n');
}
