/**
 * Live events between Strata processes sharing one PostgreSQL: a worker's engine publishes what changed with
 * `NOTIFY`, and the process serving the API `LISTEN`s and hands each event to its in-memory bus, so the
 * console's live view shows work done anywhere. Best effort, as the bus is: the durable record stays in the
 * tables. The channel is per schema, so installations (and test runs) in one database never hear each other.
 */
import { sql } from 'kysely';
import pg from 'pg';
import type { Store } from './open.ts';

/** PostgreSQL caps a notification's payload just under 8,000 bytes. */
const MAX_PAYLOAD = 7900;

/** An event as it travels: kind, cluster and data, plus the sending process. */
export interface ChannelEvent {
  kind: string;
  cluster?: string;
  data: Record<string, unknown>;
}

function channelOf(schema: string | undefined): string {
  return schema ? `strata_live_${schema}` : 'strata_live';
}

/** Sends an event to the processes listening on this store's channel (PostgreSQL only; a no-op on PGlite). */
export async function notifyLive(
  store: Store,
  schema: string | undefined,
  event: ChannelEvent,
): Promise<void> {
  if (store.driver !== 'postgres') return;
  let payload = JSON.stringify({ ...event, origin: process.pid });
  // Too large for one notification: the listener still learns what changed and reloads it.
  if (Buffer.byteLength(payload) > MAX_PAYLOAD) {
    payload = JSON.stringify({
      kind: event.kind,
      cluster: event.cluster,
      data: { truncated: true },
      origin: process.pid,
    });
  }
  await sql`SELECT pg_notify(${channelOf(schema)}, ${payload})`.execute(store.db);
}

/** A running listener. */
export interface LiveListener {
  close(): Promise<void>;
}

/**
 * Listens on the channel with a dedicated connection and calls `onEvent` for each event from another process;
 * reconnects after a lost connection (events sent meanwhile are missed, as with any live view).
 */
export async function listenLive(
  databaseUrl: string,
  schema: string | undefined,
  onEvent: (event: ChannelEvent) => void,
  onError: (error: unknown) => void = () => {},
): Promise<LiveListener> {
  const channel = channelOf(schema);
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const scheduleReconnect = (): void => {
    retry = setTimeout(() => {
      connect().catch((error: unknown) => {
        onError(error);
        if (!closed) scheduleReconnect();
      });
    }, 1000);
    retry.unref();
  };
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on('notification', (message) => {
      if (message.channel !== channel || !message.payload) return;
      try {
        const parsed = JSON.parse(message.payload) as ChannelEvent & { origin?: number };
        if (parsed.origin === process.pid) return;
        onEvent({ kind: parsed.kind, cluster: parsed.cluster, data: parsed.data ?? {} });
      } catch (error) {
        onError(error);
      }
    });
    c.on('error', (error) => {
      onError(error);
      c.end().catch(() => {});
      if (client === c) client = null;
      if (!closed) scheduleReconnect();
    });
    await c.connect();
    await c.query(`LISTEN ${channel}`);
    if (closed) await c.end();
    else client = c;
  };
  await connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => {});
      client = null;
    },
  };
}
