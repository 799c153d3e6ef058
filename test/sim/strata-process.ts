/**
 * A real `strata up` (engine, simulator, store) as a child process on a STRATA_HOME the caller keeps, so a test
 * can stop it (SIGTERM or SIGKILL) and start it again on the same data, the way an operator restarts Strata.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type CommandResult, runStrata, STRATA_BIN } from '../e2e/support.ts';

const root = new URL('../..', import.meta.url).pathname;

/** A running `strata up`. */
export interface StrataProcess {
  apiUrl: string;
  kubeUrl: string;
  /** Everything it printed so far. */
  log(): string;
  /** Runs `strata ARGS…` (the CLI) against it. */
  cli(args: readonly string[]): Promise<CommandResult>;
  /** Sends `signal` and resolves with the exit code (null when killed) once the process is gone. */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<number | null>;
}

function envFor(home: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, STRATA_HOME: home, ...extra };
  for (const key of ['DATABASE_URL', 'STRATA_URL', 'STRATA_TOKEN', 'STRATA_PORT', 'STRATA_KUBE_PORT']) {
    if (!(key in extra)) delete env[key];
  }
  return env;
}

/** Starts `strata up --port 0 --kube-port 0 ARGS` on `home`; resolves once it printed its URLs. */
export async function startStrataUp(
  home: string,
  options: { args?: readonly string[]; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<StrataProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [STRATA_BIN, 'up', '--port', '0', '--kube-port', '0', ...(options.args ?? [])],
    { cwd: root, env: envFor(home, options.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  let log = '';
  child.stdout?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (signal: 'SIGTERM' | 'SIGKILL') => {
    process.off('exit', orphanGuard);
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const timeoutMs = options.timeoutMs ?? 180_000;
  try {
    const urls = await new Promise<{ apiUrl: string; kubeUrl: string }>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`strata up did not start within ${timeoutMs} ms:\n${log}`)),
        timeoutMs,
      );
      child.stdout?.on('data', () => {
        const api = /REST API:\s+(http\S+)\/v1/.exec(log);
        const kube = /Kubernetes API:\s+(https\S+)\/clusters/.exec(log);
        if (api && kube && log.includes('Stop with Ctrl-C')) {
          clearTimeout(timer);
          resolve({ apiUrl: api[1]!, kubeUrl: kube[1]! });
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`strata up exited with ${String(code)} before it was up:\n${log}`));
      });
    });
    const cliEnv = envFor(home, { STRATA_URL: urls.apiUrl });
    return {
      ...urls,
      log: () => log,
      cli: (args) => runStrata(args, cliEnv, { timeoutMs: 120_000 }),
      stop,
    };
  } catch (error) {
    await stop('SIGKILL');
    throw error;
  }
}
