/**
 * A tiny schema language: one declaration gives the TypeScript type (by inference), the
 * defaults, the validation (with the path of every bad value), the environment override
 * name and the documentation. We do not use JSON Schema + codegen because one file that
 * is both type and docs is easier to keep true.
 */

export interface Field<T> {
  readonly kind: 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'list' | 'records' | 'nullableString';
  readonly default: T;
  readonly doc: string;
  /** Lower/upper bounds for numbers. */
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  /** For 'records': the schema of each element. */
  readonly item?: Section;
  /** Secrets are shown as "***" in `info` and logs. */
  readonly secret?: boolean;
  /** Marker so Infer can tell a Field from a Section. */
  readonly __field: true;
}

export type Section = { readonly [key: string]: Field<unknown> | Section };

export type Infer<S> = S extends Field<infer T> ? T : { -readonly [K in keyof S]: Infer<S[K]> };

type Opts = { min?: number; max?: number; secret?: boolean };

export const f = {
  string: (def: string, doc: string, o: Opts = {}): Field<string> => ({ kind: 'string', default: def, doc, ...o, __field: true }),
  optString: (doc: string, o: Opts = {}): Field<string | null> => ({ kind: 'nullableString', default: null, doc, ...o, __field: true }),
  number: (def: number, doc: string, o: Opts = {}): Field<number> => ({ kind: 'number', default: def, doc, ...o, __field: true }),
  integer: (def: number, doc: string, o: Opts = {}): Field<number> => ({ kind: 'integer', default: def, doc, ...o, __field: true }),
  boolean: (def: boolean, doc: string): Field<boolean> => ({ kind: 'boolean', default: def, doc, __field: true }),
  enum: <const V extends string>(values: readonly V[], def: V, doc: string): Field<V> => ({ kind: 'enum', default: def, doc, values, __field: true }),
  list: <const V extends string>(def: V[], doc: string, values?: readonly V[]): Field<V[]> => ({ kind: 'list', default: def, doc, values, __field: true }),
  records: <S extends Section>(item: S, doc: string): Field<Infer<S>[]> => ({ kind: 'records', default: [], doc, item, __field: true }),
};

export function isField(x: Field<unknown> | Section): x is Field<unknown> {
  return (x as Field<unknown>).__field === true;
}

/** One problem in a config, with where it is. */
export interface ConfigIssue {
  path: string;
  message: string;
  line?: number;
}

/** Validates one value against its field; returns the coerced value or an error message. */
export function checkValue(field: Field<unknown>, value: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  const bad = (message: string) => ({ ok: false as const, message });
  switch (field.kind) {
    case 'string':
      return typeof value === 'string' ? { ok: true, value } : bad(`expected a string, got ${describe(value)}`);
    case 'nullableString':
      return value === null || typeof value === 'string' ? { ok: true, value } : bad(`expected a string or null, got ${describe(value)}`);
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : bad(`expected true or false, got ${describe(value)}`);
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad(`expected a number, got ${describe(value)}`);
      if (field.kind === 'integer' && !Number.isInteger(value)) return bad(`expected an integer, got ${value}`);
      if (field.min !== undefined && value < field.min) return bad(`must be >= ${field.min}, got ${value}`);
      if (field.max !== undefined && value > field.max) return bad(`must be <= ${field.max}, got ${value}`);
      return { ok: true, value };
    }
    case 'enum':
      // YAML and env give `5` as a number; an enum of numeric names accepts it as its string.
      if (typeof value === 'number' && field.values!.includes(String(value))) return { ok: true, value: String(value) };
      return typeof value === 'string' && field.values!.includes(value)
        ? { ok: true, value }
        : bad(`expected one of ${field.values!.join(', ')}, got ${describe(value)}`);
    case 'list': {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return bad(`expected a list of strings, got ${describe(value)}`);
      const wrong = field.values ? value.find((v) => !field.values!.includes(v as string)) : undefined;
      if (wrong !== undefined) return bad(`"${wrong}" is not one of ${field.values!.join(', ')}`);
      return { ok: true, value };
    }
    case 'records':
      return Array.isArray(value) ? { ok: true, value } : bad(`expected a list, got ${describe(value)}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
