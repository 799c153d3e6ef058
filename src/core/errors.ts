/**
 * Strata's one error family. Core and engine throw `StrataError`; the API maps `code` to an HTTP status and
 * the CLI to an exit code, each in one place.
 */

/** Every machine-readable error code Strata can return, grouped by the HTTP status the API maps it to. */
export const ERROR_STATUS = {
  // 400: the request itself is malformed.
  BadRequest: 400,
  ValidationFailed: 400,
  InvalidSemver: 400,
  InvalidName: 400,
  InvalidYaml: 400,
  UnknownField: 400,
  ConfirmationRequired: 400,
  InvalidEncoding: 400,
  InvalidCharacter: 400,
  BodyTooComplex: 400,
  RequestTimeout: 408,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  RequestHeaderFieldsTooLarge: 431,
  // 401 / 403: who is asking.
  Unauthorized: 401,
  Forbidden: 403,
  // 404
  NotFound: 404,
  ChartNotFound: 404,
  // 409: the world changed or already holds it.
  Conflict: 409,
  AlreadyExists: 409,
  LockHeld: 409,
  // 422: well-formed, but the rules forbid it.
  PackInvalid: 422,
  TemplateRenderFailed: 422,
  PresetUnknown: 422,
  PresetGroupConflict: 422,
  ProfileInvalid: 422,
  PackNotFound: 422,
  ClusterNotUpdatable: 422,
  K8sDowngradeNotSupported: 422,
  K8sMultiMinorUpgrade: 422,
  EdgeCniChangeNotSupported: 422,
  K8sDistributionChange: 422,
  ExistingClusterInfraLayer: 422,
  MergeConflict: 422,
  RepaveNotPending: 422,
  PruneCapExceeded: 422,
  PlanHasErrors: 422,
  RolloutNotActive: 422,
  ValuesSchemaViolation: 422,
  // 422: a chart registry refused or failed (the upstream text is in the message).
  RegistryUnreachable: 422,
  RegistryTlsFailed: 422,
  RegistryAuthFailed: 422,
  DigestMismatch: 422,
  // 429: the server is at capacity for this kind of request; retry after `Retry-After` seconds.
  TooManyRequests: 429,
  // 500: a bug or a broken dependency — never for bad input.
  Internal: 500,
  Unavailable: 503,
} as const;

/** A machine-readable error code. */
export type StrataErrorCode = keyof typeof ERROR_STATUS;

/** Structured, JSON-serialisable details that explain an error (versions involved, field paths, …). */
export type ErrorDetails = Record<string, unknown>;

/** The error every Strata layer throws: a code for machines, a sentence for people, details for both. */
export class StrataError extends Error {
  readonly code: StrataErrorCode;
  readonly details: ErrorDetails;

  constructor(code: StrataErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'StrataError';
    this.code = code;
    this.details = details;
  }

  /** Returns the wire form `{code, message, details}` used by the API and the CLI's `-o json`. */
  toJSON(): { code: StrataErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Returns the HTTP status for an error code (500 for anything unknown). */
export function httpStatusFor(code: string): number {
  return (ERROR_STATUS as Record<string, number>)[code] ?? 500;
}

/** True when `value` is a StrataError, across module copies. */
export function isStrataError(value: unknown): value is StrataError {
  return (
    value instanceof StrataError ||
    (value instanceof Error && value.name === 'StrataError' && 'code' in value)
  );
}
