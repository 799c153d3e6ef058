/**
 * Cluster labels in Kubernetes' syntax, checked at the API with Kubernetes' own wording: a key is an optional
 * prefix (a DNS subdomain of at most 253 characters) and '/', then a name of at most 63 alphanumerics, '-', '_'
 * and '.', starting and ending alphanumeric; a value is empty or such a name. Anything else — quotes and
 * semicolons, `../`, bidirectional overrides — is refused before it is stored or matched.
 */
import { z } from 'zod';
import { quoted } from './errors.ts';

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const NAME_RULE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const PREFIX_RULE =
  "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const VALUE_RULE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** Returns why `key` is not a Kubernetes label key, or null when it is one. */
export function labelKeyProblem(key: string): string | null {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? null : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== null) {
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (prefix.length > 253) return 'prefix part must be no more than 253 characters';
    if (!DNS_SUBDOMAIN.test(prefix)) return PREFIX_RULE;
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!NAME.test(name)) return NAME_RULE;
  return null;
}

/** Returns why `value` is not a Kubernetes label value, or null when it is one. */
export function labelValueProblem(value: string): string | null {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (value !== '' && !NAME.test(value)) return VALUE_RULE;
  return null;
}

/** Labels of a cluster: at most 64 pairs, each in Kubernetes' syntax. */
export const labelsSchema = z.record(z.string().max(317), z.string().max(63)).superRefine((labels, ctx) => {
  const entries = Object.entries(labels);
  if (entries.length > 64) {
    ctx.addIssue({ code: 'custom', message: 'at most 64 labels' });
    return;
  }
  for (const [key, value] of entries) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) {
      ctx.addIssue({
        code: 'custom',
        message: `key ${quoted(key)}: Invalid value: ${quoted(key)}: ${keyProblem}`,
      });
    }
    const valueProblem = labelValueProblem(value);
    if (valueProblem) {
      ctx.addIssue({
        code: 'custom',
        message: `value of ${quoted(key)}: Invalid value: ${quoted(value)}: ${valueProblem}`,
      });
    }
  }
});

/** A rollout's `k=v,k2=v2` label selector, each pair in Kubernetes' label syntax. */
export const selectorSchema = z
  .string()
  .max(2000)
  .superRefine((text, ctx) => {
    if (text.trim() === '') return;
    for (const part of text.split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `Invalid value: ${quoted(part)}: must be a label pair key=value`,
        });
        return;
      }
      const problem =
        labelKeyProblem(part.slice(0, eq).trim()) ?? labelValueProblem(part.slice(eq + 1).trim());
      if (problem) {
        ctx.addIssue({ code: 'custom', message: `Invalid value: ${quoted(part)}: ${problem}` });
        return;
      }
    }
  });
