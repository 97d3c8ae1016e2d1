/** The baseline the page benchmarks compare with: the same HTML as a static EJS template behind a bare Express app. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';

export function listen(app: express.Express): Promise<http.Server> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export interface BareRender {
  server: http.Server;
  port: number;
  /** The path that renders the page. */
  path: string;
  close(): Promise<void>;
}

export async function serveBareRender(html: string): Promise<BareRender> {
  const viewsDir = mkdtempSync(path.join(tmpdir(), 'bench-views-'));
  writeFileSync(path.join(viewsDir, 'page.ejs'), html.replace(/<%/g, '<%%'));
  const bare = express();
  bare.set('views', viewsDir);
  bare.set('view engine', 'ejs');
  bare.set('view cache', true);
  bare.get('/page', (_req, res) => res.render('page'));
  const server = await listen(bare);
  return {
    server,
    port: (server.address() as AddressInfo).port,
    path: '/page',
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(viewsDir, { recursive: true, force: true });
    },
  };
}
