/**
 * The CLI's client of the REST API: `fetch` with the bearer token, JSON or YAML bodies, and error answers
 * turned back into `StrataError`s so every command reports them the same way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type ErrorDetails, StrataError, type StrataErrorCode } from '../core/errors.ts';

/** Where the API is and how to authenticate. */
export interface ClientConfig {
  /** Base URL, e.g. `http://127.0.0.1:7080`. */
  url: string;
  /** Bearer token, or null when none is configured. */
  token: string | null;
}

/** One request. */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON body (object) or a text body sent with `contentType`. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

/** How often a request the server refused as busy (429, or 503 with Retry-After) is sent again before its error is reported. */
export const MAX_BUSY_RETRIES = 3;

/** Default API URL (`STRATA_URL`). */
export const DEFAULT_STRATA_URL = 'http://127.0.0.1:7080';

/** Returns the client configuration from `STRATA_URL` and `STRATA_TOKEN` (else `$STRATA_HOME/admin.token`). */
export function clientConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const url = (env.STRATA_URL ?? DEFAULT_STRATA_URL).replace(/\/+$/, '');
  let token = env.STRATA_TOKEN?.trim() || null;
  if (token === null) {
    const path = join(env.STRATA_HOME || join(homedir(), '.strata'), 'admin.token');
    if (existsSync(path)) token = readFileSync(path, 'utf8').trim() || null;
  }
  return { url, token };
}

/** A thin REST client; every method throws `StrataError` with the server's code on an error answer. */
export class ApiClient {
  readonly config: ClientConfig;

  constructor(config: ClientConfig) {
    this.config = config;
  }

  /** Sends a request and returns the parsed JSON answer (or the text of a non-JSON answer). */
  async request<T = unknown>(req: ApiRequest): Promise<T> {
    const response = await this.send(req);
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    if (!response.ok)
      throw errorFromAnswer(response.status, text, type, response.headers.get('x-request-id'));
    if (type.includes('json')) return (text === '' ? null : JSON.parse(text)) as T;
    return text as T;
  }

  /** Sends a request and returns the raw response (for streams); throws on an error answer. */
  async stream(req: ApiRequest): Promise<Response> {
    const response = await this.send(req);
    if (!response.ok) {
      throw errorFromAnswer(
        response.status,
        await response.text(),
        response.headers.get('content-type') ?? '',
        response.headers.get('x-request-id'),
      );
    }
    return response;
  }

  /**
   * Sends a request, waiting and sending it again (at most `MAX_BUSY_RETRIES` times) while the server answers 429,
   * or 503 with `Retry-After` (a database conflict that outlasted the server's own retries): such a request
   * changed nothing, so any method may be retried; `Retry-After` says how long to wait.
   */
  private async send(req: ApiRequest): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const response = await this.sendOnce(req);
      const busy =
        response.status === 429 || (response.status === 503 && response.headers.has('retry-after'));
      if (!busy || attempt >= MAX_BUSY_RETRIES) return response;
      const seconds = Number(response.headers.get('retry-after'));
      await response.body?.cancel();
      await new Promise((r) =>
        setTimeout(r, 1000 * Math.min(10, Number.isFinite(seconds) && seconds > 0 ? seconds : 1)),
      );
    }
  }

  private async sendOnce(req: ApiRequest): Promise<Response> {
    const url = new URL(this.config.url + req.path);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (this.config.token) headers.authorization = `Bearer ${this.config.token}`;
    let body: string | undefined;
    if (req.body !== undefined) {
      if (typeof req.body === 'string') {
        body = req.body;
        headers['content-type'] = req.contentType ?? 'application/yaml';
      } else {
        body = JSON.stringify(req.body);
        headers['content-type'] = 'application/json';
      }
    }
    try {
      return await fetch(url, { method: req.method, headers, body });
    } catch (error) {
      const detail = (error as { cause?: { code?: string; errors?: Array<{ code?: string }> } }).cause;
      const cause =
        detail?.code ?? detail?.errors?.[0]?.code ?? (detail as Error | undefined)?.message ?? String(error);
      throw new StrataError(
        'Unavailable',
        `Cannot reach Strata at ${this.config.url} (${cause}); is "strata up" running? (set STRATA_URL to point elsewhere)`,
        { url: this.config.url },
      );
    }
  }
}

/**
 * Returns the server's error answer as a `StrataError`; an answer that is not Strata's error shape (a proxy's
 * page) keeps the status and, when the server named it, the request ID.
 */
function errorFromAnswer(status: number, text: string, type: string, requestId: string | null): StrataError {
  if (type.includes('json')) {
    try {
      const body = JSON.parse(text) as { code?: string; message?: string; details?: ErrorDetails };
      if (typeof body.code === 'string' && typeof body.message === 'string') {
        return new StrataError(body.code as StrataErrorCode, body.message, body.details ?? {});
      }
    } catch {
      // Not the API's error shape; described generically below.
    }
  }
  return new StrataError('Internal', `The server answered ${status}: ${text.slice(0, 200)}`, {
    status,
    ...(requestId ? { requestId } : {}),
  });
}
