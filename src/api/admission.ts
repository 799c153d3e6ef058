/**
 * Admission control: a bounded number of requests of each class (reads, writes, plans, event streams) run at
 * once, a bounded number wait, and the rest are answered at once `429 TooManyRequests` with `Retry-After` — so
 * an overloaded server answers every request quickly (a few are refused) instead of queueing thousands until
 * clients time out and connections reset. A waiting request that waits too long is refused the same way.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StrataError } from '../core/errors.ts';

/** Classes of requests, each with its own limits. */
export type RouteClass = 'read' | 'write' | 'plan' | 'stream';

/** The limits of one class. */
export interface ClassLimits {
  /** Requests that run at once. */
  concurrency: number;
  /** Requests that may wait for a turn; more are refused at once. */
  queue: number;
  /** Longest wait for a turn before a waiting request is refused. */
  maxWaitMs: number;
}

/** Limits by class. */
export type AdmissionLimits = Record<RouteClass, ClassLimits>;

/**
 * Defaults sized for one process on a small machine. A request that runs holds (or waits for) one of the store's
 * connections, so running more than the pool holds only moves the queue where no deadline applies: reads run
 * as many at once as the pool has connections (the embedded store has one); plans are CPU work; event streams
 * are long-lived and only counted.
 */
export function defaultAdmissionLimits(storeConnections: number): AdmissionLimits {
  const connections = Math.max(1, storeConnections);
  return {
    read: { concurrency: Math.max(2, connections), queue: 256, maxWaitMs: 2_000 },
    write: { concurrency: Math.max(2, Math.ceil(connections / 2)), queue: 64, maxWaitMs: 10_000 },
    plan: { concurrency: 2, queue: 32, maxWaitMs: 10_000 },
    stream: { concurrency: 1_000, queue: 0, maxWaitMs: 0 },
  };
}

/** Returns the class of a request: streams, plans (and rollout previews/starts), other writes, reads. */
export function routeClassOf(request: FastifyRequest): RouteClass {
  const url = request.routeOptions.url ?? '';
  if (request.routeOptions.config.queryToken || url.endsWith('/stream')) return 'stream';
  if (request.method === 'GET' || request.method === 'HEAD') return 'read';
  if (url.endsWith('/plan') || url === '/v1/rollouts') return 'plan';
  return 'write';
}

interface Waiter {
  admit: () => void;
  timer: NodeJS.Timeout;
}

/** One class's turns: a count of running requests and a FIFO of waiting ones. */
class ClassGate {
  running = 0;
  readonly waiting: Waiter[] = [];
  /** Recent service times (ms), for the `Retry-After` estimate. */
  #serviceMs = 50;

  constructor(
    readonly name: RouteClass,
    readonly limits: ClassLimits,
  ) {}

  /** Resolves once the request may run; rejects with `TooManyRequests` when it may not wait (or waited too long). */
  enter(aborted: AbortSignal): Promise<void> {
    if (this.running < this.limits.concurrency && this.waiting.length === 0) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.limits.queue) return Promise.reject(this.refusal('full'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(waiter.timer);
          this.running += 1;
          resolve();
        },
        timer: setTimeout(() => {
          this.#drop(waiter);
          reject(this.refusal('waited'));
        }, this.limits.maxWaitMs),
      };
      this.waiting.push(waiter);
      aborted.addEventListener(
        'abort',
        () => {
          this.#drop(waiter);
          reject(
            new StrataError('BadRequest', 'The client went away while waiting.', { reason: 'ClientGone' }),
          );
        },
        { once: true },
      );
    });
  }

  /** Ends a running request (`ms` it took) and lets the next waiting one in. */
  leave(ms: number): void {
    this.running -= 1;
    this.#serviceMs = this.#serviceMs * 0.9 + ms * 0.1;
    const next = this.waiting.shift();
    next?.admit();
  }

  #drop(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    const at = this.waiting.indexOf(waiter);
    if (at !== -1) this.waiting.splice(at, 1);
  }

  /** The refusal: how busy the class is and when to try again (the time the queue takes to drain, 1–30 s). */
  refusal(why: 'full' | 'waited'): StrataError {
    const drainMs = ((this.waiting.length + 1) * this.#serviceMs) / Math.max(1, this.limits.concurrency);
    const retryAfterSeconds = Math.min(30, Math.max(1, Math.ceil(drainMs / 1000)));
    return new StrataError(
      'TooManyRequests',
      `The server is at capacity for ${this.name} requests (${this.limits.concurrency} running, ${this.waiting.length} waiting); retry in ${retryAfterSeconds} s.`,
      { reason: why === 'full' ? 'QueueFull' : 'WaitedTooLong', routeClass: this.name, retryAfterSeconds },
    );
  }
}

/** The admission gates of one server. */
export class AdmissionControl {
  readonly #gates: Record<RouteClass, ClassGate>;

  constructor(storeConnections: number, limits: Partial<Record<RouteClass, Partial<ClassLimits>>> = {}) {
    const defaults = defaultAdmissionLimits(storeConnections);
    const gate = (c: RouteClass) => new ClassGate(c, { ...defaults[c], ...limits[c] });
    this.#gates = { read: gate('read'), write: gate('write'), plan: gate('plan'), stream: gate('stream') };
  }

  /**
   * Waits for the request's turn in its class, or throws `TooManyRequests`. The turn ends when the response is
   * finished or the connection closes (an event stream's turn lasts as long as the stream).
   */
  async admit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const gate = this.#gates[routeClassOf(request)];
    // The response's `close` comes when it is finished or when the client goes away, whichever is first.
    const response = reply.raw;
    const aborted = new AbortController();
    const onClose = () => aborted.abort();
    response.once('close', onClose);
    try {
      await gate.enter(aborted.signal);
    } finally {
      response.off('close', onClose);
    }
    const started = performance.now();
    if (response.destroyed || response.writableFinished) {
      gate.leave(0);
      return;
    }
    response.once('close', () => gate.leave(performance.now() - started));
  }

  /** Returns how many requests of each class run and wait (for tests and figures). */
  load(): Record<RouteClass, { running: number; waiting: number }> {
    const of = (g: ClassGate) => ({ running: g.running, waiting: g.waiting.length });
    return {
      read: of(this.#gates.read),
      write: of(this.#gates.write),
      plan: of(this.#gates.plan),
      stream: of(this.#gates.stream),
    };
  }
}
