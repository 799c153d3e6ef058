/**
 * Request bodies, refused at the door unless they are plain UTF-8 documents of a sane shape: JSON (Fastify's
 * prototype-poisoning-safe parser) or YAML (core's safe `parseValues`: no custom tags, bounded aliases). Before a
 * handler sees a body it is checked for what the store or a parser would choke on later — a byte order mark,
 * invalid UTF-8, a charset other than UTF-8 (415), nesting deeper than `MAX_BODY_DEPTH`, more than
 * `MAX_BODY_NODES` keys and items, a NUL character (PostgreSQL cannot store one) or a lone UTF-16 surrogate —
 * each a 400 with its own code and `details.reason`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StrataError } from '../core/errors.ts';
import { documentData, parseValues } from '../core/values.ts';
import { quoted } from './errors.ts';

/** Deepest nesting of objects and lists a body may have. */
export const MAX_BODY_DEPTH = 100;
/** Most keys and list items, all levels together, a body may have. */
export const MAX_BODY_NODES = 10_000;

/** Media types of YAML bodies (profile files). */
export const YAML_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml'] as const;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Registers the JSON and YAML body parsers (and no others: any other type is 415). */
export function registerBodyParsers(app: FastifyInstance, bodyLimit: number): void {
  // Bodies are JSON or YAML documents; Fastify's default text/plain parser would hand handlers a bare string.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    try {
      const text = decodeBody(request, body as Buffer);
      checkJsonDepth(text);
      parseJson(request, text, (error, value) => {
        if (error) return done(error, undefined);
        try {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) {
            // As a YAML body must be a mapping: every request body is an object (no body at all is not this).
            throw new StrataError('BadRequest', 'The request body must be a JSON object ({…}).', {
              reason: 'NotAnObject',
            });
          }
          checkBodyData(value);
          done(null, value);
        } catch (refused) {
          done(refused as Error, undefined);
        }
      });
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  for (const type of YAML_TYPES) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
      try {
        // Safe YAML only: no custom tags, bounded aliases, a mapping at the top (every body is an object).
        const data = documentData(parseValues(decodeBody(request, body as Buffer), 'body'));
        checkBodyData(data);
        done(null, data);
      } catch (error) {
        done(error as Error, undefined);
      }
    });
  }
}

/** Returns the body as text: UTF-8 only (the `charset`, when given, must say so), no byte order mark. */
function decodeBody(request: FastifyRequest, body: Buffer): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(request.headers['content-type'] ?? ''))?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new StrataError(
      'UnsupportedMediaType',
      `Bodies are UTF-8; charset=${charset.slice(0, 40)} is not supported (send charset=utf-8 or none).`,
      { reason: 'UnsupportedCharset', charset: charset.slice(0, 40) },
    );
  }
  if (
    (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) ||
    (body[0] === 0xfe && body[1] === 0xff) ||
    (body[0] === 0xff && body[1] === 0xfe)
  ) {
    throw new StrataError(
      'InvalidEncoding',
      'The body starts with a byte order mark; send UTF-8 without one (JSON forbids it).',
      { reason: 'ByteOrderMark' },
    );
  }
  try {
    return fatalUtf8.decode(body);
  } catch {
    throw new StrataError('InvalidEncoding', 'The body is not valid UTF-8.', {
      reason: 'InvalidUtf8',
      offset: firstInvalidUtf8(body),
    });
  }
}

/** Returns the offset of the first byte that does not decode as UTF-8 (for the error's details). */
function firstInvalidUtf8(body: Buffer): number {
  // A decoder of its own: a streaming decode keeps state, which the shared one must never hold.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let good = 0;
  let bad = body.length;
  // The longest decodable prefix, by bisection: decoding is all or nothing.
  while (good < bad) {
    const mid = Math.ceil((good + bad) / 2);
    try {
      decoder.decode(body.subarray(0, mid), { stream: true });
      decoder.decode();
      good = mid;
    } catch {
      bad = mid - 1;
    }
  }
  return good;
}

function tooDeep(): StrataError {
  return new StrataError(
    'BodyTooComplex',
    `The body nests objects and lists deeper than ${MAX_BODY_DEPTH} levels.`,
    { reason: 'TooDeep', limit: MAX_BODY_DEPTH },
  );
}

/**
 * Refuses JSON text nesting deeper than the limit before it is parsed: a linear scan of brackets outside
 * strings, so no parser (or later walk) recurses a million levels down.
 */
function checkJsonDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_BODY_DEPTH) throw tooDeep();
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/**
 * Refuses parsed body data that is too deep or too big, or whose strings (keys included) hold a NUL or a lone
 * surrogate; walks without recursion and stops at the first problem.
 */
export function checkBodyData(value: unknown): void {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 0, path: 'body' }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value: current, depth, path } = stack.pop()!;
    if (typeof current === 'string') {
      checkText(current, path);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) throw tooDeep();
    const entries: Array<[string, unknown]> = Array.isArray(current)
      ? current.map((v, i) => [String(i), v])
      : Object.entries(current as Record<string, unknown>);
    nodes += entries.length;
    if (nodes > MAX_BODY_NODES) {
      throw new StrataError(
        'BodyTooComplex',
        `The body has more than ${MAX_BODY_NODES} keys and list items; no Strata request needs that many.`,
        { reason: 'TooManyNodes', limit: MAX_BODY_NODES },
      );
    }
    for (const [key, child] of entries) {
      const childPath = `${path}.${key.length > 60 ? `${key.slice(0, 60)}…` : key}`;
      if (!Array.isArray(current)) checkText(key, childPath, 'key');
      stack.push({ value: child, depth: depth + 1, path: childPath });
    }
  }
}

/**
 * Refuses query and path values holding a NUL or a lone surrogate, as bodies are (`?actor=%00` would otherwise
 * reach PostgreSQL, which refuses it with an error rather than an empty answer).
 */
export function checkRequestText(request: FastifyRequest): void {
  for (const [context, values] of [
    ['querystring', request.query],
    ['params', request.params],
  ] as const) {
    if (values === null || typeof values !== 'object') continue;
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      for (const text of Array.isArray(value) ? value : [value]) {
        if (typeof text === 'string') checkText(text, `${context}.${key}`);
      }
      checkText(key, `${context}.${key}`, 'key');
    }
  }
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function checkText(text: string, path: string, what: 'key' | 'value' = 'value'): void {
  const nul = text.indexOf('\u0000');
  if (nul !== -1) {
    throw new StrataError(
      'InvalidCharacter',
      `${printablePath(path)}: the ${what} holds a NUL character (U+0000), which Strata does not store.`,
      { reason: 'NulCharacter', field: printablePath(path), index: nul },
    );
  }
  if (LONE_SURROGATE.test(text)) {
    throw new StrataError(
      'InvalidCharacter',
      `${printablePath(path)}: the ${what} holds a lone UTF-16 surrogate (such as \\ud800), which is not text.`,
      { reason: 'LoneSurrogate', field: printablePath(path) },
    );
  }
}

/** Returns a field path fit for a message: its own NULs, surrogates and control characters escaped. */
function printablePath(path: string): string {
  return quoted(path, 200).slice(1, -1);
}
