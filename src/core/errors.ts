/**
 * Strata's one error family. Core and engine throw `StrataError`; the API maps `code` to an HTTP status
 * (src/api/http-status.ts) and the CLI to an exit code, each in one place.
 */

/**
 * Every machine-readable error code Strata can return (a closed set: docs/api.md lists them). The API maps each
 * to an HTTP status (src/api/http-status.ts), the CLI to an exit code; the core knows no HTTP.
 */
export const ERROR_CODES = [
  // The request itself is malformed.
  'BadRequest',
  'ValidationFailed',
  'InvalidSemver',
  'InvalidName',
  'InvalidYaml',
  'UnknownField',
  'ConfirmationRequired',
  'InvalidEncoding',
  'InvalidCharacter',
  'BodyTooComplex',
  'RequestTimeout',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'RequestHeaderFieldsTooLarge',
  // Who is asking.
  'Unauthorized',
  'Forbidden',
  //
  'NotFound',
  'ChartNotFound',
  // The world changed or already holds it.
  'Conflict',
  'AlreadyExists',
  'LockHeld',
  // Well-formed, but the rules forbid it.
  'PackInvalid',
  'TemplateRenderFailed',
  'PresetUnknown',
  'PresetGroupConflict',
  'ProfileInvalid',
  'PackNotFound',
  'ClusterNotUpdatable',
  'K8sDowngradeNotSupported',
  'K8sMultiMinorUpgrade',
  'EdgeCniChangeNotSupported',
  'K8sDistributionChange',
  'ExistingClusterInfraLayer',
  'MergeConflict',
  'RepaveNotPending',
  'PruneCapExceeded',
  'PlanHasErrors',
  'RolloutNotActive',
  'ValuesSchemaViolation',
  // A chart registry refused or failed (the upstream text is in the message).
  'RegistryUnreachable',
  'RegistryTlsFailed',
  'RegistryAuthFailed',
  'DigestMismatch',
  // The server is at capacity for this kind of request.
  'TooManyRequests',
  // A bug or a broken dependency — never for bad input.
  'Internal',
  'Unavailable',
] as const;

/** A machine-readable error code. */
export type StrataErrorCode = (typeof ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);

/** True when `code` is one of Strata's error codes. */
export function isErrorCode(code: string): code is StrataErrorCode {
  return KNOWN.has(code);
}

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

/** True when `value` is a StrataError, across module copies. */
export function isStrataError(value: unknown): value is StrataError {
  return (
    value instanceof StrataError ||
    (value instanceof Error && value.name === 'StrataError' && 'code' in value)
  );
}
