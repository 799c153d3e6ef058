/**
 * The OpenAPI documents kubectl reads: `/openapi/v3` (an index of group-versions) and
 * `/openapi/v3/<api|apis/group>/<version>` (one document per group-version: its kinds' schemas and a PATCH
 * operation per kind that names the `fieldValidation` parameter, so kubectl asks the server to validate
 * fields), and `/openapi/v2` as JSON when asked for JSON.
 *
 * The built-in schemas come from the Kubernetes models that `@kubernetes/client-node` is generated from
 * (openapi-generator over the Kubernetes 1.34 OpenAPI): each model's `attributeTypeMap` gives the JSON field
 * names, types and formats, its declaration file the descriptions and required fields. They are read once
 * per process, for the kinds the simulator serves and what they reference, and shared by every cluster.
 * Custom kinds take their schemas from their CRDs (`openAPIV3Schema`), per request.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { JsonObject, KubeObject } from './kube-object.ts';
import { isJsonObject } from './kube-object.ts';
import type { ResourceType } from './resources.ts';
import { apiVersionOf, BUILTIN_RESOURCES, typesFromCrd } from './resources.ts';

/** A JSON Schema as OpenAPI v3 documents carry it. */
export type Schema = JsonObject;

const REF_PREFIX = '#/components/schemas/';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const META_MODELS = new Set([
  'V1ObjectMeta',
  'V1ListMeta',
  'V1LabelSelector',
  'V1LabelSelectorRequirement',
  'V1ManagedFieldsEntry',
  'V1OwnerReference',
  'V1Condition',
  'V1Status',
  'V1StatusDetails',
  'V1StatusCause',
  'V1DeleteOptions',
  'V1Preconditions',
  'V1APIResource',
  'V1APIResourceList',
  'V1APIGroup',
  'V1GroupVersionForDiscovery',
  'V1ServerAddressByClientCIDR',
]);

/** The OpenAPI package of each API group's definitions, as Kubernetes names them. */
function packageOf(group: string): string {
  switch (group) {
    case '':
      return 'io.k8s.api.core';
    case 'apiextensions.k8s.io':
      return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions';
    case 'apiregistration.k8s.io':
      return 'io.k8s.kube-aggregator.pkg.apis.apiregistration';
    default:
      return `io.k8s.api.${group.replace(/\.k8s\.io$/, '').replace(/\.authorization$/, '')}`;
  }
}

/** Returns the client-node model class of a built-in kind (`V1Deployment`, `CoreV1Event`, …). */
function modelOfKind(type: Pick<ResourceType, 'group' | 'version' | 'kind'>): string {
  const v = type.version.charAt(0).toUpperCase() + type.version.slice(1);
  if (type.kind === 'Event') return type.group === '' ? 'CoreV1Event' : 'EventsV1Event';
  return `${v}${type.kind}`;
}

interface ModelField {
  name: string;
  type: string;
  format: string;
  description?: string;
  required: boolean;
}

interface Model {
  description?: string;
  fields: ModelField[];
}

let modelsDir: string | undefined;

function modelsDirectory(): string {
  modelsDir ??= join(
    dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node')),
    'gen',
    'models',
  );
  return modelsDir;
}

/** Reads one model: the attribute map of its module and the documentation of its declaration. */
function readModel(name: string): Model | undefined {
  let js: string;
  let dts: string;
  try {
    js = readFileSync(join(modelsDirectory(), `${name}.js`), 'utf8');
    dts = readFileSync(join(modelsDirectory(), `${name}.d.ts`), 'utf8');
  } catch {
    return undefined;
  }
  const start = js.indexOf(`${name}.attributeTypeMap = [`);
  if (start < 0) return undefined;
  const open = js.indexOf('[', start);
  const close = js.indexOf('];', open);
  const attributes = JSON.parse(js.slice(open, close + 1)) as {
    baseName: string;
    type: string;
    format: string;
  }[];
  const docs = new Map<string, { description?: string; required: boolean }>();
  let description: string | undefined;
  let classDescription: string | undefined;
  let comment: string[] | undefined;
  for (const line of dts.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('/**')) comment = [];
    else if (comment && trimmed.startsWith('*/')) {
      description = comment.join('\n').trim() || undefined;
      comment = undefined;
    } else if (comment) comment.push(trimmed.replace(/^\* ?/, ''));
    else if (trimmed.startsWith('export declare class ')) {
      classDescription = description;
      description = undefined;
    } else {
      const prop = /^'([^']+)'(\?)?:/.exec(trimmed);
      if (prop) {
        docs.set(prop[1]!, { ...(description ? { description } : {}), required: prop[2] !== '?' });
        description = undefined;
      } else if (trimmed !== '' && !trimmed.startsWith('[') && !trimmed.startsWith('}'))
        description = undefined;
    }
  }
  return {
    ...(classDescription ? { description: classDescription } : {}),
    fields: attributes.map((a) => {
      const doc = docs.get(a.baseName) ?? docs.get(a.baseName.replace(/^_/, ''));
      return {
        name: a.baseName,
        type: a.type,
        format: a.format,
        ...(doc?.description ? { description: doc.description } : {}),
        required: doc?.required ?? false,
      };
    }),
  };
}

/** The built-in definitions: name → schema, plus each model's definition name. */
interface BuiltinSchemas {
  definitions: Map<string, Schema>;
  /** Definition name of each built-in kind, keyed `group/version/kind`. */
  kinds: Map<string, string>;
}

let builtins: BuiltinSchemas | undefined;

function shortName(model: string): string {
  return model.replace(/^(Core|Events|Storage|Authentication|Authorization)?V\d+((alpha|beta)\d+)?/, '');
}

/** Builds (once per process) the schemas of the built-in kinds and every model they reference. */
export function builtinSchemas(): BuiltinSchemas {
  if (builtins) return builtins;
  const definitions = new Map<string, Schema>();
  const kinds = new Map<string, string>();
  const names = new Map<string, string>();
  const queue: { model: string; pkg: string }[] = [];
  const nameOf = (model: string, pkg: string): string => {
    let n = names.get(model);
    if (!n) {
      n = META_MODELS.has(model) ? `${META}.${shortName(model)}` : `${pkg}.${shortName(model)}`;
      names.set(model, n);
      queue.push({ model, pkg });
    }
    return n;
  };
  const intOrString = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
  definitions.set(intOrString, {
    description:
      'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
    type: 'string',
    format: 'int-or-string',
    'x-kubernetes-int-or-string': true,
  });
  const typeSchema = (type: string, format: string, pkg: string): Schema => {
    const array = /^Array<(.+)>$/.exec(type);
    if (array) return { type: 'array', items: typeSchema(array[1]!, format, pkg) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: typeSchema(map[1]!, format, pkg) };
    switch (type) {
      case 'string':
        return format && format !== 'byte'
          ? { type: 'string', format }
          : format === 'byte'
            ? { type: 'string', format: 'byte' }
            : { type: 'string' };
      case 'number':
        return format === 'int32' || format === 'int64'
          ? { type: 'integer', format }
          : { type: 'number', ...(format ? { format } : {}) };
      case 'boolean':
        return { type: 'boolean' };
      case 'Date':
        return { type: 'string', format: 'date-time' };
      case 'IntOrString':
        return { $ref: `${REF_PREFIX}${intOrString}` };
      case 'any':
      case 'object':
        return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    }
    return { $ref: `${REF_PREFIX}${nameOf(type, pkg)}` };
  };
  for (const t of BUILTIN_RESOURCES) {
    const model = modelOfKind(t);
    if (!readModel(model)) continue;
    const pkg = `${packageOf(t.group)}.${t.version}`;
    const name = nameOf(model, pkg);
    kinds.set(`${t.group}/${t.version}/${t.kind}`, name);
  }
  while (queue.length > 0) {
    const { model, pkg } = queue.shift()!;
    const m = readModel(model);
    const name = names.get(model)!;
    if (!m) {
      definitions.set(name, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
      continue;
    }
    const properties: Record<string, Schema> = {};
    for (const f of m.fields) {
      const schema = typeSchema(f.type, f.format, pkg);
      properties[f.name] =
        f.description === undefined
          ? schema
          : schema['$ref']
            ? { allOf: [schema], description: f.description }
            : { ...schema, description: f.description };
    }
    const required = m.fields.filter((f) => f.required).map((f) => f.name);
    definitions.set(name, {
      ...(m.description ? { description: m.description } : {}),
      type: 'object',
      properties,
      ...(required.length > 0 ? { required } : {}),
    });
  }
  for (const t of BUILTIN_RESOURCES) {
    const name = kinds.get(`${t.group}/${t.version}/${t.kind}`);
    const def = name ? definitions.get(name) : undefined;
    if (def) def['x-kubernetes-group-version-kind'] = [{ group: t.group, kind: t.kind, version: t.version }];
  }
  builtins = { definitions, kinds };
  return builtins;
}

/** Returns the names of the definitions a schema reaches through `$ref`, itself included. */
function closure(roots: string[], lookup: (name: string) => Schema | undefined): Set<string> {
  const seen = new Set<string>();
  const visit = (value: unknown) => {
    if (Array.isArray(value)) for (const v of value) visit(v);
    else if (isJsonObject(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith(REF_PREFIX))
          add(v.slice(REF_PREFIX.length));
        else visit(v);
      }
    }
  };
  const add = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    visit(lookup(name));
  };
  for (const r of roots) add(r);
  return seen;
}

/** Returns the definition name of a custom kind (`com.example.v1.Widget`, group reversed as Kubernetes does). */
function crdDefinitionName(type: Pick<ResourceType, 'group' | 'version' | 'kind'>): string {
  return `${type.group.split('.').reverse().join('.')}.${type.version}.${type.kind}`;
}

/** Returns a CRD version's schema with the ObjectMeta reference and GVK extension added. */
function crdSchema(crd: KubeObject, version: string, type: ResourceType): Schema | undefined {
  const spec = isJsonObject(crd['spec']) ? crd['spec'] : {};
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isJsonObject) : [];
  const v = versions.find((x) => x['name'] === version);
  const schema =
    v && isJsonObject(v['schema']) && isJsonObject(v['schema']['openAPIV3Schema'])
      ? v['schema']['openAPIV3Schema']
      : undefined;
  if (!schema) return undefined;
  const properties = isJsonObject(schema['properties']) ? { ...schema['properties'] } : {};
  properties['apiVersion'] ??= {
    type: 'string',
    description: 'APIVersion defines the versioned schema of this representation of an object.',
  };
  properties['kind'] ??= {
    type: 'string',
    description: 'Kind is a string value representing the REST resource this object represents.',
  };
  properties['metadata'] = {
    allOf: [{ $ref: `${REF_PREFIX}${META}.ObjectMeta` }],
    description:
      "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  };
  return {
    ...schema,
    type: 'object',
    properties,
    'x-kubernetes-group-version-kind': [{ group: type.group, kind: type.kind, version: type.version }],
  };
}

/** The CRDs of a cluster, as the OpenAPI code needs them. */
export interface CrdSource {
  crds(): KubeObject[];
}

/** Returns the schema kubectl validates an object of a type against, and the definitions it may reference. */
export function schemaOf(
  type: ResourceType,
  source: CrdSource,
): { root: Schema; lookup: (name: string) => Schema | undefined } | undefined {
  const b = builtinSchemas();
  const name = b.kinds.get(`${type.group}/${type.version}/${type.kind}`);
  if (name) return { root: b.definitions.get(name)!, lookup: (n) => b.definitions.get(n) };
  for (const crd of source.crds()) {
    if (!typesFromCrd(crd).some((t) => t.group === type.group && t.kind === type.kind)) continue;
    const root = crdSchema(crd, type.version, type);
    return root ? { root, lookup: (n) => b.definitions.get(n) } : undefined;
  }
  return undefined;
}

/** The `/openapi/v3` index path of a group-version (`api/v1`, `apis/apps/v1`). */
function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function kindOperations(type: ResourceType): Record<string, unknown> {
  const gvk = { group: type.group, kind: type.kind, version: type.version };
  const base = `/${gvPath(type.group, type.version)}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.plural}/{name}`;
  const queryParam = (name: string, description: string) => ({
    name,
    in: 'query',
    description,
    schema: { type: 'string', uniqueItems: true },
  });
  const ok = { responses: { '200': { description: 'OK' }, '401': { description: 'Unauthorized' } } };
  const params = [
    queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
    queryParam(
      'fieldManager',
      'fieldManager is a name associated with the actor or entity that is making these changes.',
    ),
    queryParam(
      'fieldValidation',
      'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict',
    ),
  ];
  return {
    [base]: {
      get: {
        ...ok,
        operationId: `read${type.kind}`,
        'x-kubernetes-action': 'get',
        'x-kubernetes-group-version-kind': gvk,
      },
      put: {
        ...ok,
        operationId: `replace${type.kind}`,
        parameters: params,
        'x-kubernetes-action': 'put',
        'x-kubernetes-group-version-kind': gvk,
      },
      patch: {
        ...ok,
        operationId: `patch${type.kind}`,
        parameters: [...params, queryParam('force', 'Force is going to "force" Apply requests.')],
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
      },
      delete: {
        ...ok,
        operationId: `delete${type.kind}`,
        'x-kubernetes-action': 'delete',
        'x-kubernetes-group-version-kind': gvk,
      },
    },
  };
}

const builtinDocs = new Map<string, { text: string; hash: string }>();

function finishDoc(doc: Record<string, unknown>): { text: string; hash: string } {
  const text = JSON.stringify(doc);
  return { text, hash: createHash('sha512').update(text).digest('hex').slice(0, 32).toUpperCase() };
}

/** Returns the OpenAPI v3 document of one group-version (built-ins cached per process), or undefined. */
export function openApiV3Document(
  types: readonly ResourceType[],
  group: string,
  version: string,
  source: CrdSource,
  serverVersion: string,
): { text: string; hash: string } | undefined {
  const served = types.filter((t) => t.group === group && t.version === version);
  if (served.length === 0) return undefined;
  const b = builtinSchemas();
  const allBuiltin = served.every((t) => b.kinds.has(`${t.group}/${t.version}/${t.kind}`));
  const key = `${group}/${version}@${serverVersion}`;
  if (allBuiltin) {
    const hit = builtinDocs.get(key);
    if (hit) return hit;
  }
  const custom = new Map<string, Schema>();
  const roots: string[] = [];
  let paths: Record<string, unknown> = {};
  for (const t of served) {
    const builtinName = b.kinds.get(`${t.group}/${t.version}/${t.kind}`);
    if (builtinName) roots.push(builtinName);
    else {
      const s = schemaOf(t, source);
      if (!s) continue;
      const name = crdDefinitionName(t);
      custom.set(name, s.root);
      roots.push(name);
    }
    paths = { ...paths, ...kindOperations(t) };
  }
  const lookup = (n: string) => custom.get(n) ?? b.definitions.get(n);
  const schemas: Record<string, Schema> = {};
  for (const n of [...closure(roots, lookup)].sort()) {
    const s = lookup(n);
    if (s) schemas[n] = s;
  }
  const doc = finishDoc({
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: serverVersion },
    paths,
    components: { schemas },
  });
  if (allBuiltin) builtinDocs.set(key, doc);
  return doc;
}

/** Returns the `/openapi/v3` index: one entry per served group-version, with the hash of its document. */
export function openApiV3Index(
  types: readonly ResourceType[],
  source: CrdSource,
  serverVersion: string,
): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const gvs = new Map<string, { group: string; version: string }>();
  for (const t of types) gvs.set(apiVersionOf(t), { group: t.group, version: t.version });
  for (const { group, version } of gvs.values()) {
    const doc = openApiV3Document(types, group, version, source, serverVersion);
    if (!doc) continue;
    const path = gvPath(group, version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.hash}` };
  }
  return { paths };
}

let swagger: string | undefined;

/** Returns the OpenAPI v2 (Swagger) document of the built-in kinds as JSON (for clients asking for JSON). */
export function openApiV2Json(serverVersion: string): string {
  if (swagger) return swagger;
  const b = builtinSchemas();
  const definitions: Record<string, unknown> = {};
  const toV2 = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(toV2);
    if (!isJsonObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === '$ref' && typeof v === 'string' ? v.replace(REF_PREFIX, '#/definitions/') : toV2(v);
    }
    return out;
  };
  for (const [name, schema] of b.definitions) definitions[name] = toV2(schema);
  swagger = JSON.stringify({
    swagger: '2.0',
    info: { title: 'Kubernetes', version: serverVersion },
    paths: {},
    definitions,
  });
  return swagger;
}
