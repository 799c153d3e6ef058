/** Names Strata accepts for profiles, clusters, pools and packs: DNS-1123 labels, as Kubernetes does. */
import { StrataError } from './errors.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True when `value` is a DNS-1123 label (lower-case alphanumerics and '-', 1–63 chars, alphanumeric ends). */
export function isDnsLabel(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 63 && DNS1123_LABEL.test(value);
}

/** Returns `value` when it is a DNS-1123 label; otherwise throws `InvalidName` naming the field. */
export function requireDnsLabel(value: unknown, field: string): string {
  if (isDnsLabel(value)) return value;
  throw new StrataError(
    'InvalidName',
    `${field} must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); got ${JSON.stringify(value)}.`,
    { field, value },
  );
}
