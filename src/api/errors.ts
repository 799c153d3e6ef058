/**
 * The one place where anything thrown while serving a request becomes an HTTP answer: Strata's error family
 * `{code, message, details}` with the status `httpStatusFor(code)` gives. Bad input is always 4xx; a 500 body
 * never carries a stack or a secret (the error is logged instead).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorDetails, isStrataError, type StrataErrorCode } from '../core/errors.ts';
import { httpStatusFor } from './http-status.ts';
import { databaseConflict, isTransientDatabaseError } from './transient.ts';
import { knownFieldsAt, suggestField } from './unknown-fields.ts';

/** The body of every error answer. */
export interface ErrorBody {
  code: StrataErrorCode;
  message: string;
  details: ErrorDetails;
}

/** An error answer: the status and the body. */
export interface ErrorReply {
  status: number;
  body: ErrorBody;
}

/** Fastify's own request errors (body parsing, URL decoding, limits) carry a 4xx `statusCode` and an FST code. */
function fastifyClientError(error: unknown): { statusCode: number; code: string; message: string } | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as Partial<FastifyError>;
  if (typeof e.statusCode !== 'number' || e.statusCode < 400 || e.statusCode >= 500) return null;
  return {
    statusCode: e.statusCode,
    code: typeof e.code === 'string' ? e.code : '',
    message: e.message ?? '',
  };
}

/** Names a failed schema field the way users write it: `body.layers.0.version`, `params.name`. */
function validationField(context: string | undefined, instancePath: string): string {
  const path = instancePath.split('/').filter((s) => s !== '');
  return [context ?? 'body', ...path].join('.');
}

/**
 * Returns text from a request (a field name, a value) fit to quote in a message: JSON-quoted, with control,
 * format and bidirectional characters escaped (a `\u202E` must not reverse the terminal line it is printed on)
 * and cut at `max` characters.
 */
export function quoted(text: string, max = 80): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut).replace(
    /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The answer to fields the route does not know: each named, with the known field it most likely meant. */
function unknownFieldsReply(
  context: string | undefined,
  validation: ReadonlyArray<{ instancePath: string; keyword: string; params: Record<string, unknown> }>,
  schema: unknown,
): ErrorReply | null {
  const issues: Array<{ field: string; message: string; suggestion?: string }> = [];
  for (const v of validation) {
    if (v.keyword !== 'unrecognized_keys' || !Array.isArray(v.params.keys)) continue;
    const path = v.instancePath.split('/').filter((s) => s !== '');
    const known = knownFieldsAt(schema, path);
    for (const key of v.params.keys as string[]) {
      const suggestion = suggestField(key, known);
      const field = validationField(context, `${v.instancePath}/${key}`);
      issues.push({
        field,
        message: `unknown field ${quoted(key)}${suggestion ? `; did you mean ${quoted(suggestion)}?` : ''}`,
        ...(suggestion ? { suggestion } : {}),
      });
    }
  }
  const first = issues[0];
  if (!first) return null;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more unknown field(s))` : '';
  return {
    status: 400,
    body: {
      code: 'UnknownField',
      message: `${quoted(first.field, 200).slice(1, -1)}: ${first.message}${more}${first.suggestion && !more ? '' : '.'}`,
      details: { field: first.field, ...(first.suggestion ? { suggestion: first.suggestion } : {}), issues },
    },
  };
}

/**
 * Returns the status and `{code, message, details}` body for anything a request handler threw. `request` gives
 * the route's schemas, from which an unknown field's likely meaning is found.
 */
export function errorReplyFor(error: unknown, request?: FastifyRequest): ErrorReply {
  if (isStrataError(error)) {
    return { status: httpStatusFor(error.code), body: error.toJSON() };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext;
    const schemas = request?.routeOptions.schema as Record<string, unknown> | undefined;
    const unknown = unknownFieldsReply(context, error.validation, schemas?.[context ?? 'body']);
    if (unknown) return unknown;
    const issues = error.validation.map((v) => ({
      field: validationField(context, v.instancePath),
      message: v.message ?? 'invalid',
    }));
    const first = issues[0]!;
    return {
      status: 400,
      body: {
        code: 'ValidationFailed',
        message: `${first.field}: ${first.message}.`,
        details: { field: first.field, issues },
      },
    };
  }
  const client = fastifyClientError(error);
  if (client) {
    if (client.statusCode === 413) {
      return {
        status: 413,
        body: {
          code: 'PayloadTooLarge',
          message: 'The request body is larger than the server accepts.',
          details: {},
        },
      };
    }
    if (client.statusCode === 404) {
      return {
        status: 404,
        body: { code: 'NotFound', message: client.message || 'Not found.', details: {} },
      };
    }
    if (client.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return {
        status: 415,
        body: {
          code: 'UnsupportedMediaType',
          message: 'Unsupported Content-Type: send application/json or application/yaml (UTF-8).',
          details: { reason: 'UnsupportedContentType' },
        },
      };
    }
    const message =
      client.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'The request body is empty but its Content-Type says JSON.'
        : error instanceof SyntaxError || /JSON/.test(client.message)
          ? `The request body is not valid JSON: ${client.message}`
          : client.message || 'Bad request.';
    return {
      status: 400,
      body: { code: 'BadRequest', message, details: { reason: client.code || 'BadRequest' } },
    };
  }
  if (isTransientDatabaseError(error)) {
    // A conflict a route did not retry (or that outlasted the retries) is worth trying again, not a bug.
    return { status: 503, body: databaseConflict(error).toJSON() };
  }
  return {
    status: 500,
    body: { code: 'Internal', message: 'Internal error; the server log has the details.', details: {} },
  };
}

/**
 * Sends the error answer for `error`. A server-side failure (5xx) is logged with its cause and the request ID,
 * which its body carries as `details.requestId` (and every answer as `X-Request-Id`), so a user can quote it.
 * Used by the error handler, the not-found handler and the auth hook alike.
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const { status, body } = errorReplyFor(error, request);
  if (status >= 500) {
    body.details = { ...body.details, requestId: request.id };
    request.log.error(
      { err: error, method: request.method, url: redactUrl(request.url), status, code: body.code },
      `request failed: ${request.method} ${redactUrl(request.url).split('?')[0]} → ${status} ${body.code}`,
    );
  }
  if (typeof body.details.retryAfterSeconds === 'number') {
    reply.header('retry-after', String(body.details.retryAfterSeconds));
  }
  return reply
    .code(status)
    .header('x-request-id', request.id)
    .type('application/json; charset=utf-8')
    .send(body);
}

/** Returns a URL with any `token=` query value masked, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&]*/gi, '$1***');
}
