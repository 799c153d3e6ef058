/**
 * From rendered documents to the objects a layer puts on a cluster: shape checks (apiVersion, kind, name,
 * namespace), the default namespace of chart and manifest layers, Strata's labels, and duplicate detection. Pure;
 * the rendering itself (templates, charts, kustomize) happens in `src/render/`, out of the server's thread.
 */
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { StrataError, type StrataErrorCode } from './errors.ts';
import type { KubeObject, Pack } from './model.ts';
import { isClusterScoped, refKey, refOf } from './objects.ts';

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

/** The documents one template (or one file of a chart's output) rendered to, in order. */
export interface RenderedDocuments {
  /** The template or source file, for messages. */
  name: string;
  documents: unknown[];
}

/** How the documents of a render become objects. */
export interface ObjectsOptions {
  /** The error code for an object of the wrong shape: `PackInvalid` while proving a pack, else `TemplateRenderFailed`. */
  shapeErrorCode: StrataErrorCode;
  /**
   * Where namespaced objects that name no namespace go (charts, manifests, kustomize: the layer's namespace).
   * Without it such an object is refused: Strata's own templates set namespaces explicitly.
   */
  defaultNamespace?: string;
  /** Custom kinds the render itself declares cluster-scoped (from its CustomResourceDefinitions). */
  clusterScopedKinds?: ReadonlySet<string>;
}

/**
 * Returns the labelled objects of a render, in order: each document checked to be a Kubernetes object, given
 * the default namespace where it names none, and labelled with cluster, profile, layer and pack. Throws
 * `options.shapeErrorCode` for a document that is not an object and for the same object rendered twice.
 */
export function objectsOfRender(
  pack: Pack,
  rendered: readonly RenderedDocuments[],
  ctx: RenderContext,
  options: ObjectsOptions,
): KubeObject[] {
  const labels: Record<string, string> = {
    [STRATA_LABELS.managedBy]: MANAGED_BY_STRATA,
    [STRATA_LABELS.cluster]: toLabelValue(ctx.cluster),
    [STRATA_LABELS.profile]: toLabelValue(ctx.profile),
    [STRATA_LABELS.layer]: pack.layer,
    [STRATA_LABELS.pack]: toLabelValue(pack.name),
  };
  const objects: KubeObject[] = [];
  const seen = new Map<string, string>();
  for (const { name, documents } of rendered) {
    for (const doc of documents) {
      const obj = checkObjectShape(pack, name, doc, options);
      obj.metadata.labels = { ...obj.metadata.labels, ...labels };
      const key = refKey(refOf(obj));
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        throw new StrataError(
          options.shapeErrorCode,
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

/** Returns the document as a KubeObject after checking apiVersion, kind, metadata.name and namespace. */
function checkObjectShape(pack: Pack, template: string, doc: unknown, options: ObjectsOptions): KubeObject {
  const code = options.shapeErrorCode;
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
  if (isClusterScoped(obj.kind) || options.clusterScopedKinds?.has(`${obj.apiVersion}/${obj.kind}`)) {
    // Kubernetes ignores a namespace on cluster-scoped objects; dropping it keeps refs and hashes stable.
    delete meta.namespace;
  } else if (typeof meta.namespace !== 'string' || meta.namespace === '') {
    if (options.defaultNamespace === undefined) {
      throw fail(
        `${obj.kind} ${meta.name} without metadata.namespace (templates must set namespaces explicitly)`,
        'metadata.namespace',
      );
    }
    meta.namespace = options.defaultNamespace;
  }
  return obj as unknown as KubeObject;
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
