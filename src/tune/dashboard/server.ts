/**
 * The dashboard's HTTP server (Node's own `http`): the page at `/`, its JSON under `/api/`
 * (`studies`, `study/NAME` with a page of its trials, `study/NAME/trial/ID` a learning curve,
 * `study/NAME/figure` a search's parallel coordinates, `study/NAME/final` the final model's
 * figures), and a study folder's reports under `/files/`. Bound to a loopback address it answers only requests addressed to
 * that machine (a web page elsewhere cannot reach it through a renamed host); bound to any
 * other address, or given a token, every request must carry the token (`?token=` or an
 * `Authorization: Bearer` header). Only GET and HEAD are served; nothing is ever written.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, MlplabError } from '../../errors.js';
import { DashboardApi } from './api.js';
import { readReport } from './figures.js';
import { dashboardCsp, dashboardPage } from './page.js';
import type { DashboardSource } from './source.js';
import { DEFAULT_QUERY, SORT_KEYS, type SortKey, type TrialQuery } from './views.js';

export interface DashboardOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** Required on every request when set. */
  token?: string;
  /** How long an answer is reused (the page polls this often); default 2000 ms. */
  ttlMs?: number;
}

export interface RunningDashboard {
  /** The page's address, with `?token=` when one is needed. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Is `host` an address of this machine only? */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** A token for a dashboard bound beyond this machine: 32 random hexadecimal characters. */
export function newToken(): string {
  return randomBytes(16).toString('hex');
}

/** The smallest token `--token` accepts. */
export const MIN_TOKEN_LENGTH = 16;

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A served report: its own styles and inline figures, no script, nothing from elsewhere, sandboxed. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** Serve `source` on `options.host:options.port`. Refuses (ConfigError) a port in use or an address it cannot bind. */
export async function startDashboard(source: DashboardSource, options: DashboardOptions): Promise<RunningDashboard> {
  const api = new DashboardApi(source, options.ttlMs ?? 2000);
  const token = options.token;
  const loopback = isLoopback(options.host);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { allow: 'GET, HEAD' });
    if (token) {
      const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const given = url.searchParams.get('token') ?? bearer ?? '';
      if (!sameSecret(given, token)) return send(res, 401, 'text/plain; charset=utf-8', 'this dashboard needs its token: open the address it printed, with ?token=...\n');
    } else if (loopback) {
      // Without a token, only requests addressed to this machine (no DNS rebinding).
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!isLoopback(host)) return send(res, 403, 'text/plain; charset=utf-8', 'this dashboard answers requests to localhost only\n');
    }
    const path = url.pathname;
    if (path === '/' || path === '/index.html') {
      const nonce = randomBytes(16).toString('base64');
      return send(res, 200, 'text/html; charset=utf-8', dashboardPage(nonce, source.where), { 'content-security-policy': dashboardCsp(nonce) });
    }
    if (path === '/api/studies') return json(res, 200, await api.studies());
    if (path.startsWith('/files/')) {
      const body = await readReport(source.folder, path.slice('/files/'.length));
      if (body === null) return send(res, 404, 'text/plain; charset=utf-8', 'no such report in this study folder\n');
      return send(res, 200, 'text/html; charset=utf-8', body, { 'content-security-policy': REPORT_CSP });
    }
    const f = /^\/api\/study\/([^/]+)\/(figure|final)$/.exec(path);
    if (f) {
      const name = studyName(f[1]);
      if (name === null) return json(res, 400, { error: 'the study name is not a valid URL component' });
      const figure = f[2] === 'figure' ? await api.searchFigure(name) : await api.finalFigures(name);
      return figure ? json(res, 200, figure) : json(res, 404, { error: `no ${f[2] === 'figure' ? 'search figure' : 'final model figures'} for a study named ${JSON.stringify(name)} (yet)` });
    }
    const e = /^\/api\/study\/([^/]+)\/trial\/(\d{1,15})$/.exec(path);
    if (e) {
      const name = studyName(e[1]);
      if (name === null) return json(res, 400, { error: 'the study name is not a valid URL component' });
      const curve = await api.trialEpochs(name, Number(e[2]));
      return curve ? json(res, 200, curve) : json(res, 404, { error: `no trial ${e[2]} in a study named ${JSON.stringify(name)}` });
    }
    const m = /^\/api\/study\/([^/]+)$/.exec(path);
    if (m) {
      const name = studyName(m[1]);
      if (name === null) return json(res, 400, { error: 'the study name is not a valid URL component' });
      const detail = await api.study(name, trialQuery(url.searchParams));
      return detail ? json(res, 200, detail) : json(res, 404, { error: `no study named ${JSON.stringify(name)}` });
    }
    return json(res, 404, { error: `no such page: ${path}` });
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // An unreadable store is an answer the page shows; the server goes on.
      const text = e instanceof MlplabError ? e.message : `unexpected: ${(e as Error)?.message ?? String(e)}`;
      if (!res.headersSent) json(res, 503, { error: text });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new ConfigError('--port', options.port, `a free port: ${options.port} is in use on ${options.host} (another dashboard?); --port 0 picks a free one`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') reject(new ConfigError('--host', options.host, 'an address of this machine, such as 127.0.0.1 (the default) or 0.0.0.0 for every interface'));
      else if (e.code === 'EACCES') reject(new ConfigError('--port', options.port, 'a port this user may open (1024 or above), or 0 for any free one'));
      else reject(e);
    });
    server.listen(options.port, options.host, () => resolve());
  });
  server.on('error', () => undefined);
  const port = (server.address() as AddressInfo).port;
  const shown = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shown}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The token a dashboard on `host` runs with: the one given (checked), a new one beyond loopback, or none. */
export function dashboardToken(host: string, given: string | undefined): string | undefined {
  if (given !== undefined) {
    if (given.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(given)) {
      throw new ConfigError('--token', `${given.length} characters`, `a token of at least ${MIN_TOKEN_LENGTH} printable characters without spaces (or leave --token out: one is made when --host is not a loopback address)`);
    }
    return given;
  }
  return isLoopback(host) ? undefined : newToken();
}

/** The trials a page asks for (`sort`, `dir` 1 or -1, `q` text, `state`, `offset`, `limit` up to 1,000); what is not understood is left at its default. */
export function trialQuery(p: URLSearchParams): TrialQuery {
  const int = (v: string | null, lo: number, hi: number, d: number) => (v !== null && /^\d{1,9}$/.test(v) ? Math.min(hi, Math.max(lo, Number(v))) : d);
  const sort = p.get('sort');
  const state = p.get('state') ?? '';
  return {
    sort: (SORT_KEYS as readonly string[]).includes(sort ?? '') ? (sort as SortKey) : DEFAULT_QUERY.sort,
    dir: p.get('dir') === '-1' ? -1 : 1,
    filter: (p.get('q') ?? '').slice(0, 200),
    state: ['queued', 'running', 'done', 'pruned', 'failed', 'damaged'].includes(state) ? state : '',
    offset: int(p.get('offset'), 0, 1e9, 0),
    limit: int(p.get('limit'), 1, 1000, DEFAULT_QUERY.limit),
  };
}

/** A study name from its URL component, or null when it does not decode. */
function studyName(component: string): string | null {
  try {
    return decodeURIComponent(component);
  } catch {
    return null;
  }
}
