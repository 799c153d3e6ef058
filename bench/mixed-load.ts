/**
 * A mixed read load on the REST API from a separate process (`node:http` with keep-alive on loopback, so the load
 * does not share the server's event loop): requests drawn at random from a list, at a fixed rate (open loop: the
 * latency includes queueing), after unrecorded warm-up seconds at the same load. Latencies are returned per kind.
 */
import { spawn } from 'node:child_process';

/** One request the load may send. */
export interface LoadRequest {
  kind: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

/** What a load run measured. */
export interface LoadResult {
  /** Latencies in ms of the answered (200) requests by kind (recorded part only). */
  latencies: Record<string, number[]>;
  /** Answers other than 200 (not in `latencies`), by kind and status. */
  errors: Record<string, number>;
  /** Requests not sent because `inFlight` were already waiting. */
  dropped: number;
  elapsed: number;
}

const LOAD_SCRIPT = `
import http from 'node:http';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { url, token, requests, rate, seconds, inFlight, warmup } = JSON.parse(input);
const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
const { hostname, port } = new URL(url);
const latencies = {};
const errors = {};
let dropped = 0;
let active = 0;
const started = performance.now() + warmup * 1000;
const end = started + seconds * 1000;
const send = (r) => new Promise((resolve) => {
  const body = r.body === undefined ? undefined : JSON.stringify(r.body);
  const headers = { authorization: 'Bearer ' + token, ...(body ? { 'content-type': 'application/json' } : {}) };
  const req = http.request({ hostname, port, path: r.path, method: r.method, headers, agent }, (res) => {
    res.on('data', () => {});
    res.on('end', () => resolve(res.statusCode));
  });
  req.on('error', () => resolve(0));
  req.end(body);
});
const one = async () => {
  const r = requests[Math.floor(Math.random() * requests.length)];
  active++;
  const start = performance.now();
  const status = await send(r);
  if (start >= started) {
    // Latencies of answered requests only: a refusal (429, at capacity) is fast and would flatter the figure.
    if (status === 200) (latencies[r.kind] ??= []).push(performance.now() - start);
    else errors[r.kind + ' ' + status] = (errors[r.kind + ' ' + status] ?? 0) + 1;
  }
  active--;
};
const interval = 1000 / rate;
let next = performance.now();
const pending = [];
while (performance.now() < end) {
  if (performance.now() >= next) {
    if (active < inFlight) pending.push(one()); else dropped++;
    next += interval;
  } else {
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(1, next - performance.now()))));
  }
}
await Promise.all(pending);
process.stdout.write(JSON.stringify({ latencies, errors, dropped, elapsed: (performance.now() - started) / 1000 }));
`;

/** Runs the load; resolves with what it measured. */
export function runMixedLoad(options: {
  url: string;
  token: string;
  requests: readonly LoadRequest[];
  rate: number;
  seconds: number;
  inFlight?: number;
  warmupSeconds?: number;
}): Promise<LoadResult> {
  const args = JSON.stringify({
    url: options.url,
    token: options.token,
    requests: options.requests,
    rate: options.rate,
    seconds: options.seconds,
    inFlight: options.inFlight ?? 256,
    warmup: options.warmupSeconds ?? 2,
  });
  return new Promise((resolve, reject) => {
    // The request list goes on stdin: as an argument it can exceed the system's argument size.
    const child = spawn(process.execPath, ['--input-type=module', '-e', LOAD_SCRIPT], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.stdin.end(args);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load process exited ${code}`)),
    );
  });
}
