/**
 * Server-sent event streams over the live event bus: each stream writes the events matching its filter as
 * `id`/`event`/`data` frames and a comment line every heartbeat interval (so proxies and clients notice a dead
 * connection). Streams are tracked so a closing server ends them instead of waiting on them forever.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LiveEvent, LiveEventBus, LiveEventFilter } from './event-bus.ts';

/** Default interval of heartbeat comments. */
export const SSE_HEARTBEAT_MS = 15_000;

/** The open event streams of one server. */
export class SseStreams {
  readonly #open = new Set<() => void>();

  /**
   * Takes over the response and streams matching events until the client goes away or the server closes;
   * returns once the stream is set up (the reply is hijacked, Fastify sends nothing more).
   */
  open(
    request: FastifyRequest,
    reply: FastifyReply,
    bus: LiveEventBus,
    filter: LiveEventFilter,
    heartbeatMs: number,
    /** What this subscriber may see of each event's JSON (credentials hidden below admin). */
    asSeen: (json: string) => string = (json) => json,
  ): void {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(
      `retry: 2000\n: connected${filter.cluster ? ` to events of cluster ${filter.cluster}` : ''}\n\n`,
    );
    const unsubscribe = bus.subscribe((event: LiveEvent) => {
      res.write(`id: ${event.id}\nevent: ${event.kind}\ndata: ${asSeen(JSON.stringify(event))}\n\n`);
    }, filter);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    heartbeat.unref();
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      this.#open.delete(close);
      if (!res.writableEnded) res.end();
    };
    this.#open.add(close);
    request.raw.on('close', close);
    res.on('close', close);
    res.on('error', close);
  }

  /** Ends every open stream (on server close). */
  closeAll(): void {
    for (const close of [...this.#open]) close();
  }

  /** Returns how many streams are open. */
  get size(): number {
    return this.#open.size;
  }
}
