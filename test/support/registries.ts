/**
 * Real chart registries for tests: Debian's `docker-registry` (the CNCF distribution registry) started on a free
 * port with its own storage, filled with the pinned `helm push`; and an HTTP chart repository — a static server of
 * archives and the `index.yaml` the pinned `helm repo index` made, as chart repositories are served.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pinnedTool } from '../../src/render/tools.ts';

/** Where the registry binary is expected (Debian's package). */
export const DOCKER_REGISTRY = '/usr/bin/docker-registry';

/** Returns a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Runs the pinned helm with a private HOME; resolves with its output, rejects with its error text. */
export async function runHelm(args: string[], home: string): Promise<string> {
  const helm = await pinnedTool('helm');
  return new Promise((resolve, reject) => {
    execFile(
      helm.path,
      args,
      {
        env: {
          PATH: '/usr/bin:/bin',
          HOME: home,
          HELM_CACHE_HOME: join(home, 'cache'),
          HELM_CONFIG_HOME: join(home, 'config'),
          HELM_DATA_HOME: join(home, 'data'),
        },
        timeout: 120_000,
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`helm ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

/** A running OCI registry. */
export interface OciRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  /** Pushes a chart archive under `oci://HOST/charts`. */
  push(chartArchive: string): Promise<void>;
  /** Stops the registry (its storage is kept until `remove`). */
  stop(): Promise<void>;
  /** Starts it again on the same port and storage. */
  start(): Promise<void>;
  remove(): Promise<void>;
}

/** Returns why the registry cannot run here, or null. */
export async function registryUnavailableReason(): Promise<string | null> {
  try {
    await readFile(DOCKER_REGISTRY);
    return null;
  } catch {
    return `${DOCKER_REGISTRY} is not installed (apt-get install docker-registry)`;
  }
}

async function waitForHttp(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts a distribution registry on a free port with its own storage. */
export async function startOciRegistry(): Promise<OciRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: {level: error}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: ${host}}`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(DOCKER_REGISTRY, ['serve', config], { stdio: 'ignore' });
    await waitForHttp(`http://${host}/v2/`, 15_000);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  const guard = () => child?.kill('SIGKILL');
  process.once('exit', guard);
  return {
    host,
    start,
    stop,
    async push(chartArchive) {
      await runHelm(['push', chartArchive, `oci://${host}/charts`, '--plain-http'], join(dir, 'helm'));
    },
    async remove() {
      process.off('exit', guard);
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A running HTTP chart repository. */
export interface ChartRepository {
  url: string;
  /** Requests it answered, by path (to show a pull really went there). */
  requests: string[];
  close(): Promise<void>;
}

/** Serves chart archives and their `index.yaml` (made by `helm repo index`) at `http://127.0.0.1:PORT/charts/`. */
export async function startChartRepository(archives: readonly string[]): Promise<ChartRepository> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-chart-repo-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/charts/`;
  await mkdir(join(dir, 'charts'), { recursive: true });
  for (const archive of archives) await copyFile(archive, join(dir, 'charts', basename(archive)));
  await runHelm(['repo', 'index', join(dir, 'charts')], join(dir, 'helm'));
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', url).pathname;
    requests.push(path);
    const file = /^\/charts\/([A-Za-z0-9._-]+)$/.exec(path)?.[1];
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    try {
      const body = await readFile(join(dir, 'charts', file));
      res
        .writeHead(200, { 'content-type': file.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' })
        .end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url,
    requests,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
