// The front door (api/src/front_door.h): no thread is held by an idle or slow connection.
// A thousand half-open connections leave /healthz and real requests answering; a request whose
// headers do not arrive in time gets 408; past max_connections a connection gets 503; pipelined
// requests and Expect: 100-continue work. A request whose reply waits for the writer holds no
// worker thread. SQLite only: this is about HTTP, not storage.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BACKENDS, startServer, stopServer, createClient, getToken, req, rand, naturalPayer, verify, Api, makeSeller,
  intentBody,
} from './lib.mjs';

const sqlite = BACKENDS.find((b) => b.name === 'sqlite');

// Opens a socket and resolves once connected.
function open(base) {
  const u = new URL(base);
  return new Promise((res, rej) => {
    const s = connect({ host: u.hostname, port: Number(u.port) }, () => res(s));
    s.on('error', rej);
  });
}

// Everything the server sends on `sock` until it closes (or `ms` pass: a hang detector, not a
// timing assertion).
function readAll(sock, ms = 20_000) {
  return new Promise((res) => {
    const chunks = [];
    const t = setTimeout(() => { sock.destroy(); res(Buffer.concat(chunks).toString('latin1')); }, ms);
    sock.on('data', (d) => chunks.push(d));
    sock.on('close', () => { clearTimeout(t); res(Buffer.concat(chunks).toString('latin1')); });
    sock.on('error', () => {});
  });
}

async function metric(base, name) {
  const r = await fetch(`${base}/metrics`);
  const text = await r.text();
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('front door [sqlite]', () => {
  let db; let srv; let dir; let token; let clientId;
  before(async () => {
    db = await sqlite.create();
    clientId = `cl-fd-${rand(4)}`;
    const apiKey = `key-${rand(16)}`;
    await createClient(db.url, clientId, apiKey);
    dir = mkdtempSync(join(tmpdir(), 'splitledger-fd-'));
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ header_timeout_seconds: 1, max_connections: 1200 }));
    srv = await startServer(db.url, ['--config', cfg]);
    const t = await getToken(srv.base, clientId, apiKey);
    assert.equal(t.status, 200, t.text);
    token = t.json.access_token;
  });
  after(async () => {
    const r = await stopServer(srv);
    assert.equal(r.code, 0, `server exit: ${JSON.stringify(r)}\n${srv.log.slice(-2000)}`);
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a thousand half-open connections leave /healthz and real requests answering, and go away', async () => {
    const socks = [];
    for (let i = 0; i < 1000; i++) {
      const s = await open(srv.base);
      s.on('error', () => {});
      // Half a request: a request line and part of a header, never finished.
      s.write(`POST /v2.01/${clientId}/users/natural HTTP/1.1\r\nHost: x\r\nContent-Le`);
      socks.push(s);
    }
    assert.ok((await metric(srv.base, 'splitledger_http_connections')) >= 1000, 'the server holds them all');
    const h = await fetch(`${srv.base}/healthz`, { signal: AbortSignal.timeout(20_000) });
    assert.equal(h.status, 200);
    const u = await req(srv.base, 'POST', `/v2.01/${clientId}/users/natural`, { token, body: naturalPayer() });
    assert.equal(u.status, 200, u.text);
    for (const s of socks) s.destroy();
    // The server lets them go (their close is noticed at once; nothing waits for a timeout).
    let left = await metric(srv.base, 'splitledger_http_connections');
    for (let i = 0; i < 100 && left > 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await metric(srv.base, 'splitledger_http_connections');
    }
    assert.ok(left <= 5, `connections left: ${left}`);
  });

  it('headers that do not arrive within header_timeout_seconds get 408 and the connection closes', async () => {
    const s = await open(srv.base);
    const got = readAll(s);
    s.write(`GET /V3.0/${clientId}/users HTTP/1.1\r\nHost: x\r\n`);  // never the blank line
    const text = await got;
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.match(text, /\r\nConnection: close\r\n/i);
    assert.match(text, /"Type":"request_timeout"/);
  });

  it('pipelined requests are answered in order on one connection', async () => {
    const s = await open(srv.base);
    const got = readAll(s);
    s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n' +
            'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const text = await got;
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    assert.deepEqual(statuses, [200, 404, 200]);
  });

  it('Expect: 100-continue gets its interim answer before the body is sent', async () => {
    const s = await open(srv.base);
    const body = JSON.stringify(naturalPayer());
    let seen = '';
    const interim = new Promise((res) => s.on('data', (d) => { seen += d.toString('latin1'); if (seen.includes('100 Continue')) res(); }));
    s.write(`POST /v2.01/${clientId}/users/natural HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
    await interim;
    const rest = readAll(s);
    s.write(body);
    const text = seen + (await rest);
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it('a malformed request line gets 400 and a close, not a hang', async () => {
    const s = await open(srv.base);
    const got = readAll(s);
    s.write('THIS IS NOT HTTP\r\n\r\n');
    assert.match(await got, /^HTTP\/1\.1 400 /);
  });
});

describe('front door connection limit [sqlite]', () => {
  let db; let srv; let dir;
  before(async () => {
    db = await sqlite.create();
    dir = mkdtempSync(join(tmpdir(), 'splitledger-fd-'));
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ max_connections: 20 }));
    srv = await startServer(db.url, ['--config', cfg]);
  });
  after(async () => {
    await stopServer(srv);
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('past max_connections a connection gets 503 and is closed; room comes back when others close', async () => {
    const idle = [];
    for (let i = 0; i < 20; i++) {
      const s = await open(srv.base);
      s.on('error', () => {});
      idle.push(s);
    }
    // Accepted in order: the reactor has seen all twenty before the next one arrives.
    await new Promise((r) => setTimeout(r, 200));
    const extra = await open(srv.base);
    const text = await readAll(extra);
    assert.match(text, /^HTTP\/1\.1 503 /);
    assert.match(text, /Connection: close/);
    for (const s of idle) s.destroy();
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      try {
        const r = await fetch(`${srv.base}/healthz`);
        ok = r.status === 200;
      } catch { /* still full */ }
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(ok, '/healthz answers again once the idle connections closed');
    assert.ok((await metric(srv.base, 'splitledger_http_connections_refused_total')) >= 1);
  });
});

// Holds SQLite's write lock on the database file until stop() (a second process, as an
// operator's sqlite3 shell would): the server's projection cannot write meanwhile.
function holdWriteLock(path) {
  const script = [
    'import sqlite3, sys',
    'c = sqlite3.connect(sys.argv[1], isolation_level=None)',
    "c.execute('BEGIN IMMEDIATE')",
    "print('locked', flush=True)",
    'sys.stdin.read()',
    "c.execute('ROLLBACK')",
  ].join('\n');
  const p = spawn('python3', ['-c', script, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const locked = new Promise((res, rej) => {
    p.stdout.on('data', (d) => { if (String(d).includes('locked')) res(); });
    p.on('exit', (code) => rej(new Error(`lock holder exited: ${code}`)));
  });
  return { locked, stop: () => new Promise((res) => { p.on('exit', res); p.stdin.end(); }) };
}

describe('a reply that waits for the writer holds no worker [sqlite]', () => {
  let db; let srv; let dir; let api; let seller;
  before(async () => {
    db = await sqlite.create();
    const clientId = `cl-fd1-${rand(4)}`;
    const apiKey = `key-${rand(16)}`;
    await createClient(db.url, clientId, apiKey);
    dir = mkdtempSync(join(tmpdir(), 'splitledger-fd1-'));
    const cfg = join(dir, 'config.json');
    // One worker thread: a request that held it while waiting for the writer would block all.
    writeFileSync(cfg, JSON.stringify({ max_threads: 1 }));
    srv = await startServer(db.url, ['--config', cfg]);
    const t = await getToken(srv.base, clientId, apiKey);
    assert.equal(t.status, 200, t.text);
    api = new Api(srv.base, clientId, t.json.access_token);
    seller = await makeSeller(api);
  });
  after(async () => {
    const r = await stopServer(srv);
    assert.equal(r.code, 0, `server exit: ${JSON.stringify(r)}\n${srv.log.slice(-2000)}`);
    const v = await verify(db.url);
    assert.equal(v.code, 0, `verify: ${v.stdout}${v.stderr}`);
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with one worker and the writer stalled, /healthz and /metrics answer; the waiting intents and reads then complete', async () => {
    const lock = holdWriteLock(db.url.slice('sqlite:'.length));
    await lock.locked;
    // Intents one after another: each is a log record the tables cannot take. The writer queues
    // 64 records for the projection (its lag bound), writes and answers one more, then waits:
    // the lag stays at 65 and nothing more is answered until the tables move.
    const answered = [];
    let sending = true;
    const sequential = (async () => {
      while (sending) answered.push(await api.v3('POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 1000 }])));
    })();
    let lag = 0;
    for (let i = 0; i < 600 && lag < 65; i++) {  // a hang detector (60 s), not a timing assertion
      lag = (await metric(srv.base, 'splitledger_projection_lag_records')) ?? 0;
      if (lag < 65) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(lag, 65, 'the writer waits once the projection lags by its bound');
    const transactions = await metric(srv.base, 'splitledger_projection_transactions_total');
    sending = false;
    // Twenty more, at once: all wait for the writer, with the sequential one.
    let settled = 0;
    const waiting = Array.from({ length: 20 }, () => api.v3('POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 500 }]))
      .finally(() => { settled++; }));
    // And reads of the v2.01 dialect: a read is answered after the batch it ran in is durable.
    const reads = Array.from({ length: 5 }, () => api.v2('GET', `/wallets/${seller.walletId}`).finally(() => { settled++; }));
    for (let i = 0; i < 3; i++) {
      const h = await fetch(`${srv.base}/healthz`, { signal: AbortSignal.timeout(20_000) });
      assert.equal(h.status, 200, 'the one worker is free while twenty-six requests wait for the writer');
    }
    assert.equal(await metric(srv.base, 'splitledger_projection_lag_records'), 65);
    assert.equal(settled, 0, 'the twenty-five are still waiting');
    assert.equal(await metric(srv.base, 'splitledger_projection_transactions_total'), transactions,
      'no table transaction commits while the tables are locked');
    await lock.stop();
    const late = await Promise.all(waiting);
    for (const r of await Promise.all(reads)) {
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.Id, seller.walletId);
    }
    await sequential;
    for (const r of [...answered, ...late]) assert.equal(r.status, 200, r.text);
    for (let i = 0; i < 600 && (await metric(srv.base, 'splitledger_projection_lag_records')) !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok((await metric(srv.base, 'splitledger_projection_transactions_total')) > transactions,
      'the tables catch up once unlocked');
    for (const r of late) {
      const g = await api.v3('GET', `/payins/intents/${r.json.Id}`);
      assert.equal(g.status, 200, g.text);
      assert.equal(g.json.Amount, 500);
    }
  });
});
