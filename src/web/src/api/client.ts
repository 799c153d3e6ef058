/**
 * The console's only way to the server: `fetch` with the bearer token, JSON or YAML bodies, and every failure
 * turned into an `ApiError` carrying the server's `{code, message, details}` (or a network code).
 */
import type { ApiErrorBody } from './types.ts';

/** An API failure as the user sees it: a code, a sentence and details. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.code = body.code;
    this.status = status;
    this.details = body.details ?? {};
  }
}

/** Returns the error as an `ApiError` (wrapping anything else as `ClientError`), for uniform display. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError(0, { code: 'ClientError', message, details: {} });
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value;
}

/** A REST client bound to one token. */
export class ApiClient {
  readonly token: string;
  readonly #base: string;

  constructor(token: string, base = '') {
    this.token = token;
    this.#base = base;
  }

  /** Returns the parsed JSON of a GET. */
  get<T>(path: string): Promise<T> {
    return this.#request<T>('GET', path);
  }

  /** Returns the parsed JSON answer of a POST with a JSON body. */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.#request<T>('POST', path, body);
  }

  /** Returns the parsed JSON answer of a PUT with a JSON body. */
  put<T>(path: string, body: unknown): Promise<T> {
    return this.#request<T>('PUT', path, body);
  }

  /** Returns the parsed JSON answer of a DELETE. */
  delete<T>(path: string): Promise<T> {
    return this.#request<T>('DELETE', path);
  }

  /** Returns a text answer (kubeconfigs are YAML). */
  async text(path: string): Promise<string> {
    const response = await this.#fetch('GET', path);
    return response.text();
  }

  /** Returns the URL of a server-sent event stream, with the token in the query (EventSource sends no headers). */
  streamUrl(path: string): string {
    const sep = path.includes('?') ? '&' : '?';
    return `${this.#base}${path}${sep}token=${encodeURIComponent(this.token)}`;
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#fetch(method, path, body);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async #fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.token}`,
      Accept: 'application/json',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.#base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, {
        code: 'NetworkError',
        message: `The Strata server cannot be reached (${(error as Error).message}).`,
        details: {},
      });
    }
    if (response.ok) return response;
    let parsed: unknown = null;
    try {
      parsed = await response.json();
    } catch {
      // A proxy or a crash may answer without Strata's error body; the status line still says what happened.
    }
    throw new ApiError(
      response.status,
      isErrorBody(parsed)
        ? parsed
        : {
            code: `HTTP${response.status}`,
            message: `${method} ${path} failed: ${response.statusText}`,
            details: {},
          },
    );
  }
}
