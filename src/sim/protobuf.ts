/**
 * Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), as kubectl 1.35 sends them for
 * its typed `create` commands, decoded into the JSON objects the rest of the simulator handles.
 *
 * Wire format: the 4-byte magic `k8s\0`, then a `runtime.Unknown` envelope naming the object's apiVersion and
 * kind and carrying the typed message as bytes. The typed messages are described by the `.proto` files under
 * `proto/` (a subset of the Kubernetes API, field numbers as upstream, field names as the JSON names), decoded
 * with protobufjs, and turned into the JSON Kubernetes would have sent: special types (Time, Quantity, IntOrString,
 * RawExtension, FieldsV1) get their JSON forms, embedded structs are inlined, bytes
 * become base64, unset fields are left out. A kind or a field outside the schema is refused rather than
 * silently dropped.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/** The 4 bytes every Kubernetes protobuf body starts with. */
export const KUBE_PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const PROTO_FILES = [
  'runtime.proto',
  'resource.proto',
  'intstr.proto',
  'meta.proto',
  'core.proto',
  'apps.proto',
  'batch.proto',
  'rbac.proto',
  'policy.proto',
  'networking.proto',
  'scheduling.proto',
  'autoscaling.proto',
  'authorization.proto',
  'authentication.proto',
];

/** API group (`''` for core) → the protobuf package prefix of its kinds. */
const GROUP_PACKAGES: Record<string, string> = {
  '': 'k8s.io.api.core',
  apps: 'k8s.io.api.apps',
  batch: 'k8s.io.api.batch',
  'rbac.authorization.k8s.io': 'k8s.io.api.rbac',
  policy: 'k8s.io.api.policy',
  'networking.k8s.io': 'k8s.io.api.networking',
  'scheduling.k8s.io': 'k8s.io.api.scheduling',
  autoscaling: 'k8s.io.api.autoscaling',
  'authorization.k8s.io': 'k8s.io.api.authorization',
  'authentication.k8s.io': 'k8s.io.api.authentication',
};

/** Fields that are Go embedded structs: their members appear directly in the parent's JSON. */
const INLINE_FIELDS = new Set(['localObjectReference', 'volumeSource', 'handler', 'ingressRuleValue']);

/**
 * Scalars Kubernetes keeps as Go pointers (or without omitempty), where an explicit zero or false means
 * something (`replicas: 0`, `automountServiceAccountToken: false`, `runAsUser: 0`), as `Message.field`. Go's
 * protobuf encoder always writes plain scalars, even when zero, and Go's JSON leaves zero plain scalars out;
 * so a zero is kept only for these.
 */
const MEANINGFUL_ZERO = new Set([
  'ObjectMeta.deletionGracePeriodSeconds',
  'OwnerReference.controller',
  'OwnerReference.blockOwnerDeletion',
  'DeleteOptions.gracePeriodSeconds',
  'DeleteOptions.orphanDependents',
  'ConfigMap.immutable',
  'Secret.immutable',
  'ServiceAccount.automountServiceAccountToken',
  'ServiceSpec.allocateLoadBalancerNodePorts',
  'ClientIPConfig.timeoutSeconds',
  'PodSpec.terminationGracePeriodSeconds',
  'PodSpec.activeDeadlineSeconds',
  'PodSpec.automountServiceAccountToken',
  'PodSpec.enableServiceLinks',
  'PodSpec.hostUsers',
  'PodSpec.shareProcessNamespace',
  'PodSpec.setHostnameAsFQDN',
  'PodSpec.priority',
  'Probe.terminationGracePeriodSeconds',
  'Toleration.tolerationSeconds',
  'TopologySpreadConstraint.minDomains',
  'PodSecurityContext.runAsUser',
  'PodSecurityContext.runAsGroup',
  'PodSecurityContext.runAsNonRoot',
  'PodSecurityContext.fsGroup',
  'SecurityContext.runAsUser',
  'SecurityContext.runAsGroup',
  'SecurityContext.runAsNonRoot',
  'SecurityContext.privileged',
  'SecurityContext.readOnlyRootFilesystem',
  'SecurityContext.allowPrivilegeEscalation',
  'ConfigMapKeySelector.optional',
  'SecretKeySelector.optional',
  'ConfigMapEnvSource.optional',
  'SecretEnvSource.optional',
  'ConfigMapVolumeSource.optional',
  'ConfigMapVolumeSource.defaultMode',
  'SecretVolumeSource.optional',
  'SecretVolumeSource.defaultMode',
  'KeyToPath.mode',
  'DeploymentSpec.replicas',
  'DeploymentSpec.revisionHistoryLimit',
  'DeploymentSpec.progressDeadlineSeconds',
  'JobSpec.parallelism',
  'JobSpec.completions',
  'JobSpec.activeDeadlineSeconds',
  'JobSpec.backoffLimit',
  'JobSpec.backoffLimitPerIndex',
  'JobSpec.maxFailedIndexes',
  'JobSpec.ttlSecondsAfterFinished',
  'JobSpec.suspend',
  'JobSpec.manualSelector',
  'CronJobSpec.startingDeadlineSeconds',
  'CronJobSpec.suspend',
  'CronJobSpec.successfulJobsHistoryLimit',
  'CronJobSpec.failedJobsHistoryLimit',
  'PriorityClass.value',
  'HorizontalPodAutoscalerSpec.minReplicas',
  'MetricTarget.averageUtilization',
  'HPAScalingRules.stabilizationWindowSeconds',
]);

const META = '.k8s.io.apimachinery.pkg.apis.meta.v1';

/** Why a protobuf body cannot be turned into JSON; `unsupported` ones answer 415, the others 400. */
export class KubeProtobufError extends Error {
  constructor(
    message: string,
    readonly unsupported: boolean,
  ) {
    super(message);
    this.name = 'KubeProtobufError';
  }
}

let loaded: protobuf.Root | undefined;

/** The schema, parsed once from the `.proto` files beside this module. */
export function kubeProtoRoot(): protobuf.Root {
  if (loaded) return loaded;
  const root = new protobuf.Root();
  for (const file of PROTO_FILES) {
    const source = readFileSync(new URL(`./proto/${file}`, import.meta.url), 'utf8');
    protobuf.parse(source, root, { keepCase: true });
  }
  root.resolveAll();
  loaded = root;
  return root;
}

/** Returns the message type of `apiVersion`/`kind` in the schema, or undefined when it is not covered. */
export function kubeProtoType(apiVersion: string, kind: string): protobuf.Type | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const root = kubeProtoRoot();
  // Every group version registers the meta/v1 options types; typed clients send DeleteOptions under their own.
  if (kind === 'DeleteOptions') return root.lookupType(`${META}.DeleteOptions`);
  const pkg = GROUP_PACKAGES[group];
  if (!pkg || !/^v\d+(?:(?:alpha|beta)\d+)?$/.test(version) || !/^[A-Z][A-Za-z0-9]*$/.test(kind))
    return undefined;
  const found = root.lookup(`.${pkg}.${version}.${kind}`);
  // Only top-level kinds (with object or list metadata), not the messages they are made of (PodSpec, …).
  const meta = found instanceof protobuf.Type ? found.fields['metadata']?.resolvedType : undefined;
  const isKind = meta?.fullName === `${META}.ObjectMeta` || meta?.fullName === `${META}.ListMeta`;
  return isKind ? (found as protobuf.Type) : undefined;
}

/** True when `body` starts with the Kubernetes protobuf magic. */
export function isKubeProtobuf(body: Uint8Array): boolean {
  return body.length >= 4 && Buffer.from(body.buffer, body.byteOffset, 4).equals(KUBE_PROTOBUF_MAGIC);
}

/**
 * Decodes a Kubernetes protobuf body (magic + `runtime.Unknown`) into the object's JSON form, with `apiVersion`
 * and `kind` first. Throws `KubeProtobufError` for a body that is not one, or whose kind or fields the schema
 * does not cover.
 */
export function decodeKubeProtobuf(body: Uint8Array): Record<string, unknown> {
  if (!isKubeProtobuf(body))
    throw new KubeProtobufError('the protobuf body does not start with the Kubernetes magic k8s\\0', false);
  const root = kubeProtoRoot();
  const unknownType = root.lookupType('.k8s.io.apimachinery.pkg.runtime.Unknown');
  const envelope = decodeRaw(unknownType, body.subarray(4)) as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: Uint8Array;
    contentEncoding?: string;
    contentType?: string;
  };
  const apiVersion = envelope.typeMeta?.apiVersion ?? '';
  const kind = envelope.typeMeta?.kind ?? '';
  if (envelope.contentEncoding)
    throw new KubeProtobufError(
      `content encoding ${envelope.contentEncoding} of the protobuf body is not supported`,
      true,
    );
  if (envelope.contentType && !envelope.contentType.includes('protobuf'))
    throw new KubeProtobufError(
      `an object of type ${envelope.contentType} inside a protobuf body is not supported`,
      true,
    );
  const type = kubeProtoType(apiVersion, kind);
  if (!type)
    throw new KubeProtobufError(
      `the simulator cannot decode ${kind || 'an object'} (${apiVersion || 'no apiVersion'}) from protobuf`,
      true,
    );
  const object = messageToJson(type, decodeRaw(type, envelope.raw ?? new Uint8Array()));
  return { apiVersion, kind, ...object };
}

function decodeRaw(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  try {
    // Keep unknown fields (protobufjs drops them by default) so that messageToJson can refuse them.
    const reader = protobuf.Reader.create(bytes);
    reader.discardUnknown = false;
    return type.decode(reader) as unknown as Record<string, unknown>;
  } catch (e) {
    throw new KubeProtobufError(`the protobuf body is malformed: ${(e as Error).message}`, false);
  }
}

function unknownFieldNumber(raw: Uint8Array): number {
  try {
    return protobuf.Reader.create(raw).uint32() >>> 3;
  } catch {
    return -1;
  }
}

function messageToJson(type: protobuf.Type, message: Record<string, unknown>): Record<string, unknown> {
  const unknowns = (message as { $unknowns?: Uint8Array[] }).$unknowns;
  if (unknowns && unknowns.length > 0) {
    const numbers = [...new Set(unknowns.map(unknownFieldNumber))].join(', ');
    throw new KubeProtobufError(
      `field ${numbers} of ${type.fullName.slice(1)} is not understood by the simulator's protobuf decoder`,
      true,
    );
  }
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    let json: unknown;
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      json = Object.fromEntries(entries.map(([k, v]) => [k, valueToJson(field, v)]));
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length === 0) continue;
      json = items.map((v) => valueToJson(field, v));
    } else {
      if (!Object.hasOwn(message, field.name)) continue;
      json = valueToJson(field, value);
      if ((json === '' || json === 0 || json === false) && !MEANINGFUL_ZERO.has(`${type.name}.${field.name}`))
        continue;
    }
    if (INLINE_FIELDS.has(field.name) && json !== null && typeof json === 'object' && !Array.isArray(json))
      Object.assign(out, json);
    else out[field.name] = json;
  }
  return out;
}

function valueToJson(field: protobuf.Field, value: unknown): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return specialToJson(resolved, value as Record<string, unknown>);
  if (resolved instanceof protobuf.Enum) return value;
  switch (field.type) {
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return toNumber(value);
    default:
      return value;
  }
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'toNumber' in value)
    return (value as { toNumber(): number }).toNumber();
  return Number(value);
}

function specialToJson(type: protobuf.Type, message: Record<string, unknown>): unknown {
  switch (type.fullName) {
    case `${META}.Time`:
      return timeToJson(message);
    case `${META}.FieldsV1`:
      return rawToJson(message['Raw']);
    case '.k8s.io.apimachinery.pkg.api.resource.Quantity':
      return String(message['string'] ?? '0');
    case '.k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return toNumber(message['type'] ?? 0) === 1
        ? String(message['strVal'] ?? '')
        : (message['intVal'] ?? 0);
    case '.k8s.io.apimachinery.pkg.runtime.RawExtension':
      return rawToJson(message['raw']);
    default:
      return messageToJson(type, message);
  }
}

/** A zero Time is JSON null (as Go's metav1.Time marshals it); others are RFC 3339 in UTC, to the second. */
function timeToJson(message: Record<string, unknown>): string | null {
  const seconds = toNumber(message['seconds'] ?? 0);
  const nanos = toNumber(message['nanos'] ?? 0);
  if (seconds === 0 && nanos === 0) return null;
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
}

/** An embedded object: a nested protobuf envelope, or JSON bytes; empty is null. */
function rawToJson(raw: unknown): unknown {
  if (!(raw instanceof Uint8Array) || raw.length === 0) return null;
  if (isKubeProtobuf(raw)) return decodeKubeProtobuf(raw);
  const text = Buffer.from(raw).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new KubeProtobufError(
      'an embedded object in the protobuf body is neither protobuf nor JSON',
      false,
    );
  }
}
