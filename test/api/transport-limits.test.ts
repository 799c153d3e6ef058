/**
 * Limits a client meets before any route: a body over 1 MiB is answered 413 with the JSON error, readable even
 * by a client that writes its whole request before it reads (as Python's http.client does — it used to get
 * EPIPE); headers over Node's 16 KiB get 431 with the JSON error too.
 */
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { openStore, type Store } from '../../src/store/open.ts';
import { type ApiFixture, startApiFixture } from './fixture.ts';

interface RawAnswer {
  /** The status line and the body, or the socket error a client would see. */
  status: number | null;
  body: string;
  error: string | null;
}

/** Sends a raw HTTP/1.1 request over a fresh socket, writing all of it before reading anything. */
function writeAllThenRead(port: number, head: string, body: Buffer | null): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (error: string | null) => {
      if (done) return;
      done = true;
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({
        status: status ? Number(status) : null,
        body: text.split('\r\n\r\n').slice(1).join(''),
        error,
      });
    };
    socket.pause();
    socket.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const [headers, rest] = text.split('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(headers ?? '')?.[1];
      if (rest !== undefined && length !== undefined && Buffer.byteLength(rest) >= Number(length))
        finish(null);
    });
    socket.on('error', (e: Error & { code?: string }) => finish(e.code ?? e.message));
    socket.on('end', () => finish(null));
    socket.write(head);
    if (body) socket.write(body, () => socket.resume());
    else socket.resume();
  });
}

describe('transport limits', () => {
  let store: Store;
  let f: ApiFixture;
  let port: number;
  before(async () => {
    store = await openStore({ memory: true });
    f = await startApiFixture(store, null);
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    port = (f.app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await f.close();
    await store.close();
  });

  it('answers a body over the limit 413 with the JSON error, which a write-everything-first client reads', async () => {
    for (const [size, chunked] of [
      [16 * 1024 * 1024, false],
      [48 * 1024 * 1024, false],
      [16 * 1024 * 1024, true],
    ] as const) {
      const body = Buffer.alloc(size, 'a');
      const framed = chunked
        ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])
        : body;
      const head =
        `POST /v1/profiles HTTP/1.1\r\nHost: strata\r\nContent-Type: application/json\r\n` +
        `Authorization: Bearer ${f.tokens.admin}\r\n` +
        (chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${size}\r\n`) +
        '\r\n';
      const answer = await writeAllThenRead(port, head, framed);
      assert.equal(
        answer.error,
        null,
        `${size} bytes${chunked ? ', chunked' : ''}: the client saw ${answer.error}`,
      );
      assert.equal(answer.status, 413);
      assert.deepEqual(JSON.parse(answer.body), {
        code: 'PayloadTooLarge',
        message: 'The request body is larger than the server accepts.',
        details: {},
      });
    }
  });

  it('answers 100 KB of headers 431 with the JSON error', async () => {
    const head = `GET /v1/packs HTTP/1.1\r\nHost: strata\r\nAuthorization: Bearer ${'x'.repeat(100_000)}\r\n\r\n`;
    const answer = await writeAllThenRead(port, head, null);
    assert.equal(answer.status, 431, JSON.stringify(answer));
    const body = JSON.parse(answer.body) as { code: string; message: string };
    assert.equal(body.code, 'RequestHeaderFieldsTooLarge');
    assert.match(body.message, /headers are larger than the server accepts/);
  });
});
