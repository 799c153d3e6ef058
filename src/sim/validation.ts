/**
 * What the API server refuses, with its wording (422 `Invalid`, one cause per field): the rules kubectl and Helm
 * users meet — object names (DNS-1123 subdomain, label or DNS-1035 label by kind), label keys and values,
 * annotations over 256 KiB, ConfigMap and Secret data over 1 MiB, objects over etcd's 1.5 MiB, a Job's pod
 * template that would restart forever, a CronJob's schedule and time zone.
 */

import type { StrataError } from '../core/errors.ts';
import { parseCronSchedule } from './cron.ts';
import { isJsonObject, type KubeObject } from './kube-object.ts';
import {
  invalid,
  invalidValueCause,
  kubeReasonError,
  requiredCause,
  type StatusCause,
} from './kube-status.ts';
import type { ResourceType } from './resources.ts';

const RUN_TO_COMPLETION = 'valid values: "OnFailure", "Never"';

function podTemplateRestartCauses(template: unknown, field: string): StatusCause[] {
  const spec = isJsonObject(template) && isJsonObject(template['spec']) ? template['spec'] : {};
  const policy = spec['restartPolicy'];
  return policy === 'Never' || policy === 'OnFailure' ? [] : [requiredCause(field, RUN_TO_COMPLETION)];
}

function jobSpecCauses(jobSpec: unknown, prefix: string): StatusCause[] {
  const spec = isJsonObject(jobSpec) ? jobSpec : {};
  return podTemplateRestartCauses(spec['template'], `${prefix}.template.spec.restartPolicy`);
}

function cronJobCauses(obj: KubeObject): StatusCause[] {
  const spec = isJsonObject(obj['spec']) ? obj['spec'] : {};
  const causes: StatusCause[] = [];
  const schedule = spec['schedule'];
  if (typeof schedule !== 'string' || schedule === '') causes.push(requiredCause('spec.schedule'));
  else {
    const parsed = parseCronSchedule(schedule);
    if ('error' in parsed) causes.push(invalidValueCause('spec.schedule', schedule, parsed.error));
  }
  const zone = spec['timeZone'];
  if (typeof zone === 'string' && !isTimeZone(zone)) {
    causes.push(invalidValueCause('spec.timeZone', zone, `unknown time zone ${zone}`));
  }
  const jobTemplate = isJsonObject(spec['jobTemplate']) ? spec['jobTemplate'] : {};
  causes.push(...jobSpecCauses(jobTemplate['spec'], 'spec.jobTemplate.spec'));
  return causes;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME_MESSAGE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** The most bytes of annotations (keys and values) an object may carry. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;
/** The most bytes of data a ConfigMap or Secret may hold. */
export const MAX_DATA_BYTES = 1024 * 1024;
/** The largest object etcd stores (its default request limit). */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** Kinds whose names are DNS-1123 labels (at most 63 characters, no dots). */
const LABEL_NAMED = new Set(['/namespaces']);
/** Kinds whose names are DNS-1035 labels (a letter first). */
const DNS1035_NAMED = new Set(['/services']);
/** RBAC kinds validate names as path segments: `system:metrics-server` is valid. */
const PATH_SEGMENT_NAMED_GROUPS = new Set(['rbac.authorization.k8s.io']);

function nameCauses(type: ResourceType, name: string): StatusCause[] {
  const key = `${type.group}/${type.plural}`;
  if (name === '') return [requiredCause('metadata.name', 'name or generateName is required')];
  if (PATH_SEGMENT_NAMED_GROUPS.has(type.group)) {
    if (name === '.' || name === '..')
      return [invalidValueCause('metadata.name', name, `may not be '${name}'`)];
    for (const bad of ['/', '%']) {
      if (name.includes(bad)) return [invalidValueCause('metadata.name', name, `may not contain '${bad}'`)];
    }
    return [];
  }
  const causes: StatusCause[] = [];
  const [max, re, message] = DNS1035_NAMED.has(key)
    ? [63, DNS1035_RE, DNS1035_MESSAGE]
    : LABEL_NAMED.has(key)
      ? [63, LABEL_RE, LABEL_MESSAGE]
      : [253, SUBDOMAIN_RE, SUBDOMAIN_MESSAGE];
  if (name.length > max)
    causes.push(invalidValueCause('metadata.name', name, `must be no more than ${max} characters`));
  if (!re.test(name)) causes.push(invalidValueCause('metadata.name', name, message));
  return causes;
}

function qualifiedNameCauses(field: string, key: string): StatusCause[] {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const causes: StatusCause[] = [];
  if (prefix !== undefined) {
    if (prefix.length === 0) causes.push(invalidValueCause(field, key, 'prefix part must be non-empty'));
    else if (prefix.length > 253 || !SUBDOMAIN_RE.test(prefix))
      causes.push(invalidValueCause(field, key, `prefix part ${SUBDOMAIN_MESSAGE}`));
  }
  if (name.length === 0) causes.push(invalidValueCause(field, key, 'name part must be non-empty'));
  else if (name.length > 63)
    causes.push(invalidValueCause(field, key, 'name part must be no more than 63 characters'));
  else if (!QUALIFIED_NAME_RE.test(name)) causes.push(invalidValueCause(field, key, QUALIFIED_NAME_MESSAGE));
  return causes;
}

function metadataCauses(type: ResourceType, obj: KubeObject): StatusCause[] {
  const causes = nameCauses(type, obj.metadata.name ?? '');
  for (const [key, value] of Object.entries(obj.metadata.labels ?? {})) {
    causes.push(...qualifiedNameCauses('metadata.labels', key));
    const text = String(value);
    if (text.length > 63)
      causes.push(invalidValueCause('metadata.labels', text, 'must be no more than 63 characters'));
    if (!LABEL_VALUE_RE.test(text))
      causes.push(invalidValueCause('metadata.labels', text, LABEL_VALUE_MESSAGE));
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(obj.metadata.annotations ?? {})) {
    causes.push(...qualifiedNameCauses('metadata.annotations', key.toLowerCase()));
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (annotationBytes > MAX_ANNOTATIONS_BYTES) {
    causes.push({
      reason: 'FieldValueTooLong',
      field: 'metadata.annotations',
      message: `Too long: must have at most ${MAX_ANNOTATIONS_BYTES} bytes`,
    });
  }
  return causes;
}

function dataCauses(obj: KubeObject): StatusCause[] {
  let bytes = 0;
  for (const field of ['data', 'binaryData']) {
    const data = obj[field];
    if (!isJsonObject(data)) continue;
    for (const [k, v] of Object.entries(data)) {
      const raw = String(v);
      // Secret (and binaryData) values are base64 on the wire; the limit counts the decoded bytes.
      const decoded =
        obj.kind === 'Secret' || field === 'binaryData'
          ? Buffer.from(raw, 'base64').length
          : Buffer.byteLength(raw);
      bytes += Buffer.byteLength(k) + decoded;
    }
  }
  if (bytes <= MAX_DATA_BYTES) return [];
  return [
    {
      reason: 'FieldValueTooLong',
      field: obj.kind === 'Secret' ? 'data' : '[]',
      message: `Too long: must have at most ${MAX_DATA_BYTES} bytes`,
    },
  ];
}

/** Throws the API server's `Invalid` error when an object breaks a rule of its metadata (name, labels, annotations). */
export function validateMetadata(type: ResourceType, obj: KubeObject): void {
  const causes = metadataCauses(type, obj);
  if (causes.length > 0) throw invalid(type, obj.metadata.name ?? '', causes);
}

/** Throws the API server's `Invalid` error when a defaulted object breaks a rule of its kind or of its metadata. */
export function validateObject(type: ResourceType, obj: KubeObject): void {
  const causes = metadataCauses(type, obj);
  if (type.group === 'batch' && type.kind === 'Job') causes.push(...jobSpecCauses(obj['spec'], 'spec'));
  else if (type.group === 'batch' && type.kind === 'CronJob') causes.push(...cronJobCauses(obj));
  else if (type.group === '' && (type.kind === 'ConfigMap' || type.kind === 'Secret'))
    causes.push(...dataCauses(obj));
  if (causes.length > 0) throw invalid(type, obj.metadata.name ?? '', causes);
  if (Buffer.byteLength(JSON.stringify(obj)) > MAX_OBJECT_BYTES) {
    throw kubeReasonError('RequestEntityTooLarge', 413, 'etcdserver: request is too large');
  }
}

/** The error of a request body over the API server's 3 MiB limit. */
export function requestTooLarge(limit: number): StrataError {
  return kubeReasonError('RequestEntityTooLarge', 413, `Request entity too large: limit is ${limit}`);
}
