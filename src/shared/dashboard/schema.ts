/**
 * schema.ts: a tiny structural checker for the messages that cross the webview boundary.
 *
 * Both directions are untrusted in the sense that a bug (or a compromised page) on one side must not
 * be able to drive the other with a malformed object: every message is checked against the schema of
 * its type before anything reads it, and anything unknown is rejected with a reason. Kept small on
 * purpose: the messages are plain data, so a handful of shapes covers them all.
 */
export type Schema =
  | { kind: 'string'; maxLength?: number; nullable?: boolean }
  | { kind: 'number'; integer?: boolean; min?: number; max?: number; nullable?: boolean }
  | { kind: 'boolean' }
  | { kind: 'literal'; values: readonly (string | number)[] }
  | { kind: 'array'; of: Schema; maxItems?: number }
  | { kind: 'record'; of: Schema; maxKeys?: number }
  | { kind: 'object'; fields: Record<string, Schema>; optional?: readonly string[] }
  | { kind: 'typedarray'; type: TypedArrayName; maxLength?: number };

/** The binary arrays messages carry (VS Code passes them to and from the webview without JSON). */
export type TypedArrayName = 'Float32Array' | 'Uint8Array';
const TYPED_ARRAYS = { Float32Array, Uint8Array } as const;

export const s = {
  string: (maxLength = 1 << 20): Schema => ({ kind: 'string', maxLength }),
  nullableString: (maxLength = 1 << 20): Schema => ({ kind: 'string', maxLength, nullable: true }),
  number: (opts: { integer?: boolean; min?: number; max?: number } = {}): Schema => ({ kind: 'number', ...opts }),
  /** A number that may arrive as null: JSON turns NaN/Infinity (a diverged loss) into null. */
  nullableNumber: (): Schema => ({ kind: 'number', nullable: true }),
  int: (min = 0, max = Number.MAX_SAFE_INTEGER): Schema => ({ kind: 'number', integer: true, min, max }),
  boolean: (): Schema => ({ kind: 'boolean' }),
  literal: (...values: (string | number)[]): Schema => ({ kind: 'literal', values }),
  array: (of: Schema, maxItems = 1_000_000): Schema => ({ kind: 'array', of, maxItems }),
  record: (of: Schema, maxKeys = 256): Schema => ({ kind: 'record', of, maxKeys }),
  object: (fields: Record<string, Schema>, optional: readonly string[] = []): Schema => ({ kind: 'object', fields, optional }),
  float32array: (maxLength = 64 << 20): Schema => ({ kind: 'typedarray', type: 'Float32Array', maxLength }),
  uint8array: (maxLength = 64 << 20): Schema => ({ kind: 'typedarray', type: 'Uint8Array', maxLength }),
};

/** Returns null when `value` matches `schema`, else a message naming the first offending path. */
export function check(value: unknown, schema: Schema, path = '$'): string | null {
  switch (schema.kind) {
    case 'string':
      if (value === null && schema.nullable) return null;
      if (typeof value !== 'string') return `${path}: expected string, got ${describe(value)}`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${path}: string longer than ${schema.maxLength}`;
      return null;
    case 'number':
      if (value === null && schema.nullable) return null;
      if (typeof value !== 'number') return `${path}: expected number, got ${describe(value)}`;
      if (!schema.nullable && !Number.isFinite(value)) return `${path}: expected a finite number`;
      if (schema.integer && !Number.isInteger(value)) return `${path}: expected an integer, got ${value}`;
      if (schema.min !== undefined && value < schema.min) return `${path}: ${value} < ${schema.min}`;
      if (schema.max !== undefined && value > schema.max) return `${path}: ${value} > ${schema.max}`;
      return null;
    case 'boolean':
      return typeof value === 'boolean' ? null : `${path}: expected boolean, got ${describe(value)}`;
    case 'literal':
      return schema.values.includes(value as string | number) ? null : `${path}: expected one of ${schema.values.join(', ')}, got ${describe(value)}`;
    case 'array': {
      if (!Array.isArray(value)) return `${path}: expected array, got ${describe(value)}`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${path}: more than ${schema.maxItems} items`;
      for (let i = 0; i < value.length; i++) {
        const err = check(value[i], schema.of, `${path}[${i}]`);
        if (err) return err;
      }
      return null;
    }
    case 'record': {
      if (!isPlainObject(value)) return `${path}: expected object, got ${describe(value)}`;
      const keys = Object.keys(value);
      if (schema.maxKeys !== undefined && keys.length > schema.maxKeys) return `${path}: more than ${schema.maxKeys} keys`;
      for (const k of keys) {
        const err = check(value[k], schema.of, `${path}.${k}`);
        if (err) return err;
      }
      return null;
    }
    case 'object': {
      if (!isPlainObject(value)) return `${path}: expected object, got ${describe(value)}`;
      const optional = schema.optional ?? [];
      for (const k of Object.keys(value)) {
        if (!(k in schema.fields)) return `${path}: unexpected field "${k}"`;
      }
      for (const [k, fieldSchema] of Object.entries(schema.fields)) {
        const v = value[k];
        if (v === undefined) {
          if (optional.includes(k)) continue;
          return `${path}.${k}: missing`;
        }
        const err = check(v, fieldSchema, `${path}.${k}`);
        if (err) return err;
      }
      return null;
    }
    case 'typedarray':
      // Exact class: a Uint8Array must not pass for a Float32Array's bytes, nor a Buffer for a Uint8Array.
      if (!(value instanceof TYPED_ARRAYS[schema.type]) || value.constructor !== TYPED_ARRAYS[schema.type]) {
        return `${path}: expected ${schema.type}, got ${describe(value)}`;
      }
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${path}: longer than ${schema.maxLength}`;
      return null;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value;
}
