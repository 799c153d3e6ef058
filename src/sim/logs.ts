/**
 * Container logs (`pods/<name>/log`), generated on request, never stored: a container's log is a pure
 * function of its pod's uid, the container's name, image and instance (restart count), its start time and
 * the time asked about. It opens with start-up lines naming the image, then one line per simulated event on
 * a fixed per-container cadence: a request the app served or a kubelet probe. Nothing runs per container;
 * `follow` holds one timer per following client only. Like the kubelet's log rotation, only the last
 * `LOG_RETAINED_LINES` lines of a container instance are kept.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { StrataError } from '../core/errors.ts';
import type { KubeObject } from './kube-object.ts';
import { isJsonObject } from './kube-object.ts';
import type { SimCluster } from './sim-cluster.ts';

/** The most recent lines a container instance keeps (older ones are rotated away). */
export const LOG_RETAINED_LINES = 10_000;

/** The options of a log request (the query parameters of `pods/log`). */
export interface LogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
}

/** One container instance's log source: what its lines are derived from. */
export interface LogSource {
  pod: string;
  namespace: string;
  uid: string;
  container: string;
  image: string;
  /** Which start of the container (its restart count at the time). */
  instance: number;
  /** When the instance started (epoch ms). */
  startedAt: number;
  /** When it stopped (epoch ms), for a previous instance. */
  finishedAt?: number;
  /** Milliseconds between two lines after start-up. */
  intervalMs: number;
  podIP: string;
  port: number;
}

function digest(seed: string): Buffer {
  return createHash('sha256').update(seed).digest();
}

/** Returns the log options of a `pods/log` query. */
export function logOptionsOf(query: URLSearchParams): LogOptions {
  const int = (name: string): number | undefined => {
    const v = query.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) {
      throw new StrataError('BadRequest', `invalid value for ${name}: "${v}" is not an integer`);
    }
    return n;
  };
  const bool = (name: string) => query.get(name) === 'true' || query.get(name) === '1';
  const options: LogOptions = {
    follow: bool('follow'),
    previous: bool('previous'),
    timestamps: bool('timestamps'),
  };
  const container = query.get('container');
  if (container) options.container = container;
  const tail = int('tailLines');
  if (tail !== undefined) options.tailLines = tail;
  const since = int('sinceSeconds');
  if (since !== undefined) {
    if (since < 1)
      throw new StrataError(
        'ValidationFailed',
        'PodLogOptions "" is invalid: sinceSeconds: Invalid value: ' + `${since}: must be greater than 0`,
      );
    options.sinceSeconds = since;
  }
  const sinceTime = query.get('sinceTime');
  if (sinceTime) options.sinceTime = sinceTime;
  const limit = int('limitBytes');
  if (limit !== undefined) options.limitBytes = limit;
  return options;
}

function containerNames(pod: KubeObject): string[] {
  const spec = isJsonObject(pod['spec']) ? pod['spec'] : {};
  const list = Array.isArray(spec['containers']) ? spec['containers'] : [];
  return list.filter(isJsonObject).map((c) => String(c['name'] ?? ''));
}

function containerSpec(pod: KubeObject, name: string): Record<string, unknown> {
  const spec = isJsonObject(pod['spec']) ? pod['spec'] : {};
  const list = Array.isArray(spec['containers']) ? spec['containers'] : [];
  return (list.filter(isJsonObject).find((c) => c['name'] === name) ?? {}) as Record<string, unknown>;
}

function containerStatus(pod: KubeObject, name: string): Record<string, unknown> | undefined {
  const status = isJsonObject(pod['status']) ? pod['status'] : {};
  const list = Array.isArray(status['containerStatuses']) ? status['containerStatuses'] : [];
  return list.filter(isJsonObject).find((s) => s['name'] === name);
}

/** Returns the container a request is about, with the errors the API server gives. */
export function chooseContainer(pod: KubeObject, asked: string | undefined): string {
  const names = containerNames(pod);
  const podName = pod.metadata.name;
  if (asked === undefined) {
    if (names.length === 1) return names[0]!;
    throw new StrataError(
      'BadRequest',
      `a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`,
    );
  }
  if (!names.includes(asked)) {
    throw new StrataError('BadRequest', `container ${asked} is not valid for pod ${podName}`);
  }
  return asked;
}

function firstPort(pod: KubeObject, container: string): number {
  const ports = containerSpec(pod, container)['ports'];
  const first = Array.isArray(ports) ? ports.find(isJsonObject) : undefined;
  return first && typeof first['containerPort'] === 'number' ? first['containerPort'] : 8080;
}

/** Returns the log source of a pod's container (its current or, with `previous`, its last instance). */
export function logSourceOf(pod: KubeObject, container: string, previous: boolean): LogSource {
  const status = containerStatus(pod, container);
  const podName = pod.metadata.name;
  const state = isJsonObject(status?.['state']) ? status['state'] : {};
  const base = {
    pod: podName,
    namespace: pod.metadata.namespace ?? '',
    uid: pod.metadata.uid ?? '',
    container,
    image: String(containerSpec(pod, container)['image'] ?? ''),
    podIP: String((isJsonObject(pod['status']) ? pod['status']['podIP'] : undefined) ?? '127.0.0.1'),
    port: firstPort(pod, container),
    intervalMs: 2000 + (digest(`${pod.metadata.uid}/${container}`).readUInt16BE(0) % 4000),
  };
  const restarts = Number(status?.['restartCount'] ?? 0);
  const last = isJsonObject(status?.['lastState']) ? status['lastState'] : {};
  const lastTerminated = isJsonObject(last['terminated']) ? last['terminated'] : undefined;
  // The last terminated instance: the one before the running one, or, while the container waits to be
  // restarted (CrashLoopBackOff), the one that just exited — which is also what a plain log request shows then.
  const lastInstance = (term: Record<string, unknown>): LogSource => ({
    ...base,
    instance: isJsonObject(state['waiting']) ? restarts : Math.max(0, restarts - 1),
    startedAt: Date.parse(String(term['startedAt'] ?? '')) || 0,
    finishedAt: Date.parse(String(term['finishedAt'] ?? '')) || 0,
  });
  if (previous) {
    if (!lastTerminated) {
      throw new StrataError(
        'BadRequest',
        `previous terminated container "${container}" in pod "${podName}" not found`,
      );
    }
    return lastInstance(lastTerminated);
  }
  const running = isJsonObject(state['running']) ? state['running'] : undefined;
  const terminated = isJsonObject(state['terminated']) ? state['terminated'] : undefined;
  if (running) {
    return { ...base, instance: restarts, startedAt: Date.parse(String(running['startedAt'])) || 0 };
  }
  if (terminated) {
    return {
      ...base,
      instance: restarts,
      startedAt: Date.parse(String(terminated['startedAt'] ?? '')) || 0,
      finishedAt: Date.parse(String(terminated['finishedAt'] ?? '')) || 0,
    };
  }
  if (lastTerminated) return lastInstance(lastTerminated);
  const waiting = isJsonObject(state['waiting']) ? state['waiting'] : {};
  throw new StrataError(
    'BadRequest',
    `container "${container}" in pod "${podName}" is waiting to start: ${String(waiting['reason'] ?? 'ContainerCreating')}`,
  );
}

/** One log line and when it was written. */
export interface LogLine {
  at: number;
  text: string;
}

const PATHS = ['/', '/', '/', '/api/info', '/static/app.js', '/favicon.ico'];
const AGENTS = ['curl/8.5.0', 'Mozilla/5.0', 'Go-http-client/1.1', 'python-requests/2.32.3'];

function startupLines(s: LogSource): LogLine[] {
  const app = s.image.split('/').pop()?.split(':')[0] ?? s.container;
  const version = s.image.includes(':') ? s.image.slice(s.image.lastIndexOf(':') + 1) : 'latest';
  return [
    { at: s.startedAt, text: `Starting ${app} ${version} (image ${s.image})` },
    {
      at: s.startedAt + 3,
      text: `Container ${s.container} of pod ${s.namespace}/${s.pod}, instance ${s.instance}`,
    },
    { at: s.startedAt + 11, text: `Listening on 0.0.0.0:${s.port}` },
  ];
}

/** Returns the k-th line after start-up (k ≥ 1): a probe or a request, derived from the source's seed. */
function tickLine(s: LogSource, k: number): LogLine {
  const at = s.startedAt + k * s.intervalMs;
  const h = digest(`${s.uid}/${s.container}/${s.instance}/${k}`);
  const stamp = new Date(at).toISOString();
  if (h[0]! % 3 === 0) {
    return { at, text: `${stamp} GET /healthz 200 0.${String(h[1]! % 10)}ms probe=kubelet` };
  }
  const path = PATHS[h[2]! % PATHS.length]!;
  const status = path === '/favicon.ico' ? 404 : 200;
  const client = `10.244.${h[3]! % 8}.${(h[4]! % 250) + 2}`;
  const ms = (h[5]! % 90) + 1;
  return {
    at,
    text: `${stamp} ${client} GET ${path} ${status} ${ms}ms "${AGENTS[h[6]! % AGENTS.length]}"`,
  };
}

/** Returns the lines of a source written in [from, to] (epoch ms), at most the last `LOG_RETAINED_LINES`. */
export function logLines(s: LogSource, from: number, to: number, tail?: number): LogLine[] {
  const end = s.finishedAt !== undefined ? Math.min(to, s.finishedAt) : to;
  const lastTick = Math.max(0, Math.floor((end - s.startedAt) / s.intervalMs));
  const firstTick = Math.max(1, Math.ceil((from - s.startedAt) / s.intervalMs));
  const startup = startupLines(s).filter((l) => l.at >= from && l.at <= end);
  const total = startup.length + Math.max(0, lastTick - firstTick + 1);
  const keep = Math.min(total, LOG_RETAINED_LINES, tail ?? Number.POSITIVE_INFINITY);
  const ticks = Math.max(0, lastTick - firstTick + 1);
  const fromTicks = Math.min(ticks, keep);
  const out = startup.slice(startup.length - Math.max(0, keep - fromTicks));
  for (let k = lastTick - fromTicks + 1; k <= lastTick; k += 1) out.push(tickLine(s, k));
  return out;
}

/** Returns a line as written to the client (`timestamps=true` prefixes RFC 3339 time with nanoseconds). */
export function formatLine(line: LogLine, timestamps: boolean): string {
  if (!timestamps) return `${line.text}\n`;
  const iso = new Date(line.at).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000000Z ${line.text}\n`;
}

/** Writes a pod's log to `res` (and, with `follow`, new lines as they come until the pod or client goes). */
export function serveLogs(
  res: ServerResponse,
  cluster: SimCluster,
  pod: KubeObject,
  options: LogOptions,
): void {
  const container = chooseContainer(pod, options.container);
  const source = logSourceOf(pod, container, options.previous);
  const now = cluster.now();
  let from = source.startedAt;
  if (options.sinceSeconds !== undefined) from = Math.max(from, now - options.sinceSeconds * 1000);
  if (options.sinceTime) {
    const t = Date.parse(options.sinceTime);
    if (Number.isFinite(t)) from = Math.max(from, t);
  }
  const lines = logLines(
    source,
    from,
    now,
    options.tailLines !== undefined && options.tailLines >= 0 ? options.tailLines : undefined,
  );
  let budget = options.limitBytes ?? Number.POSITIVE_INFINITY;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  const write = (line: LogLine): boolean => {
    const text = formatLine(line, options.timestamps);
    const bytes = Buffer.byteLength(text);
    if (bytes > budget) {
      res.write(Buffer.from(text).subarray(0, budget));
      budget = 0;
      return false;
    }
    budget -= bytes;
    res.write(text);
    return true;
  };
  for (const l of lines) if (!write(l)) return void res.end();
  if (!options.follow || source.finishedAt !== undefined) {
    res.end();
    return;
  }
  res.flushHeaders();
  let written = now;
  const uid = pod.metadata.uid;
  const key = ['/pods', pod.metadata.namespace, pod.metadata.name] as const;
  const tick = () => {
    const current = cluster.store.get(key[0], key[1], key[2]);
    if (!current || current.metadata.uid !== uid) {
      res.end();
      return;
    }
    const t = cluster.now();
    for (const l of logLines(source, written + 1, t)) if (!write(l)) return void res.end();
    written = t;
    timer = setTimeout(tick, source.intervalMs);
  };
  let timer = setTimeout(tick, source.intervalMs - ((now - source.startedAt) % source.intervalMs) + 1);
  res.on('close', () => clearTimeout(timer));
}
