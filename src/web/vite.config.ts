/**
 * Vite build of the Strata console: root `src/web`, output `dist/web` (served by `strata up` at `/`). The dev
 * server proxies `/v1` to a running Strata (`STRATA_URL`, default http://127.0.0.1:7080), so `vite` alone
 * gives a live console against a real API.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: resolve(here, '../../dist/web'),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: { '/v1': { target: process.env.STRATA_URL ?? 'http://127.0.0.1:7080', changeOrigin: true } },
  },
});
