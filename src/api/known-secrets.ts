/**
 * Values known to be secret, so they can be masked wherever they turn up — not only under a credential key: a
 * pack's default password copied into a note, an override's token quoted in an event or a diff. A value is known
 * when it sits under a credential key (`isCredentialPath`) of a pack default or preset fragment (every pack of
 * the catalog, read once per pack) or of a values text this server handled (overrides written or answered,
 * profile layers, plans). Kept cheap: no fleet scans — a bounded set filled from what passes through.
 */
import type { Catalog } from '../core/catalog.ts';
import { declaredSecretPaths, SecretPaths } from '../core/secret-paths.ts';
import { HIDDEN_VALUE, isCredentialPath, isPlainObject, valuesData } from '../core/values.ts';

/** Shorter values are not masked by value (`true`, `admin`, `1234` would mask half of every answer). */
export const MIN_SECRET_LENGTH = 8;
/** Most values remembered (oldest forgotten first). */
export const MAX_KNOWN_SECRETS = 10_000;

/** Words one of which every credential key contains (as `isCredentialPath`, ignoring `-` and `_`). */
const CREDENTIAL_WORD = /password|passwd|secret|token|privatekey|apikey|credential/i;

/** True when a text may name a credential key (a cheap test before any parse). */
export function mayHoldCredentials(text: string): boolean {
  return CREDENTIAL_WORD.test(text.replace(/[-_]/g, ''));
}

/** The secret values known to one server. */
export class KnownSecrets {
  readonly #values = new Map<string, true>();
  readonly #packsRead = new Set<string>();
  #pattern: RegExp | null = null;
  /** The value paths any pack of the catalog declares secret (one set for all: a declared path hides everywhere). */
  readonly declared = new SecretPaths();

  /** Learns the values under credential keys of every pack (defaults and preset fragments) not read before. */
  learnCatalog(catalog: Catalog): void {
    const packs = catalog.list();
    if (packs.length === this.#packsRead.size) return;
    for (const pack of packs) {
      const key = `${pack.name}@${pack.version}`;
      if (this.#packsRead.has(key)) continue;
      this.#packsRead.add(key);
      this.declared.add(declaredSecretPaths(pack));
      this.learnValues(pack.values);
      for (const preset of pack.presets) this.learnValues(preset.add);
    }
  }

  /** Learns the values under credential keys of a values text (one that does not parse teaches nothing). */
  learnValues(text: string): void {
    if (!mayHoldCredentials(text) && !this.declared.mayMatch(text)) return;
    let data: unknown;
    try {
      data = valuesData(text, 'values');
    } catch {
      return;
    }
    this.#learnData(data, false, []);
  }

  #learnData(value: unknown, secret: boolean, path: (string | number)[]): void {
    if (typeof value === 'string') {
      if (secret) this.#add(value);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        const at = [...path, index];
        this.#learnData(item, secret || this.declared.covers(at), at);
      });
      return;
    }
    if (!isPlainObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const at = [...path, key];
      this.#learnData(child, secret || isCredentialPath(key) || this.declared.covers(at), at);
    }
  }

  #add(value: string): void {
    if (value.length < MIN_SECRET_LENGTH || value === HIDDEN_VALUE || value.length > 4096) return;
    if (this.#values.has(value)) return;
    if (this.#values.size >= MAX_KNOWN_SECRETS)
      this.#values.delete(this.#values.keys().next().value as string);
    this.#values.set(value, true);
    this.#pattern = null;
  }

  /** Returns the text with every known secret in it replaced by `(hidden)`. */
  maskText(text: string): string {
    if (this.#values.size === 0) return text;
    this.#pattern ??= new RegExp(
      [...this.#values.keys()]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.#pattern, HIDDEN_VALUE);
  }

  /** Returns a copy of JSON-like data with every known secret in its strings replaced by `(hidden)`. */
  maskData<T>(value: T): T {
    if (typeof value === 'string') return this.maskText(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.maskData(v)) as T;
    if (value === null || typeof value !== 'object' || value instanceof Date) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = this.maskData(v);
    return out as T;
  }

  /** Returns how many secrets are known (for tests). */
  get size(): number {
    return this.#values.size;
  }
}
