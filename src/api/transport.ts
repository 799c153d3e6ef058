/**
 * Error answers below the routes, made readable for any client. A body over the limit is answered 413 with the
 * JSON error and then read to its end (up to `REJECTED_BODY_DRAIN_LIMIT`) before the connection may close: a
 * client that writes its whole request before reading (Python's http.client, many scripts) would otherwise hit a
 * reset and never see the answer. Requests Node refuses before Fastify sees them (headers over 16 KiB, a broken
 * request line, a header timeout) get Strata's `{code, message, details}` body too.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StrataErrorCode } from '../core/errors.ts';

/** How many bytes of a refused body are read (and dropped) so its sender gets to read the 413. */
export const REJECTED_BODY_DRAIN_LIMIT = 64 * 1024 * 1024;
/** How long a refused body is read for at most. */
export const REJECTED_BODY_DRAIN_MS = 30_000;

/**
 * Keeps reading the rest of a refused request body, dropping it, so the client finishes sending and reads the
 * answer; the connection then stays usable. A body announced (or turning out) larger than the drain limit, or
 * slower than the drain time, closes the connection instead, as before.
 */
export function drainRejectedBody(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  if (raw.complete || raw.destroyed) return;
  const announced = Number(request.headers['content-length']);
  if (Number.isFinite(announced) && announced > REJECTED_BODY_DRAIN_LIMIT) return;
  // Fastify asked for `Connection: close` because more data may follow; read it instead, then keep the socket.
  reply.removeHeader('connection');
  let drained = 0;
  const socket = raw.socket;
  const stop = setTimeout(() => socket.destroy(), REJECTED_BODY_DRAIN_MS);
  stop.unref();
  raw.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > REJECTED_BODY_DRAIN_LIMIT) socket.destroy();
  });
  raw.once('end', () => clearTimeout(stop));
  raw.once('close', () => clearTimeout(stop));
  raw.resume();
}

/** Answers a request Node's HTTP parser refused, with Strata's error body, then closes the socket. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, StrataErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'RequestHeaderFieldsTooLarge',
          'The request headers are larger than the server accepts (16 KiB in all).',
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'RequestTimeout', 'The request did not arrive in time.']
        : [400, 'BadRequest', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ code, message, details: { reason: error.code ?? 'ClientError' } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
