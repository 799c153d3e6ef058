/**
 * Builds the console for the browser tests with Vite's API into a fresh folder, so a test never runs against a
 * stale `dist/web`. Set `STRATA_WEB_DIST` to test an existing build instead.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** Returns the folder of a built console (built now unless `STRATA_WEB_DIST` names one). */
export async function buildConsole(): Promise<string> {
  const given = process.env.STRATA_WEB_DIST;
  if (given) {
    if (!existsSync(join(given, 'index.html'))) throw new Error(`STRATA_WEB_DIST=${given} has no index.html`);
    return given;
  }
  const outDir = await mkdtemp(join(tmpdir(), 'strata-web-dist-'));
  const { build } = await import('vite');
  await build({
    configFile: join(ROOT, 'src', 'web', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}
