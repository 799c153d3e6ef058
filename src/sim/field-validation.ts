/**
 * Server-side field validation (`fieldValidation=Strict|Warn|Ignore`, what `kubectl apply --validate=strict`
 * asks for): fields a request body sets that its kind's schema (openapi.ts) does not declare are refused with
 * the API server's `strict decoding error`, or reported as `Warning` headers. Kinds without a schema, and
 * parts of a schema that keep unknown fields (`x-kubernetes-preserve-unknown-fields`, free-form maps), are
 * not checked. Patch directives (`$patch`, `$setElementOrder/…`, `$retainKeys`, …) are not fields.
 */
import { StrataError } from '../core/errors.ts';
import { isJsonObject } from './kube-object.ts';
import type { CrdSource, Schema } from './openapi.ts';
import { schemaOf } from './openapi.ts';
import type { ResourceType } from './resources.ts';

/** What the request asked for; Ignore when absent. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Returns the directive of a `fieldValidation` query parameter. */
export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '' || v === 'Ignore') return 'Ignore';
  if (v === 'Strict' || v === 'Warn') return v;
  throw new StrataError(
    'BadRequest',
    `fieldValidation parameter unsupported: ${v}. Valid values are: [Ignore Warn Strict]`,
  );
}

const MAX_DEPTH = 64;

/**
 * Keys of the associative lists kubectl users meet most: server-side apply names their items by key
 * (`containers[name="web"]`), as structured-merge-diff does; other lists, and other requests, by index.
 */
const LIST_MAP_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  imagePullSecrets: ['name'],
  ports: ['containerPort', 'protocol'],
};

/** Returns the unknown field paths of a body (`spec.replicass`, `spec.template.spec.containers[0].imagee`). */
export function unknownFields(
  body: unknown,
  root: Schema,
  lookup: (name: string) => Schema | undefined,
  byKey = false,
): string[] {
  const found: string[] = [];
  const itemName = (path: string, item: unknown, index: number): string => {
    const keys = byKey ? LIST_MAP_KEYS[path.slice(path.lastIndexOf('.') + 1)] : undefined;
    if (!keys || !isJsonObject(item)) return `[${index}]`;
    const parts: string[] = [];
    for (const k of keys) {
      const v = item[k] ?? (k === 'protocol' ? 'TCP' : undefined);
      if (v === undefined) return `[${index}]`;
      parts.push(`${k}=${JSON.stringify(v)}`);
    }
    return `[${parts.join(',')}]`;
  };
  const resolve = (s: Schema): Schema => {
    let cur = s;
    for (let i = 0; i < 8; i += 1) {
      const ref = typeof cur['$ref'] === 'string' ? cur['$ref'] : undefined;
      const all =
        Array.isArray(cur['allOf']) && cur['allOf'].length === 1 && isJsonObject(cur['allOf'][0])
          ? cur['allOf'][0]
          : undefined;
      if (ref) {
        const next = lookup(ref.replace('#/components/schemas/', ''));
        if (!next) return {};
        cur = next;
      } else if (all && !cur['properties']) cur = all;
      else break;
    }
    return cur;
  };
  const walk = (value: unknown, schema: Schema, path: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    const s = resolve(schema);
    if (s['x-kubernetes-preserve-unknown-fields'] === true || s['x-kubernetes-int-or-string'] === true)
      return;
    if (Array.isArray(value)) {
      const items = s['items'];
      if (isJsonObject(items))
        for (const [i, v] of value.entries()) walk(v, items, `${path}${itemName(path, v, i)}`, depth + 1);
      return;
    }
    if (!isJsonObject(value)) return;
    const properties = isJsonObject(s['properties']) ? s['properties'] : undefined;
    const additional = s['additionalProperties'];
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith('$')) continue;
      const child = path === '' ? k : `${path}.${k}`;
      const prop = properties?.[k];
      if (isJsonObject(prop)) walk(v, prop, child, depth + 1);
      else if (isJsonObject(additional)) walk(v, additional, child, depth + 1);
      else if (additional === true) continue;
      else if (properties !== undefined || s['type'] === 'object') found.push(child);
    }
  };
  walk(body, root, '', 0);
  return found;
}

/** How the body of a write is meant: a whole object (create, update), a merge patch, or an apply configuration. */
export type BodyKind = 'object' | 'patch' | 'apply';

/** Checks a request body against its kind's schema; returns the warnings to send (Warn), throws for Strict. */
export function validateFields(
  type: ResourceType,
  body: unknown,
  bodyKind: BodyKind,
  directive: FieldValidation,
  source: CrdSource,
): string[] {
  if (directive === 'Ignore' || !isJsonObject(body)) return [];
  const schema = schemaOf(type, source);
  if (!schema) return [];
  const unknown = unknownFields(body, schema.root, schema.lookup, bodyKind === 'apply');
  if (unknown.length === 0) return [];
  if (directive === 'Warn') return unknown.map((f) => `unknown field "${f}"`);
  const list = unknown.map((f) => `unknown field "${f}"`).join(', ');
  // The API server's messages differ by how the body is decoded: a typed object, a patch, an apply configuration.
  if (bodyKind === 'apply') {
    const name = isJsonObject(body['metadata']) ? String(body['metadata']['name'] ?? '') : '';
    const gv = type.group === '' ? `/${type.version}` : `${type.group}/${type.version}`;
    const errors = unknown.map((f) => `.${f}: field not declared in schema`);
    throw new StrataError(
      'BadRequest',
      `failed to create typed patch object (${gv}, Kind=${type.kind}) ${name}: ${errors.length === 1 ? errors[0] : `errors:\n  ${errors.join('\n  ')}`}`,
    );
  }
  if (bodyKind === 'patch') throw new StrataError('BadRequest', `strict decoding error: ${list}`);
  throw new StrataError(
    'BadRequest',
    `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${list}`,
  );
}
