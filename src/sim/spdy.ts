/**
 * The server side of SPDY/3.1 framing, as far as Kubernetes' port-forward protocol uses it: kubectl 1.35
 * tunnels a SPDY connection through a WebSocket (`SPDY/3.1+portforward.k8s.io`) and opens two streams per
 * forwarded connection. Handled here: SYN_STREAM (answered with SYN_REPLY), DATA with FIN, RST_STREAM, PING
 * (echoed), SETTINGS, WINDOW_UPDATE and GOAWAY. Header blocks are zlib-compressed against the SPDY/3
 * dictionary, one zlib stream per direction (node:zlib). Flow-control windows are not enforced: Kubernetes'
 * SPDY library (moby/spdystream) does not enforce them either, and forwarded HTTP exchanges are small.
 */
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

const VERSION = 3;
const FLAG_FIN = 0x01;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
/** RST_STREAM status codes used here. */
const RST_PROTOCOL_ERROR = 1;

/** The words of the SPDY/3 header dictionary's first part, each stored with a 4-byte length before it. */
const DICTIONARY_WORDS = [
  'options',
  'head',
  'post',
  'put',
  'delete',
  'trace',
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'age',
  'allow',
  'authorization',
  'cache-control',
  'connection',
  'content-base',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'etag',
  'expect',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'pragma',
  'proxy-authenticate',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'server',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'vary',
  'via',
  'warning',
  'www-authenticate',
  'method',
  'get',
  'status',
  '200 OK',
  'version',
  'HTTP/1.1',
  'url',
  'public',
  'set-cookie',
  'keep-alive',
  'origin',
];
/** The dictionary's second part, stored as is. */
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/** The SPDY/3 zlib dictionary (1423 bytes), assembled from the specification's word list. */
export const SPDY_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.flatMap((w) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    return [len, Buffer.from(w, 'latin1')];
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

/** One SPDY stream opened by the client. */
export interface SpdyStream {
  readonly id: number;
  /** Header names lower-cased, values as sent. */
  readonly headers: Map<string, string>;
  /** Sends data to the client. */
  write(data: Buffer): void;
  /** Half-closes the stream from the server side (DATA with FIN). */
  end(): void;
  /** Called with the client's data; `fin` when the client half-closed. */
  onData: (data: Buffer) => void;
  onEnd: () => void;
}

function runZlib(z: Inflate | Deflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    const onError = (e: Error) => {
      z.off('data', onData);
      reject(e);
    };
    z.on('data', onData);
    z.once('error', onError);
    z.write(input);
    z.flush(constants.Z_SYNC_FLUSH, () => {
      z.off('data', onData);
      z.off('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

function parseHeaderBlock(block: Buffer): Map<string, string> {
  const headers = new Map<string, string>();
  let at = 0;
  const count = block.readUInt32BE(at);
  at += 4;
  for (let i = 0; i < count; i += 1) {
    const nameLen = block.readUInt32BE(at);
    const name = block.subarray(at + 4, at + 4 + nameLen).toString('latin1');
    at += 4 + nameLen;
    const valueLen = block.readUInt32BE(at);
    const value = block.subarray(at + 4, at + 4 + valueLen).toString('latin1');
    at += 4 + valueLen;
    headers.set(name.toLowerCase(), value);
  }
  return headers;
}

function headerBlock(headers: [string, string][]): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  parts.push(u32(headers.length));
  for (const [k, v] of headers)
    parts.push(u32(k.length), Buffer.from(k, 'latin1'), u32(v.length), Buffer.from(v, 'latin1'));
  return Buffer.concat(parts);
}

function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24) | body.length, 4);
  return Buffer.concat([head, body]);
}

function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
  return Buffer.concat([head, data]);
}

/** A SPDY/3.1 server session over a byte transport (here: a WebSocket's binary messages). */
export class SpdyServerSession {
  private buffer: Buffer = Buffer.alloc(0);
  private chain: Promise<void> = Promise.resolve();
  private readonly inflater = createInflate({ dictionary: SPDY_DICTIONARY });
  private readonly deflater = createDeflate({ dictionary: SPDY_DICTIONARY });
  private readonly streams = new Map<
    number,
    SpdyStream & { closedByClient: boolean; closedByServer: boolean }
  >();
  private closed = false;

  constructor(
    private readonly send: (data: Buffer) => void,
    private readonly onStream: (stream: SpdyStream) => void,
    private readonly onClose: () => void,
  ) {}

  /** Feeds bytes from the client. */
  receive(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    while (this.buffer.length >= 8) {
      const length = this.buffer.readUInt32BE(4) & 0xffffff;
      if (this.buffer.length < 8 + length) break;
      const frame = this.buffer.subarray(0, 8 + length);
      this.buffer = this.buffer.subarray(8 + length);
      this.chain = this.chain.then(() => this.handleFrame(frame)).catch(() => this.close());
    }
  }

  /** Ends the session: every stream is forgotten and the zlib streams are released. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.streams.clear();
    this.inflater.close();
    this.deflater.close();
    this.onClose();
  }

  private async handleFrame(frame: Buffer): Promise<void> {
    if (this.closed) return;
    const isControl = (frame[0]! & 0x80) !== 0;
    const flags = frame[4]!;
    const body = frame.subarray(8);
    if (!isControl) {
      const id = frame.readUInt32BE(0) & 0x7fffffff;
      const stream = this.streams.get(id);
      if (!stream) return;
      if (body.length > 0) stream.onData(Buffer.from(body));
      if (flags & FLAG_FIN) {
        stream.closedByClient = true;
        stream.onEnd();
        this.forgetIfDone(stream);
      }
      return;
    }
    const type = frame.readUInt16BE(2);
    if (type === SYN_STREAM) {
      const id = body.readUInt32BE(0) & 0x7fffffff;
      const headers = parseHeaderBlock(await runZlib(this.inflater, body.subarray(10)));
      const reply = Buffer.concat([
        Buffer.from([(id >>> 24) & 0x7f, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]),
        await runZlib(this.deflater, headerBlock([])),
      ]);
      if (this.closed) return;
      this.send(controlFrame(SYN_REPLY, 0, reply));
      const session = this;
      const stream = {
        id,
        headers,
        closedByClient: (flags & FLAG_FIN) !== 0,
        closedByServer: false,
        onData: () => undefined,
        onEnd: () => undefined,
        write(data: Buffer) {
          if (session.closed || this.closedByServer) return;
          for (let at = 0; at < data.length; at += 0xffff)
            session.send(dataFrame(id, 0, data.subarray(at, at + 0xffff)));
        },
        end() {
          if (session.closed || this.closedByServer) return;
          this.closedByServer = true;
          session.send(dataFrame(id, FLAG_FIN, Buffer.alloc(0)));
          session.forgetIfDone(this);
        },
      };
      this.streams.set(id, stream);
      this.onStream(stream);
      return;
    }
    if (type === RST_STREAM) {
      const id = body.readUInt32BE(0) & 0x7fffffff;
      const stream = this.streams.get(id);
      this.streams.delete(id);
      if (stream && !stream.closedByClient) stream.onEnd();
      return;
    }
    if (type === PING) {
      this.send(controlFrame(PING, 0, Buffer.from(body)));
      return;
    }
    if (type === GOAWAY) {
      this.close();
      return;
    }
    // SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do for port-forward.
  }

  /** Refuses a stream (RST_STREAM, protocol error). */
  reset(streamId: number): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(streamId & 0x7fffffff, 0);
    body.writeUInt32BE(RST_PROTOCOL_ERROR, 4);
    this.send(controlFrame(RST_STREAM, 0, body));
    this.streams.delete(streamId);
  }

  private forgetIfDone(stream: { id: number; closedByClient: boolean; closedByServer: boolean }): void {
    if (stream.closedByClient && stream.closedByServer) this.streams.delete(stream.id);
  }
}
