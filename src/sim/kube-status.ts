/**
 * Kubernetes `Status` objects: the one place where the simulator's `StrataError`s become the error bodies
 * kubectl and client libraries understand (`reason` and `code` decide their behaviour, e.g. `kubectl apply`
 * creates on NotFound and retries on Conflict).
 */
import { isStrataError, StrataError } from '../core/errors.ts';

/** A `meta.k8s.io/v1` Status body. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/**
 * One cause of a failure (`details.causes[]`): a field error of an `Invalid` Status, as kubectl prints it
 * (`<field>: <message>`), or another cause such as an eviction's `DisruptionBudget` (no field).
 */
export interface StatusCause {
  /** `FieldValueRequired`, `FieldValueInvalid`, `FieldValueTooLong`, `FieldValueNotSupported`, `DisruptionBudget`, … */
  reason: string;
  message: string;
  field?: string;
}

/** Which resource an error is about, for the `details` of the Status. */
export interface StatusSubject {
  group: string;
  kind: string;
  name?: string;
}

const REASONS: Record<string, { reason: string; code: number }> = {
  BadRequest: { reason: 'BadRequest', code: 400 },
  ValidationFailed: { reason: 'Invalid', code: 422 },
  InvalidYaml: { reason: 'BadRequest', code: 400 },
  Unauthorized: { reason: 'Unauthorized', code: 401 },
  Forbidden: { reason: 'Forbidden', code: 403 },
  NotFound: { reason: 'NotFound', code: 404 },
  Conflict: { reason: 'Conflict', code: 409 },
  AlreadyExists: { reason: 'AlreadyExists', code: 409 },
  PayloadTooLarge: { reason: 'RequestEntityTooLarge', code: 413 },
  Unavailable: { reason: 'ServiceUnavailable', code: 503 },
};

/**
 * Returns a StrataError that renders as a Status with a Kubernetes reason Strata has no code for
 * (`MethodNotAllowed`, `Expired`, `UnsupportedMediaType`, `NotAcceptable`).
 */
export function kubeReasonError(reason: string, code: number, message: string): StrataError {
  return new StrataError('BadRequest', message, { kubeReason: reason, kubeCode: code });
}

/** Returns the Status body and HTTP code for any thrown value (unknown errors become 500 InternalError). */
export function statusFor(error: unknown): KubeStatus {
  if (!isStrataError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return failure('InternalError', 500, `Internal error: ${message}`);
  }
  const override = error.details['kubeReason'];
  const mapped =
    typeof override === 'string'
      ? { reason: override, code: Number(error.details['kubeCode'] ?? 400) }
      : (REASONS[error.code] ?? { reason: 'InternalError', code: 500 });
  const status = failure(mapped.reason, mapped.code, error.message);
  const subject = error.details['subject'];
  if (subject && typeof subject === 'object') {
    const s = subject as StatusSubject;
    status.details = { group: s.group, kind: s.kind, ...(s.name !== undefined ? { name: s.name } : {}) };
  }
  const causes = error.details['causes'];
  if (Array.isArray(causes) && causes.length > 0) {
    status.details = { ...(status.details ?? {}), causes: causes as StatusCause[] };
  }
  const retryAfter = error.details['retryAfterSeconds'];
  if (typeof retryAfter === 'number' && retryAfter > 0) {
    status.details = { ...(status.details ?? {}), retryAfterSeconds: retryAfter };
  }
  return status;
}

/** Returns a Success Status (what DELETE of some kinds and of collections answers). */
export function successStatus(subject: StatusSubject): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    message: '',
    reason: '',
    details: { group: subject.group, kind: subject.kind, ...(subject.name ? { name: subject.name } : {}) },
    code: 200,
  };
}

function failure(reason: string, code: number, message: string): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/** Returns the `NotFound` error kubectl expects: `<plural>.<group> "<name>" not found`. */
export function notFound(qualifiedResource: string, subject: StatusSubject): StrataError {
  return new StrataError('NotFound', `${qualifiedResource} "${subject.name ?? ''}" not found`, { subject });
}

/** Returns the `AlreadyExists` error: `<plural>.<group> "<name>" already exists`. */
export function alreadyExists(qualifiedResource: string, subject: StatusSubject): StrataError {
  return new StrataError('AlreadyExists', `${qualifiedResource} "${subject.name ?? ''}" already exists`, {
    subject,
  });
}

/** Returns the optimistic-concurrency `Conflict` error kubectl shows for a stale resourceVersion. */
export function staleConflict(qualifiedResource: string, subject: StatusSubject): StrataError {
  return new StrataError(
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource} "${subject.name ?? ''}": the object has been modified; please apply your changes to the latest version and try again`,
    { subject },
  );
}

/**
 * Returns the 422 `Invalid` error of an object failing validation, worded as the API server words it:
 * `Job.batch "pi" is invalid: spec.template.spec.restartPolicy: Required value: …` (several causes in brackets),
 * with `details.kind` the Kind and the causes listed, so kubectl prints `The Job "pi" is invalid: …`.
 */
export function invalid(
  type: { group: string; kind: string },
  name: string,
  causes: readonly StatusCause[],
): StrataError {
  const qualified = type.group === '' ? type.kind : `${type.kind}.${type.group}`;
  const texts = causes.map((c) => `${c.field}: ${c.message}`);
  const joined = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return new StrataError('ValidationFailed', `${qualified} "${name}" is invalid: ${joined}`, {
    subject: { group: type.group, kind: type.kind, name },
    causes: causes.map((c) => ({ ...c })),
  });
}

/** Returns a `FieldValueRequired` cause (`Required value[: detail]`). */
export function requiredCause(field: string, detail?: string): StatusCause {
  return {
    reason: 'FieldValueRequired',
    field,
    message: detail ? `Required value: ${detail}` : 'Required value',
  };
}

/** Returns a `FieldValueInvalid` cause (`Invalid value: <value>: <detail>`), the value quoted as Go's %#v does. */
export function invalidValueCause(field: string, value: unknown, detail: string): StatusCause {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${shown}: ${detail}` };
}

/** Returns a `FieldValueNotSupported` cause (`Unsupported value: "x": supported values: "a", "b"`). */
export function unsupportedCause(field: string, value: unknown, supported: readonly string[]): StatusCause {
  return {
    reason: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((v) => JSON.stringify(v)).join(', ')}`,
  };
}
