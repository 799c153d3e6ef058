/**
 * Rendering a pack's manifest templates into Kubernetes objects for one cluster. Templates are Nunjucks
 * over YAML (multi-document allowed), compiled once per Pack object and cached; rendering is pure.
 */
import { createHash } from 'node:crypto';
import nunjucks from 'nunjucks';
import YAML from 'yaml';
import { StrataError, type StrataErrorCode } from './errors.ts';
import type { KubeObject, Pack } from './model.ts';
import { isClusterScoped, refKey, refOf } from './objects.ts';
import { valuesData } from './values.ts';

/** Who an object is rendered for: the cluster's name and the profile the layer comes from. */
export interface RenderContext {
  cluster: string;
  profile: string;
}

/** The labels Strata puts on every object it renders (keys), so engines and users can select them. */
export const STRATA_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  cluster: 'strata.io/cluster',
  profile: 'strata.io/profile',
  layer: 'strata.io/layer',
  pack: 'strata.io/pack',
} as const;

/** The value of the `app.kubernetes.io/managed-by` label on every rendered object. */
export const MANAGED_BY_STRATA = 'strata';

/** A template compiled for one pack, kept with its file name for error messages. */
interface CompiledTemplate {
  name: string;
  template: nunjucks.Template;
  /** Rendered text → JSON of its documents: parsing YAML dominates a render, and across a fleet the same
   * values render the same text, so each distinct output is parsed once. Bounded, oldest evicted first. */
  parsedOutputs: Map<string, string>;
}

/** Distinct outputs remembered per template. */
const PARSED_OUTPUTS_PER_TEMPLATE = 64;

/** Returns `map.get(key)` and marks the entry as recently used. */
function recall(map: Map<string, string>, key: string): string | undefined {
  const hit = map.get(key);
  if (hit !== undefined) {
    map.delete(key);
    map.set(key, hit);
  }
  return hit;
}

/** Stores `key → value`, evicting the least recently used entry beyond `limit`. */
function remember(map: Map<string, string>, key: string, value: string, limit: number): void {
  map.set(key, value);
  if (map.size > limit) map.delete(map.keys().next().value!);
}

// One environment for every pack: no loader (templates cannot include files), no HTML escaping (the
// output is YAML), and an undefined value in `{{ }}` is an error instead of an empty string. trim/lstrip
// keep `{% if %}` lines from leaving blank lines and stray indentation in the YAML.
const environment = new nunjucks.Environment(null, {
  autoescape: false,
  throwOnUndefined: true,
  trimBlocks: true,
  lstripBlocks: true,
  // Keeps Nunjucks' error objects (line, column, cause) instead of flattening them into a plain Error.
  dev: true,
});

// Nunjucks has no sandbox: `{{ range.constructor("…")() }}` reaches the Function constructor and runs
// arbitrary code in the server, and user-registered packs carry templates. Every property access and
// every bare name in a template goes through these two runtime functions, so refusing the names that
// lead up prototype chains (constructor, __proto__, prototype, the Object.prototype members) closes that
// path; a refused name reads as undefined, which `throwOnUndefined` turns into a render error.
const BLOCKED_TEMPLATE_NAMES: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
]);
interface NunjucksRuntimeLookups {
  memberLookup(obj: unknown, key: unknown): unknown;
  contextOrFrameLookup(context: unknown, frame: unknown, name: string): unknown;
  strataGuarded?: boolean;
}
const nunjucksRuntime = nunjucks.runtime as unknown as NunjucksRuntimeLookups;
if (!nunjucksRuntime.strataGuarded) {
  const memberLookup = nunjucksRuntime.memberLookup;
  const contextOrFrameLookup = nunjucksRuntime.contextOrFrameLookup;
  nunjucksRuntime.memberLookup = (obj, key) =>
    typeof key === 'string' && BLOCKED_TEMPLATE_NAMES.has(key) ? undefined : memberLookup(obj, key);
  nunjucksRuntime.contextOrFrameLookup = (context, frame, name) =>
    BLOCKED_TEMPLATE_NAMES.has(name) ? undefined : contextOrFrameLookup(context, frame, name);
  nunjucksRuntime.strataGuarded = true;
}

// Compiled templates are cached on the Pack object itself: packs are immutable once parsed, and a
// WeakMap lets a dropped pack's templates be collected with it.
const compiledByPack = new WeakMap<Pack, CompiledTemplate[]>();

/**
 * Returns the objects a pack renders for a cluster from the layer's values (YAML text), each labelled with
 * cluster, profile, layer and pack, in template order ([] for packs without templates, whose values are
 * not read here). Throws `InvalidYaml` for unparseable values and `TemplateRenderFailed` naming pack,
 * template and line when a template cannot render them.
 */
export function renderLayer(pack: Pack, values: string, ctx: RenderContext): KubeObject[] {
  if (pack.manifests.length === 0) return [];
  // Shared, frozen data from the values cache: templates only read it, so no copy is needed.
  const data = valuesData(values, `values of ${pack.name}@${pack.version}`) as Record<string, unknown>;
  return renderPackObjects(pack, data, ctx, 'TemplateRenderFailed');
}

/** Returns a fresh, mutable values mapping parsed from YAML text (for pack files and preset fragments). */
export function parseRenderValues(text: string, field: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = YAML.parse(text, { schema: 'core', maxAliasCount: 100 });
  } catch (error) {
    throw new StrataError('InvalidYaml', `${field} is not valid YAML: ${firstLine(error)}`, { field });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new StrataError(
      'InvalidYaml',
      `${field} must be a YAML mapping (key: value); got a ${kindOf(parsed)}.`,
      {
        field,
      },
    );
  }
  return parsed as Record<string, unknown>;
}

/**
 * Returns the labelled objects a pack renders from already-parsed values. `shapeErrorCode` is the code for
 * an object that lacks apiVersion/kind/metadata.name or a namespace: `PackInvalid` while validating a pack
 * with its own defaults, `TemplateRenderFailed` when a cluster's values make it so.
 */
export function renderPackObjects(
  pack: Pack,
  values: Record<string, unknown>,
  ctx: RenderContext,
  shapeErrorCode: StrataErrorCode,
): KubeObject[] {
  const templates = compiledTemplates(pack);
  if (templates.length === 0) return [];
  // No `cluster` variable: renders are shared between clusters with equal values (see core/desired.ts),
  // so object content must not depend on the cluster; its label is stamped on separately.
  const variables = {
    values,
    profile: ctx.profile,
    pack: { name: pack.name, version: pack.version },
  };
  const labels: Record<string, string> = {
    [STRATA_LABELS.managedBy]: MANAGED_BY_STRATA,
    [STRATA_LABELS.cluster]: toLabelValue(ctx.cluster),
    [STRATA_LABELS.profile]: toLabelValue(ctx.profile),
    [STRATA_LABELS.layer]: pack.layer,
    [STRATA_LABELS.pack]: toLabelValue(pack.name),
  };
  const objects: KubeObject[] = [];
  const seen = new Map<string, string>();
  for (const compiled of templates) {
    const name = compiled.name;
    let text: string;
    try {
      text = compiled.template.render(variables);
    } catch (error) {
      throw templateError(pack, name, error, 'does not render');
    }
    for (const doc of parseRenderedDocuments(pack, compiled, text)) {
      const obj = checkObjectShape(pack, name, doc, shapeErrorCode);
      obj.metadata.labels = { ...obj.metadata.labels, ...labels };
      const key = refKey(refOf(obj));
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        throw new StrataError(
          shapeErrorCode,
          `Pack ${pack.name}@${pack.version}: template ${name} renders ${obj.kind} ${describeRef(obj)} a second time (first in ${earlier}).`,
          { pack: pack.name, version: pack.version, template: name, field: `templates.${name}`, object: key },
        );
      }
      seen.set(key, name);
      objects.push(obj);
    }
  }
  return objects;
}

/** Returns the pack's templates compiled (once per Pack object); throws `TemplateRenderFailed` on a syntax error. */
export function compiledTemplates(pack: Pack): CompiledTemplate[] {
  const cached = compiledByPack.get(pack);
  if (cached) return cached;
  const compiled = pack.manifests.map(({ name, template }) => {
    try {
      return {
        name,
        template: new nunjucks.Template(template, environment, name, true),
        parsedOutputs: new Map(),
      };
    } catch (error) {
      throw templateError(pack, name, error, 'does not parse');
    }
  });
  compiledByPack.set(pack, compiled);
  return compiled;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Returns `value` as a valid Kubernetes label value (at most 63 characters of alphanumerics, '-', '_'
 * and '.', alphanumeric at both ends). Valid values are kept as they are; others have invalid characters
 * replaced by '-' and, when too long, are cut to 54 characters plus '-' and 8 hex digits of the
 * original's sha256, so two long names stay distinct.
 */
export function toLabelValue(value: string): string {
  if (value.length <= 63 && LABEL_VALUE.test(value)) return value;
  let cleaned = value.replace(/[^-A-Za-z0-9_.]/g, '-');
  if (cleaned.length > 63) {
    const suffix = createHash('sha256').update(value).digest('hex').slice(0, 8);
    cleaned = `${trimToAlphanumeric(cleaned.slice(0, 54))}-${suffix}`;
  }
  return trimToAlphanumeric(cleaned);
}

function trimToAlphanumeric(value: string): string {
  return value.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

/**
 * Splits a template's output into YAML documents, skipping empty ones (a disabled `{% if %}` block).
 * Returns fresh objects on every call (the caller labels them), parsed once per distinct output.
 */
function parseRenderedDocuments(pack: Pack, compiled: CompiledTemplate, text: string): unknown[] {
  const cached = recall(compiled.parsedOutputs, text);
  if (cached !== undefined) return JSON.parse(cached) as unknown[];
  const template = compiled.name;
  const docs = YAML.parseAllDocuments(text, { schema: 'core' });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: unknown[] = [];
  for (const doc of list) {
    const problem = doc.errors[0];
    if (problem) {
      const line = problem.linePos?.[0]?.line;
      throw new StrataError(
        'TemplateRenderFailed',
        `Pack ${pack.name}@${pack.version}: template ${template} renders invalid YAML${line ? ` at output line ${line}` : ''}: ${firstLine(problem)}`,
        {
          pack: pack.name,
          version: pack.version,
          template,
          field: `templates.${template}`,
          line: line ?? null,
        },
      );
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) out.push(value);
  }
  // Always through JSON, cached or not, so the objects are plain JSON data either way.
  const json = JSON.stringify(out);
  remember(compiled.parsedOutputs, text, json, PARSED_OUTPUTS_PER_TEMPLATE);
  return JSON.parse(json) as unknown[];
}

/** Returns the document as a KubeObject after checking apiVersion, kind, metadata.name and namespace. */
function checkObjectShape(pack: Pack, template: string, doc: unknown, code: StrataErrorCode): KubeObject {
  const fail = (what: string, field: string): StrataError =>
    new StrataError(code, `Pack ${pack.name}@${pack.version}: template ${template} renders ${what}.`, {
      pack: pack.name,
      version: pack.version,
      template,
      field,
    });
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw fail(`a ${kindOf(doc)} where a Kubernetes object (a mapping) belongs`, 'object');
  }
  const obj = doc as Record<string, unknown>;
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '')
    throw fail('an object without apiVersion', 'apiVersion');
  if (typeof obj.kind !== 'string' || obj.kind === '') throw fail('an object without kind', 'kind');
  const metadata = obj.metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw fail(`a ${obj.kind} without metadata`, 'metadata');
  }
  const meta = metadata as Record<string, unknown>;
  if (typeof meta.name !== 'string' || meta.name === '')
    throw fail(`a ${obj.kind} without metadata.name`, 'metadata.name');
  if (
    meta.labels !== undefined &&
    (typeof meta.labels !== 'object' || meta.labels === null || Array.isArray(meta.labels))
  ) {
    throw fail(`${obj.kind} ${meta.name} with metadata.labels that is not a mapping`, 'metadata.labels');
  }
  if (isClusterScoped(obj.kind)) {
    // Kubernetes ignores a namespace on cluster-scoped objects; dropping it keeps refs and hashes stable.
    delete meta.namespace;
  } else if (typeof meta.namespace !== 'string' || meta.namespace === '') {
    throw fail(
      `${obj.kind} ${meta.name} without metadata.namespace (templates must set namespaces explicitly)`,
      'metadata.namespace',
    );
  }
  return obj as unknown as KubeObject;
}

/**
 * Wraps a Nunjucks error as `TemplateRenderFailed`, naming the template line and quoting it. Nunjucks
 * reports syntax and undefined-output errors with 1-based lines, but runtime errors it wraps (those with a
 * `cause`) with the 0-based line of the call, hence the correction; line 0/column 0 means "unknown".
 */
function templateError(pack: Pack, template: string, error: unknown, what: string): StrataError {
  const e = error as { lineno?: unknown; colno?: unknown; cause?: unknown; message?: unknown };
  const wrapped = e.cause instanceof Error;
  let line: number | null = null;
  if (typeof e.lineno === 'number' && (e.lineno > 0 || (typeof e.colno === 'number' && e.colno > 0))) {
    line = wrapped ? e.lineno + 1 : e.lineno;
  }
  const raw = wrapped ? (e.cause as Error).message : String(e.message ?? error);
  const reason =
    raw
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^\(.*\)( \[Line \d+.*\])?$/.test(l))
      .pop() ?? raw;
  const source = pack.manifests.find((m) => m.name === template)?.template.split('\n');
  const quoted =
    line !== null && source?.[line - 1] ? ` (\`${source[line - 1]!.trim().slice(0, 120)}\`)` : '';
  return new StrataError(
    'TemplateRenderFailed',
    `Pack ${pack.name}@${pack.version}: template ${template} ${what}${line !== null ? ` at line ${line}` : ''}${quoted}: ${reason.replace(/\.$/, '')}.`,
    { pack: pack.name, version: pack.version, template, field: `templates.${template}`, line },
  );
}

function describeRef(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'mapping' : typeof value;
}
