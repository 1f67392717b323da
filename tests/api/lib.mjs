// Shared helpers for the API tests and the SDK contract test: start the real `splitledger serve`
// on a loopback port with a fresh database (SQLite file, or a fresh PostgreSQL database when
// SPLITLEDGER_TEST_PG_URL is set), create clients, get tokens, and make JSON requests.
// Node built-ins only.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.SPLITLEDGER_BIN || resolve(here, '../../build/bin/splitledger');
export const PG_URL = process.env.SPLITLEDGER_TEST_PG_URL || '';

export const rand = (n = 8) => randomBytes(n).toString('hex');

function run(cmd, args, opts = {}) {
  return new Promise((res) => {
    execFile(cmd, args, { timeout: 60_000, ...opts }, (err, stdout, stderr) => {
      res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, err });
    });
  });
}

// ---------------------------------------------------------------- databases
// A backend gives a fresh database URL per call and cleans it up.
export const BACKENDS = [
  {
    name: 'sqlite',
    async create() {
      const dir = mkdtempSync(join(tmpdir(), 'splitledger-api-'));
      return { url: `sqlite:${join(dir, 'db.sqlite')}`, async drop() { rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  ...(PG_URL
    ? [{
        name: 'postgresql',
        async create() {
          const name = `t_${rand(6)}`;
          const r = await run('psql', [PG_URL, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`]);
          if (r.code !== 0) throw new Error(`CREATE DATABASE failed: ${r.stderr}`);
          const u = new URL(PG_URL);
          u.pathname = '/' + name;
          return {
            url: u.toString(),
            async drop() { await run('psql', [PG_URL, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]); },
          };
        },
      }]
    : []),
];

// ---------------------------------------------------------------- processes
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
  });
}

// Starts `splitledger serve`; resolves once it answers /healthz. Picks the port itself (the server
// also logs {"msg":"listening","address":…}; when it does, that address is used).
export async function startServer(dbUrl, extraArgs = [], { port: chosen } = {}) {
  const port = chosen ?? await freePort();
  const child = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--db', dbUrl, ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let address = `127.0.0.1:${port}`;
  const onData = (d) => {
    log += d.toString();
    for (const line of d.toString().split('\n')) {
      try { const j = JSON.parse(line); if (j.msg === 'listening' && j.address) address = j.address; } catch { /* not JSON */ }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
  const srv = { child, exited, get log() { return log; }, get base() { return `http://${address}`; }, dbUrl };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) at start:\n${log}`);
    try {
      const r = await fetch(`${srv.base}/healthz`);
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`server did not start:\n${log}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return srv;
}

// SIGTERM, waits for exit; returns {code, signal}.
export async function stopServer(srv) {
  if (srv.child.exitCode !== null) return { code: srv.child.exitCode, signal: null };
  srv.child.kill('SIGTERM');
  const t = setTimeout(() => srv.child.kill('SIGKILL'), 15_000);
  const r = await srv.exited;
  clearTimeout(t);
  return r;
}

export async function createClient(dbUrl, id, apiKey) {
  const r = await run(BIN, ['client', 'create', '--id', id, '--api-key', apiKey, '--db', dbUrl]);
  if (r.code !== 0) throw new Error(`client create failed (${r.code}): ${r.stderr}${r.stdout}`);
  const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return JSON.parse(line);
}

export async function verify(dbUrl) {
  return run(BIN, ['verify', '--db', dbUrl]);
}

// ---------------------------------------------------------------- HTTP
export async function getToken(base, clientId, apiKey) {
  const r = await fetch(`${base}/v2.01/oauth/token`, {
    method: 'POST',
    headers: {
      Authorization: 'Basic ' + Buffer.from(`${clientId}:${apiKey}`).toString('base64'),
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const text = await r.text();
  let json; try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, headers: r.headers, json, text };
}

// Generic request; body may be an object (JSON-encoded), a string (sent raw) or undefined.
export async function req(base, method, path, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token && !('Authorization' in h)) h.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    if (!('Content-Type' in h)) h['Content-Type'] = 'application/json';
  }
  const r = await fetch(base + path, { method, headers: h, body: payload });
  const text = await r.text();
  let json; try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: r.status, headers: r.headers, json, text };
}

// Raw request over a plain socket (for bodies over the limit: the server may answer 413 and close
// before reading the body, so write errors are ignored and whatever response arrived is parsed).
// headers: object; body: string; chunked: send with Transfer-Encoding: chunked.
export function rawRequest(base, method, path, headers, body, { pauseMs = 0 } = {}) {
  const u = new URL(base + path);
  const chunked = Object.entries(headers).some(([k, v]) => k.toLowerCase() === 'transfer-encoding' && /chunked/i.test(v));
  return new Promise((res, rej) => {
    const sock = connect({ host: u.hostname, port: Number(u.port) });
    const chunks = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      const raw = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      if (!m) { rej(new Error(`no HTTP response (got ${raw.length} bytes)`)); return; }
      const sep = raw.indexOf('\r\n\r\n');
      const head = raw.slice(0, sep);
      let text = raw.slice(sep + 4);
      const hdrs = {};
      for (const l of head.split('\r\n').slice(1)) { const i = l.indexOf(':'); hdrs[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim(); }
      if (/chunked/i.test(hdrs['transfer-encoding'] || '')) {
        let out = ''; let rest = text;
        for (;;) { const e = rest.indexOf('\r\n'); if (e < 0) break; const n = parseInt(rest.slice(0, e), 16); if (!n) break; out += rest.slice(e + 2, e + 2 + n); rest = rest.slice(e + 4 + n); }
        text = out;
      } else if (hdrs['content-length'] !== undefined) text = text.slice(0, Number(hdrs['content-length']));
      let json; try { json = JSON.parse(text); } catch { json = undefined; }
      res({ status: Number(m[1]), headers: hdrs, text, json });
    };
    sock.on('data', (d) => {
      chunks.push(d);
      const raw = Buffer.concat(chunks).toString('latin1');
      const sep = raw.indexOf('\r\n\r\n');
      if (sep >= 0) {
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(raw.slice(0, sep));
        if (cl && raw.length - sep - 4 >= Number(cl[1])) { finish(); sock.destroy(); }
      }
    });
    sock.on('error', () => { setTimeout(finish, 50); });
    sock.on('close', finish);
    sock.setTimeout(20_000, () => { sock.destroy(); });
    const h = { Host: u.host, Connection: 'close', ...headers };
    let head = `${method} ${u.pathname} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(h)) head += `${k}: ${v}\r\n`;
    sock.write(head + '\r\n');
    const sendBody = () => {
    if (settled || sock.destroyed) return;
    if (chunked) {
      const step = 64 * 1024;
      for (let i = 0; i < body.length; i += step) { const c = body.slice(i, i + step); sock.write(`${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`); }
      sock.write('0\r\n\r\n');
    } else {
      sock.write(body);
    }
    };
    // With pauseMs, a server that answers from the headers alone (Content-Length over the limit)
    // is heard before the body is sent; otherwise the body follows at once.
    if (pauseMs) setTimeout(sendBody, pauseMs); else sendBody();
  });
}

// A client bound to one base URL, client id and token.
export class Api {
  constructor(base, clientId, token) { Object.assign(this, { base, clientId, token }); }
  v2(method, path, body, headers) { return req(this.base, method, `/v2.01/${this.clientId}${path}`, { token: this.token, body, headers }); }
  v3(method, path, body, headers) { return req(this.base, method, `/V3.0/${this.clientId}${path}`, { token: this.token, body, headers }); }
}

// ---------------------------------------------------------------- fixtures
export const naturalOwner = (extra = {}) => ({
  FirstName: 'John', LastName: 'Doe', Email: 'john.doe@sample.org',
  Address: { AddressLine1: '4101 Reservoir Rd NW', AddressLine2: '', City: 'Washington', Region: 'District of Columbia', PostalCode: '20007', Country: 'US' },
  Birthday: 188301600, Nationality: 'FR', CountryOfResidence: 'FR', Occupation: 'programmer', IncomeRange: 3,
  PersonType: 'NATURAL', TermsAndConditionsAccepted: true, ...extra,
});
export const naturalPayer = (extra = {}) => ({
  FirstName: 'Pam', LastName: 'Payer', Email: 'pam@sample.org', TermsAndConditionsAccepted: true, ...extra,
});
export const legalOwner = (extra = {}) => ({
  Name: 'MatrixSampleOrg', Email: 'mail@test.com', LegalPersonType: 'BUSINESS',
  HeadquartersAddress: { AddressLine1: '1 Main St', City: 'Paris', PostalCode: '75001', Country: 'FR' },
  LegalRepresentativeFirstName: 'John', LegalRepresentativeLastName: 'Doe', LegalRepresentativeEmail: 'john@sample.org',
  LegalRepresentativeAddress: { AddressLine1: '1 Main St', City: 'Paris', PostalCode: '75001', Country: 'FR' },
  LegalRepresentativeBirthday: 188301600, LegalRepresentativeNationality: 'FR', LegalRepresentativeCountryOfResidence: 'FR',
  CompanyNumber: '123456789', TermsAndConditionsAccepted: true, ...extra,
});

export const externalData = (ref = `ref-${rand()}`) => ({
  ExternalProcessingDate: 1728133765, ExternalProviderReference: ref,
  ExternalMerchantReference: `Order-${rand(4)}`, ExternalProviderName: 'Stripe', ExternalProviderPaymentMethod: 'PAYPAL',
});

// lines: [{UnitAmount, Quantity?, DiscountAmount?, FeesAmount?}]
export function intentBody(seller, lines, { currency = 'EUR', ref, withFees = true } = {}) {
  const LineItems = lines.map((l, i) => ({
    Seller: { WalletId: seller.walletId, AuthorId: seller.userId, TransferDate: 1728133765,
      ...(l.FeesAmount !== undefined ? { FeesAmount: l.FeesAmount } : {}) },
    Sku: `sku-${i}`, Name: `item ${i}`, Quantity: l.Quantity ?? 1, UnitAmount: l.UnitAmount,
    ...(l.DiscountAmount !== undefined ? { DiscountAmount: l.DiscountAmount } : {}),
  }));
  const Amount = lines.reduce((s, l) => s + l.UnitAmount * (l.Quantity ?? 1) - (l.DiscountAmount ?? 0), 0);
  const fees = lines.reduce((s, l) => s + (l.FeesAmount ?? 0), 0);
  return { Amount, Currency: currency, ...(withFees ? { PlatformFeesAmount: fees } : {}),
    ExternalData: externalData(ref), LineItems };
}

// ---------------------------------------------------------------- assertions
export const is4xx = (r, msg) => assert.ok(r.status >= 400 && r.status < 500,
  `${msg ?? ''} expected 4xx, got ${r.status}: ${r.text?.slice(0, 300)}`);
export function assertV3Error(r, status, msg) {
  if (status) assert.equal(r.status, status, `${msg ?? ''} status; body: ${r.text?.slice(0, 300)}`);
  else is4xx(r, msg);
  assert.ok(r.json && typeof r.json === 'object', `${msg ?? ''} JSON error body, got: ${r.text?.slice(0, 200)}`);
  assert.equal(typeof r.json.Type, 'string', `${msg ?? ''} Type in ${r.text}`);
  assert.equal(typeof r.json.Message, 'string', `${msg ?? ''} Message in ${r.text}`);
  assert.ok('Errors' in r.json, `${msg ?? ''} upper-case Errors key in ${r.text}`);
}
export function assertV2Error(r, status, msg) {
  if (status) assert.equal(r.status, status, `${msg ?? ''} status; body: ${r.text?.slice(0, 300)}`);
  else is4xx(r, msg);
  assert.ok(r.json && typeof r.json === 'object', `${msg ?? ''} JSON error body, got: ${r.text?.slice(0, 200)}`);
  assert.equal(typeof r.json.Type, 'string', `${msg ?? ''} Type in ${r.text}`);
  assert.ok('errors' in r.json, `${msg ?? ''} lower-case errors key in ${r.text}`);
}

// ---------------------------------------------------------------- suites
// Runs `fn(ctx)` once per backend inside a describe(). ctx gets: db, srv, base, clientId, apiKey,
// token, api (an Api), plus helpers. Clients in `clients` ([id suffixes]) are created before the
// server starts. After the suite: the server is stopped (SIGTERM → exit 0) and `verify` must pass.
export function suite(name, fn, { clients = ['a'], serverArgs = [] } = {}) {
  for (const backend of BACKENDS) {
    describe(`${name} [${backend.name}]`, () => {
      const ctx = { backend: backend.name, clients: {} };
      before(async () => {
        ctx.db = await backend.create();
        for (const c of clients) {
          const id = `cl-${c}-${rand(4)}`;
          const apiKey = `key-${rand(16)}`;
          const out = await createClient(ctx.db.url, id, apiKey);
          ctx.clients[c] = { id, apiKey, out };
        }
        ctx.srv = await startServer(ctx.db.url, serverArgs);
        ctx.base = ctx.srv.base;
        for (const c of clients) {
          const t = await getToken(ctx.base, ctx.clients[c].id, ctx.clients[c].apiKey);
          assert.equal(t.status, 200, `token: ${t.text}`);
          ctx.clients[c].token = t.json.access_token;
          ctx.clients[c].api = new Api(ctx.base, ctx.clients[c].id, t.json.access_token);
        }
        const first = ctx.clients[clients[0]];
        Object.assign(ctx, { clientId: first.id, apiKey: first.apiKey, token: first.token, api: first.api });
      });
      after(async () => {
        try {
          if (ctx.srv) {
            const r = await stopServer(ctx.srv);
            assert.equal(r.code, 0, `serve exit on SIGTERM: ${JSON.stringify(r)}\n${ctx.srv.log.slice(-2000)}`);
            const v = await verify(ctx.db.url);
            assert.equal(v.code, 0, `verify --db: ${v.stdout}${v.stderr}`);
          }
        } finally {
          if (ctx.db) await ctx.db.drop();
        }
      });
      fn(ctx);
    });
  }
}

// Creates a natural owner and an EUR wallet for it; returns {userId, walletId}.
export async function makeSeller(api, currency = 'EUR') {
  const u = await api.v2('POST', '/users/natural', naturalOwner());
  assert.equal(u.status, 200, `create user: ${u.text}`);
  const w = await api.v2('POST', '/wallets', { Owners: [u.json.Id], Description: 'seller wallet', Currency: currency });
  assert.equal(w.status, 200, `create wallet: ${w.text}`);
  return { userId: u.json.Id, walletId: w.json.Id };
}

export async function createIntent(api, seller, lines, opts) {
  const r = await api.v3('POST', '/payins/intents', intentBody(seller, lines, opts));
  assert.equal(r.status, 200, `create intent: ${r.text}`);
  return r.json;
}

export const exists = existsSync;
