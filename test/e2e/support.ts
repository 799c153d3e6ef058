/**
 * End-to-end helpers: a real `strata up` as a child process on a temporary STRATA_HOME and free ports, and the
 * `strata` CLI run as child processes of `bin/strata.js` against it (STRATA_URL / STRATA_HOME), the way a user
 * types the commands. Nothing here reaches into the server's process.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
/** The `strata` command of this clone. */
export const STRATA_BIN = join(root, 'bin', 'strata.js');

/** The outcome of one command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A `strata up` running as a child process. */
export interface StrataServer {
  home: string;
  apiUrl: string;
  kubeUrl: string;
  /** Everything the server printed so far (for failure messages). */
  log(): string;
  /** Runs `strata ARGS…` against this server. */
  cli(args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<CommandResult>;
  /** SIGTERM, wait for the exit, remove the home directory. */
  stop(): Promise<void>;
}

/** The environment a child gets: the caller's, without anything that would point it elsewhere. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['DATABASE_URL', 'STRATA_URL', 'STRATA_TOKEN', 'STRATA_PORT', 'STRATA_KUBE_PORT']) {
    delete env[key];
  }
  return { ...env, ...extra };
}

/** Runs `node bin/strata.js ARGS…` with `env`; never rejects. */
export function runStrata(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string; timeoutMs?: number; bin?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [options.bin ?? STRATA_BIN, ...args],
      { cwd: root, env, timeout: options.timeoutMs ?? 240_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

function waitForExit(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Starts `strata up --port 0 --kube-port 0 [args]` on a new temporary home and resolves once it printed its URLs.
 * `simBootMs` becomes `STRATA_SIM_BOOT_MS` (simulated machines boot in that long instead of 5 s).
 */
export async function startStrataServer(
  options: { simBootMs?: number; bootTimeoutMs?: number; args?: readonly string[] } = {},
): Promise<StrataServer> {
  const home = await mkdtemp(join(tmpdir(), 'strata-e2e-'));
  const env = cleanEnv({
    STRATA_HOME: home,
    ...(options.simBootMs !== undefined ? { STRATA_SIM_BOOT_MS: String(options.simBootMs) } : {}),
  });
  const args = [STRATA_BIN, 'up', '--port', '0', '--kube-port', '0', ...(options.args ?? [])];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // If this test process ends without `stop()` (a timeout, a crash), take the server down with it.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  let log = '';
  child.stdout.on('data', (d: Buffer) => {
    log += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const stop = async () => {
    process.off('exit', orphanGuard);
    child.kill('SIGTERM');
    await waitForExit(child, 20_000);
    await rm(home, { recursive: true, force: true });
  };
  try {
    const urls = await new Promise<{ apiUrl: string; kubeUrl: string }>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`strata up did not start within ${options.bootTimeoutMs ?? 180_000} ms:\n${log}`)),
        options.bootTimeoutMs ?? 180_000,
      );
      const look = () => {
        const api = /REST API:\s+(http\S+)\/v1/.exec(log);
        const kube = /Kubernetes API:\s+(https\S+)\/clusters/.exec(log);
        if (api && kube && log.includes('Stop with Ctrl-C')) {
          clearTimeout(timer);
          resolve({ apiUrl: api[1]!, kubeUrl: kube[1]! });
        }
      };
      child.stdout.on('data', look);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`strata up exited with ${String(code)} before it was up:\n${log}`));
      });
    });
    const cliEnv = cleanEnv({ STRATA_HOME: home, STRATA_URL: urls.apiUrl });
    return {
      home,
      ...urls,
      log: () => log,
      cli: (args, opts) => runStrata(args, cliEnv, opts),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `kubectl get pods -n hello-universe` with each pod's first container ID (the seed's custom columns). */
export const PODS = [
  'get',
  'pods',
  '-n',
  'hello-universe',
  '-o',
  'custom-columns=NAME:.metadata.name,ID:.status.containerStatuses[0].containerID',
  '--no-headers',
];

/** Parses `kubectl get pods -o custom-columns=NAME:…,ID:… --no-headers` into pod name → container ID. */
export function podTable(stdout: string): Map<string, string> {
  return new Map(
    stdout
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/) as [string, string]),
  );
}

/** A pod name without its ReplicaSet hash and random suffix (`api-5f7c9-abcde` → `api`). */
export function podPrefix(name: string): string {
  return name.replace(/-[a-z0-9]+-[a-z0-9]{5}$/, '');
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined, or throws on timeout. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  intervalMs = 500,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A profile file as a user writes it: the seed's stack, hello-universe with the API preset on or off. */
export function profileFile(
  version: string,
  api: boolean,
  opts: {
    name?: string;
    cloudType?: string;
    ubuntu?: string;
    kubernetes?: string;
    cni?: [string, string];
  } = {},
): string {
  const [cni, cniVersion] = opts.cni ?? ['calico', '3.28.2'];
  return `name: ${opts.name ?? 'hello-universe-aws'}
version: ${version}
type: full
cloudType: ${opts.cloudType ?? 'sim'}
description: Hello Universe ${api ? 'with its API and database' : 'UI only'}
layers:
  - pack: ubuntu
    version: ${opts.ubuntu ?? '22.4.5'}
  - pack: kubernetes
    version: ${opts.kubernetes ?? '1.30.10'}
  - pack: ${cni}
    version: ${cniVersion}
  - pack: csi-hostpath
    version: 1.14.1
  - pack: hello-universe
    version: 1.2.0
${api ? '    presets: [enable-api]\n' : ''}`;
}

/** A cluster as `strata cluster get -o json` prints it (the fields the tests read). */
export interface ClusterJson {
  name: string;
  generation: number;
  status: {
    phase: string;
    observedGeneration: number;
    repave: { state: string; reasons?: Array<{ code: string }> };
    appliedProfiles: Array<{ name: string; version: string; revision: number }>;
    conditions: Array<{ type: string; status: string; reason: string; message: string }>;
  };
}

/** CLI helpers that assert: `strata` (exit 0), `refused` (exit 1 with `[CODE]`), `cluster` (`get -o json`). */
export function checkedCli(server: () => StrataServer) {
  /** Runs `strata ARGS` and asserts exit 0, with the server's log in the message when it fails. */
  const strata = async (args: string[]): Promise<CommandResult> => {
    const r = await server().cli(args);
    assert.equal(
      r.code,
      0,
      `strata ${args.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nserver:\n${server().log().slice(-3000)}`,
    );
    return r;
  };
  /** Runs `strata ARGS`, expecting it to fail with exit 1 and `[CODE]` in its error line. */
  const refused = async (args: string[], code: string): Promise<CommandResult> => {
    const r = await server().cli(args);
    assert.equal(
      r.code,
      1,
      `strata ${args.join(' ')} should fail\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
    );
    assert.match(r.stderr, new RegExp(`^error: .+ \\[${code}\\]$`, 'm'), r.stderr);
    return r;
  };
  const cluster = async (name: string): Promise<ClusterJson> =>
    JSON.parse((await strata(['cluster', 'get', name, '-o', 'json'])).stdout) as ClusterJson;
  return { strata, refused, cluster };
}
