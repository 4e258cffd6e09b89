// Builds a JSON value that satisfies a JSON Schema, standing in for grammar-constrained decoding.
// Covers what structured-output requests use in practice: objects, arrays, scalars, enum/const,
// anyOf/oneOf/allOf, $ref into $defs/definitions, numeric and length bounds.

export type JsonSchema = boolean | { [key: string]: unknown };

type Obj = Record<string, unknown>;

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolveRef(ref: string, root: Obj): JsonSchema {
  if (!ref.startsWith('#/')) return {};
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    node = isObj(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return isObj(node) || typeof node === 'boolean' ? node : {};
}

function pick<T>(rnd: () => number, items: readonly T[]): T | undefined {
  return items[Math.floor(rnd() * items.length)];
}

function stringValue(s: Obj, rnd: () => number): string {
  if (s.format === 'date') return '2025-01-01';
  if (s.format === 'date-time') return '2025-01-01T00:00:00Z';
  if (s.format === 'email') return 'test@example.com';
  if (s.format === 'uri') return 'http://127.0.0.1/';
  if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
  const min = typeof s.minLength === 'number' ? s.minLength : 1;
  const max = typeof s.maxLength === 'number' ? s.maxLength : Math.max(min, 24);
  let out = pick(rnd, WORDS) ?? 'alpha';
  while (out.length < min) out += ` ${pick(rnd, WORDS) ?? 'alpha'}`;
  return out.slice(0, max);
}

function numberValue(s: Obj, rnd: () => number, integer: boolean): number {
  const lo =
    typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : 0;
  const hi =
    typeof s.maximum === 'number'
      ? s.maximum
      : typeof s.exclusiveMaximum === 'number'
        ? s.exclusiveMaximum - 1
        : lo + 100;
  const v = lo + rnd() * Math.max(0, hi - lo);
  return integer ? Math.max(Math.ceil(lo), Math.min(Math.floor(hi), Math.round(v))) : Math.round(v * 100) / 100;
}

function build(schema: JsonSchema, rnd: () => number, root: Obj, depth: number): unknown {
  if (schema === true || !isObj(schema)) return {};
  if (typeof schema.$ref === 'string') return build(resolveRef(schema.$ref, root), rnd, root, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return pick(rnd, schema.enum);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) {
      const first = options.find((o) => !(isObj(o) && o.type === 'null')) ?? options[0];
      return build(first as JsonSchema, rnd, root, depth + 1);
    }
  }
  if (Array.isArray(schema.allOf)) {
    const merged: Obj = {};
    for (const part of schema.allOf) if (isObj(part)) Object.assign(merged, part);
    return build(merged, rnd, root, depth + 1);
  }
  let type = schema.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? type[0];
  if (type === undefined) type = isObj(schema.properties) ? 'object' : isObj(schema.items) ? 'array' : 'string';
  switch (type) {
    case 'object': {
      const out: Obj = {};
      const props = isObj(schema.properties) ? schema.properties : {};
      if (depth > 8) return out;
      for (const [name, sub] of Object.entries(props)) out[name] = build(sub as JsonSchema, rnd, root, depth + 1);
      return out;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
      const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, 2);
      const n = depth > 8 ? min : Math.min(max, Math.max(min, 1 + Math.floor(rnd() * 2)));
      const items = (schema.items ?? {}) as JsonSchema;
      return Array.from({ length: n }, () => build(items, rnd, root, depth + 1));
    }
    case 'integer':
      return numberValue(schema, rnd, true);
    case 'number':
      return numberValue(schema, rnd, false);
    case 'boolean':
      return rnd() < 0.5;
    case 'null':
      return null;
    default:
      return stringValue(schema, rnd);
  }
}

/** A deterministic value valid against `schema` (every declared property is filled in). */
export function valueFromSchema(schema: JsonSchema, rnd: () => number): unknown {
  return build(schema, rnd, isObj(schema) ? schema : {}, 0);
}
