/**
 * PGlite runs each statement synchronously inside this process, and its node-postgres adapter chains them with
 * promises: as long as statements are queued, the next one starts in a microtask, so timers and sockets never get
 * a turn. With hundreds of clusters the queue is never empty — the simulator's HTTPS answers and the engine's
 * timers wait behind it, the work they would finish keeps queueing more statements, and the fleet stalls (seen
 * with 150 clusters created at once: stuck in Provisioning, no timer firing for minutes).
 *
 * `fairPglite` hands the adapter a view of the database whose protocol calls yield to the event loop once a run
 * of statements has held it for `sliceMs`, so I/O is served between slices; idle or light use never waits.
 */
import type { PGlite } from '@electric-sql/pglite';

type ExecProtocolStream = PGlite['execProtocolStream'];

/** Returns `pglite` with `execProtocolStream` yielding to the event loop every `sliceMs` of back-to-back use. */
export function fairPglite(pglite: PGlite, sliceMs = 8): PGlite {
  let sliceStart = performance.now();
  let lastTurn = 0;
  const execProtocolStream: ExecProtocolStream = async (message, options) => {
    const now = performance.now();
    // A gap since the last statement means the event loop ran meanwhile: a new slice starts.
    if (now - lastTurn > 1) sliceStart = now;
    if (now - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
    try {
      return await pglite.execProtocolStream(message, options);
    } finally {
      lastTurn = performance.now();
    }
  };
  return new Proxy(pglite, {
    get(target, property) {
      if (property === 'execProtocolStream') return execProtocolStream;
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
