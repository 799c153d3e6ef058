/**
 * Serves a built console the way `strata up` will: static files from the build folder, `index.html` for any
 * other path, and `/v1/*` passed through to a running Strata API (streams included, for server-sent events).
 * The API does not serve the console yet, so the browser tests put this in front of it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

/** A running console server. */
export interface ConsoleServer {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/** Starts the server on a free port; returns its URL and how to stop it. */
export async function startConsoleServer(distDir: string, apiUrl: string): Promise<ConsoleServer> {
  const api = new URL(apiUrl);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://console');
    if (url.pathname.startsWith('/v1/') || url.pathname === '/v1') {
      const upstream = httpRequest(
        {
          host: api.hostname,
          port: api.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: api.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ code: 'Unavailable', message: 'The Strata API is not reachable.', details: {} }),
        );
      });
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
      return;
    }
    void serveFile(distDir, url.pathname, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serveFile(
  distDir: string,
  pathname: string,
  res: import('node:http').ServerResponse,
): Promise<void> {
  const relative = normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, '');
  let file = join(distDir, relative);
  if (!file.startsWith(distDir)) file = join(distDir, 'index.html');
  try {
    if (!(await stat(file)).isFile()) file = join(distDir, 'index.html');
  } catch {
    file = join(distDir, 'index.html');
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}
