/**
 * HTTP(S) GETs to chart registries, with what pulling untrusted content needs: a size cap, a time limit, a
 * custom CA (`--ca-file`), redirects followed a few times, and failures named for the user — unreachable, TLS,
 * authentication, not found — with the upstream text kept.
 */
import http from 'node:http';
import https from 'node:https';
import { StrataError } from '../core/errors.ts';

/** Options of one GET. */
export interface GetOptions {
  headers?: Record<string, string>;
  /** PEM of the CA that signed the registry's certificate (else the system's). */
  ca?: string;
  maxBytes?: number;
  timeoutMs?: number;
}

/** An answer. */
export interface GetResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_|EPROTO)/;

/** Returns the answer of a GET (any status); throws `RegistryUnreachable` or `RegistryTlsFailed`. */
export async function httpGet(url: string, options: GetOptions = {}): Promise<GetResult> {
  let current = new URL(url);
  for (let hop = 0; hop < 5; hop += 1) {
    const result = await getOnce(current, options);
    const location = result.headers.location;
    if (result.status >= 300 && result.status < 400 && location) {
      const next = new URL(location, current);
      // A redirect to another host (a blob store) must not carry the registry's credentials.
      if (next.host !== current.host) {
        const { authorization: _auth, ...rest } = options.headers ?? {};
        options = { ...options, headers: rest };
      }
      current = next;
      continue;
    }
    return { ...result, url: current.href };
  }
  throw new StrataError('RegistryUnreachable', `${url} redirected more than 5 times.`, { url });
}

function getOnce(url: URL, options: GetOptions): Promise<Omit<GetResult, 'url'>> {
  const maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
  if (!client) {
    return Promise.reject(
      new StrataError('ValidationFailed', `${url.href}: only http and https URLs are supported.`, {
        url: url.href,
      }),
    );
  }
  return new Promise((resolve, reject) => {
    const request = client.get(
      url,
      {
        headers: { 'user-agent': 'strata', ...(options.headers ?? {}) },
        timeout: timeoutMs,
        ...(url.protocol === 'https:' && options.ca ? { ca: options.ca } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            request.destroy();
            reject(
              new StrataError(
                'PayloadTooLarge',
                `${url.href} sent more than ${maxBytes} bytes; the pull was stopped.`,
                {
                  url: url.href,
                  limit: maxBytes,
                },
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', (error) => reject(unreachable(url, error)));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => reject(unreachable(url, error)));
  });
}

function unreachable(url: URL, error: Error & { code?: string }): StrataError {
  if (error instanceof StrataError) return error;
  if (error.code && TLS_CODES.test(error.code)) {
    return new StrataError(
      'RegistryTlsFailed',
      `TLS with ${url.host} failed: ${error.message.split('\n')[0]!.replace(/:\d+:\s*$/, '')}${error.code.startsWith('ERR_SSL') || error.code === 'EPROTO' ? ' (is it plain HTTP? then use --plain-http)' : ' (give the CA that signed its certificate with --ca-file)'}.`,
      { host: url.host, reason: error.code },
    );
  }
  return new StrataError('RegistryUnreachable', `${url.host} cannot be reached: ${error.message}.`, {
    host: url.host,
    reason: error.code ?? null,
  });
}

/** Returns `Basic …` for a username and password. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
