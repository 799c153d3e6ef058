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
    const { status, type, text, requestId } = await this.send(req);
    if (status < 200 || status > 299) throw errorFromAnswer(status, text, type, requestId);
    if (type.includes('json')) return (text === '' ? null : JSON.parse(text)) as T;
    return text as T;
  }

  /** Sends a request and returns the raw response (for streams); throws on an error answer. */
  async stream(req: ApiRequest): Promise<Response> {
    const { url, method, headers, body } = this.prepare(req);
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body });
    } catch (error) {
      const detail = (error as { cause?: { code?: string; errors?: Array<{ code?: string }> } }).cause;
      throw this.unreachable(
        detail?.code ?? detail?.errors?.[0]?.code ?? (detail as Error | undefined)?.message ?? String(error),
      );
    }
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

  private prepare(req: ApiRequest): {
    url: URL;
    method: ApiRequest['method'];
    headers: Record<string, string>;
    body: string | undefined;
  } {
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
    return { url, method: req.method, headers, body };
  }

  /**
   * Sends a request, waiting and sending it again (at most `MAX_BUSY_RETRIES` times) while the server answers 429,
   * or 503 with `Retry-After` (a database conflict that outlasted the server's own retries): such a request
   * changed nothing, so any method may be retried; `Retry-After` says how long to wait.
   */
  private async send(req: ApiRequest): Promise<Exchange> {
    for (let attempt = 0; ; attempt++) {
      const answer = await this.exchange(req);
      const busy = answer.status === 429 || (answer.status === 503 && answer.retryAfter !== null);
      if (!busy || attempt >= MAX_BUSY_RETRIES) return answer;
      const seconds = Number(answer.retryAfter);
      await new Promise((r) =>
        setTimeout(r, 1000 * Math.min(10, Number.isFinite(seconds) && seconds > 0 ? seconds : 1)),
      );
    }
  }

  /**
   * Sends a request with node:http(s) and returns the status, content type and text of the answer. Not `fetch`: its
   * HTTP stack (undici) takes longer to load than a one-request command takes to run.
   */
  private async exchange(req: ApiRequest): Promise<Exchange> {
    const { url, method, headers, body } = this.prepare(req);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    return new Promise((resolve, reject) => {
      const outgoing = request(url, { method, headers }, (answer) => {
        let text = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => {
          text += chunk;
        });
        answer.on('end', () => {
          const header = (name: string) => {
            const v = answer.headers[name];
            return typeof v === 'string' ? v : null;
          };
          resolve({
            status: answer.statusCode ?? 0,
            type: answer.headers['content-type'] ?? '',
            text,
            requestId: header('x-request-id'),
            retryAfter: header('retry-after'),
          });
        });
        answer.on('error', (error) => reject(this.unreachable(String(error))));
      });
      outgoing.on('error', (error: NodeJS.ErrnoException) =>
        reject(this.unreachable(error.code ?? error.message)),
      );
      outgoing.end(body);
    });
  }

  private unreachable(cause: string): StrataError {
    return new StrataError(
      'Unavailable',
      `Cannot reach Strata at ${this.config.url} (${cause}); is "strata up" running? (set STRATA_URL to point elsewhere)`,
      { url: this.config.url },
    );
  }
}

/** What one request got back. */
interface Exchange {
  status: number;
  type: string;
  text: string;
  requestId: string | null;
  retryAfter: string | null;
}

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
