// The TLS and mTLS listeners (docs/operations.md, "TLS and mTLS"): certificates generated here
// with openssl (a CA, the server, clients of two platform clients, a revoked one, an expired one,
// one from another CA), then Node's https and curl against both listeners. Covers handshake
// refusals, certificate registration and revocation (also on the running server),
// certificate-bound tokens (RFC 8705), ScaContext=USER_NOT_PRESENT, and the whole Echo flow
// through the mTLS listener.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  BACKENDS, BIN, createClient, startServer, stopServer, verify, freePort, rand, getToken, req,
  naturalOwner, intentBody, assertV2Error,
} from './lib.mjs';
import { makePki } from './pki.mjs';

function run(args) {
  return new Promise((res) => execFile(BIN, args, { timeout: 60_000 }, (err, stdout, stderr) =>
    res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })));
}
const certCli = (db, action, ...rest) => run(['client', 'cert', action, '--db', db, ...rest]);

// One HTTPS request on a fresh connection. Resolves {status, json, text} or {error} when the
// handshake (or connection) failed.
function tlsRequest(port, identity, ca, method, path, { token, body, basic, form } = {}) {
  return new Promise((resolve) => {
    const headers = {};
    let payload;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (basic) headers.Authorization = 'Basic ' + Buffer.from(basic).toString('base64');
    if (form) { payload = form; headers['Content-Type'] = 'application/x-www-form-urlencoded'; }
    if (body !== undefined) { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
    if (payload) headers['Content-Length'] = Buffer.byteLength(payload);
    const r = https.request({
      host: '127.0.0.1', port, method, path, headers, ca, agent: false,
      ...(identity ? { cert: identity.cert, key: identity.key } : {}),
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json; try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, json, text });
      });
      res.on('error', (error) => resolve({ error }));
    });
    r.on('error', (error) => resolve({ error }));
    r.setTimeout(10_000, () => r.destroy(new Error('timeout')));
    if (payload) r.write(payload);
    r.end();
  });
}

const refusedHandshake = (r, what) => {
  assert.ok(r.error, `${what}: the handshake must fail, got HTTP ${r.status} ${r.text}`);
};

for (const backend of BACKENDS) {
  describe(`TLS and mTLS listeners [${backend.name}]`, () => {
    let pki, db, srv, tlsPort, mtlsPort;
    const A = { id: `mtls-a-${rand(3)}`, key: `key-a-${rand(12)}` };
    const B = { id: `mtls-b-${rand(3)}`, key: `key-b-${rand(12)}` };
    const m = (identity, method, path, opts) => tlsRequest(mtlsPort, identity, pki.ca, method, path, opts);
    const oauthM = (identity, who) => m(identity, 'POST', '/v2.01/oauth/token',
      { basic: `${who.id}:${who.key}`, form: 'grant_type=client_credentials' });

    before(async () => {
      pki = makePki(mkdtempSync(join(tmpdir(), 'splitledger-pki-')));
      db = await backend.create();
      await createClient(db.url, A.id, A.key);
      await createClient(db.url, B.id, B.key);
      // Registered on the database before the server runs (the CLI's own sequencer) ...
      for (const [who, n] of [[A, 'a1'], [B, 'b1']]) {
        const r = await certCli(db.url, 'add', '--id', who.id, '--cert', pki.id(n).file);
        assert.equal(r.code, 0, `cert add ${n}: ${r.stderr}`);
      }
      tlsPort = await freePort();
      mtlsPort = await freePort();
      srv = await startServer(db.url, [
        '--listen-tls', `127.0.0.1:${tlsPort}`, '--listen-mtls', `127.0.0.1:${mtlsPort}`,
        '--tls-cert', join(pki.dir, 'server.crt'), '--tls-key', join(pki.dir, 'server.key'),
        '--client-ca', join(pki.dir, 'client-ca.crt'),
      ]);
      // ... and while it runs (through its admin endpoint).
      for (const n of ['a2', 'a-revoked']) {
        const r = await certCli(db.url, 'add', '--id', A.id, '--cert', pki.id(n).file);
        assert.equal(r.code, 0, `cert add ${n}: ${r.stderr}`);
      }
    });
    after(async () => {
      try {
        if (srv) {
          const r = await stopServer(srv);
          assert.equal(r.code, 0, `serve exit: ${JSON.stringify(r)}`);
          const v = await verify(db.url);
          assert.equal(v.code, 0, `verify: ${v.stdout}${v.stderr}`);
        }
      } finally {
        if (db) await db.drop();
        if (pki) rmSync(pki.dir, { recursive: true, force: true });
      }
    });

    it('logs both TLS addresses; the TLS listener serves without a client certificate', async () => {
      assert.match(srv.log, new RegExp(`"tls_address":"127.0.0.1:${tlsPort}"`));
      assert.match(srv.log, new RegExp(`"mtls_address":"127.0.0.1:${mtlsPort}"`));
      const r = await tlsRequest(tlsPort, null, pki.ca, 'GET', '/healthz');
      assert.equal(r.status, 200, JSON.stringify(r));
      // The mTLS listener speaks TLS 1.2 at least; TLS 1.1 is refused (curl, independently).
      const curl = (extra) => new Promise((res) => execFile('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}',
        '--cacert', join(pki.dir, 'client-ca.crt'), ...extra], (err, stdout, stderr) => res({ err, stdout, stderr })));
      const ok = await curl(['--cert', join(pki.dir, 'a1.crt'), '--key', join(pki.dir, 'a1.key'), '--tlsv1.2',
        `https://127.0.0.1:${mtlsPort}/healthz`]);
      assert.equal(ok.stdout, '200', `curl with a1: ${ok.stderr}`);
      const old = await curl(['--cert', join(pki.dir, 'a1.crt'), '--key', join(pki.dir, 'a1.key'), '--tls-max', '1.1',
        `https://127.0.0.1:${mtlsPort}/healthz`]);
      assert.ok(old.err, `TLS 1.1 must be refused, got ${old.stdout}`);
      const none = await curl([`https://127.0.0.1:${mtlsPort}/healthz`]);
      assert.ok(none.err, `curl without a certificate must fail, got ${none.stdout}`);
    });

    it('refuses the handshake without a certificate, from another CA, or expired', async () => {
      refusedHandshake(await m(null, 'GET', '/healthz'), 'no certificate');
      refusedHandshake(await m(pki.id('stranger'), 'GET', '/healthz'), 'another CA');
      refusedHandshake(await m(pki.id('expired'), 'GET', '/healthz'), 'expired');
      // The server keeps serving, and counts them.
      const ok = await m(pki.id('a1'), 'GET', '/healthz');
      assert.equal(ok.status, 200);
      const metrics = await (await fetch(`${srv.base}/metrics`)).text();
      const failed = Number(/splitledger_tls_handshake_failures_total (\d+)/.exec(metrics)?.[1]);
      assert.ok(failed >= 3, `handshake failures counted: ${failed}`);
    });

    it('idle and half-open TLS connections hold no thread; large replies arrive whole', async () => {
      // 300 connections that never start a handshake, 50 that send half a ClientHello.
      const socks = [];
      for (let i = 0; i < 350; i++) {
        const sock = connect({ host: '127.0.0.1', port: i % 2 ? mtlsPort : tlsPort });
        sock.on('error', () => {});
        if (i >= 300) sock.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]));
        socks.push(sock);
      }
      await new Promise((r) => setTimeout(r, 200));
      const ok = await m(pki.id('a1'), 'GET', '/healthz');
      assert.equal(ok.status, 200, JSON.stringify(ok));
      // A reply of many TLS records, byte for byte what the plain listener sends.
      const plain = await (await fetch(`${srv.base}/openapi/v2.json`)).text();
      const big = await m(pki.id('a1'), 'GET', '/openapi/v2.json');
      assert.equal(big.status, 200);
      assert.ok(plain.length > 64 * 1024, `a large document: ${plain.length} bytes`);
      assert.equal(big.text, plain);
      for (const sock of socks) sock.destroy();
      // Peers that reset the connection in the middle of a large reply: the server's write fails
      // (EPIPE/ECONNRESET) and it carries on (no SIGPIPE).
      for (let i = 0; i < 20; i++) {
        await new Promise((res) => {
          const tcp = connect({ host: '127.0.0.1', port: mtlsPort });
          tcp.on('error', () => {});
          const s = tlsConnect({ socket: tcp, ca: pki.ca, cert: pki.id('a1').cert, key: pki.id('a1').key, servername: 'localhost' }, () => {
            s.write('GET /openapi/v3.json HTTP/1.1\r\nHost: x\r\n\r\n');
          });
          s.once('data', () => { tcp.resetAndDestroy(); res(); });  // RST with most of the reply unread
          s.on('error', () => res());
        });
        // ... and peers gone before their reply: its write meets a closed socket, then the
        // close_notify meets the peer's reset.
        await new Promise((res) => {
          const tcp = connect({ host: '127.0.0.1', port: mtlsPort });
          tcp.on('error', () => {});
          const s = tlsConnect({ socket: tcp, ca: pki.ca, cert: pki.id('a1').cert, key: pki.id('a1').key, servername: 'localhost' }, () => {
            s.end(`GET /v2.01/${A.id}/clients HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
              () => { tcp.destroy(); res(); });
          });
          s.on('error', () => res());
        });
      }
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(srv.child.exitCode, null, `the server is still running: ${srv.log.slice(-500)}`);
      assert.equal((await m(pki.id('a1'), 'GET', '/healthz')).status, 200);
    });

    it('a certificate of the right CA that no client registered gets nothing', async () => {
      const t = await oauthM(pki.id('unregistered'), A);
      assert.equal(t.status, 401, t.text);
      assert.equal(t.json.error, 'invalid_client');
      const plainToken = (await getToken(srv.base, A.id, A.key)).json.access_token;
      const r = await m(pki.id('unregistered'), 'GET', `/v2.01/${A.id}/clients`, { token: plainToken });
      assertV2Error(r, 401, 'unregistered certificate');
    });

    it('a token issued through mTLS is bound to its certificate (RFC 8705)', async () => {
      const t = await oauthM(pki.id('a1'), A);
      assert.equal(t.status, 200, t.text);
      const token = t.json.access_token;
      const path = `/v2.01/${A.id}/clients`;
      const good = await m(pki.id('a1'), 'GET', path, { token });
      assert.equal(good.status, 200, good.text);
      assert.equal(good.json.ClientId, A.id);
      // Replayed on the plain listener, on the TLS listener, or with another certificate.
      assertV2Error(await req(srv.base, 'GET', path, { token }), 401, 'bound token on the plain listener');
      assertV2Error(await tlsRequest(tlsPort, null, pki.ca, 'GET', path, { token }), 401, 'bound token on the TLS listener');
      assertV2Error(await m(pki.id('a2'), 'GET', path, { token }), 401, 'bound token with the other certificate of A');
      assertV2Error(await m(pki.id('b1'), 'GET', path, { token }), 401, 'bound token with B\'s certificate');
      // An unbound token (plain listener) still works where it was issued.
      const plain = (await getToken(srv.base, A.id, A.key)).json.access_token;
      assert.equal((await req(srv.base, 'GET', path, { token: plain })).status, 200);
    });

    it('a certificate registered to client A gets nothing of client B', async () => {
      // A's certificate with B's key at the token endpoint.
      const t = await oauthM(pki.id('a1'), B);
      assert.equal(t.status, 401, t.text);
      assert.equal(t.json.error, 'invalid_client');
      // A's certificate carrying B's (unbound) token on B's path.
      const bToken = (await getToken(srv.base, B.id, B.key)).json.access_token;
      const r = await m(pki.id('a1'), 'GET', `/v2.01/${B.id}/clients`, { token: bToken });
      assertV2Error(r, 403, 'A certificate, B token, B path');
      assert.ok(!r.text.includes(B.id), 'nothing of B in the refusal');
      // B's own certificate and bound token work for B, not for A's path.
      const bBound = (await oauthM(pki.id('b1'), B)).json.access_token;
      assert.equal((await m(pki.id('b1'), 'GET', `/v2.01/${B.id}/clients`, { token: bBound })).status, 200);
      assertV2Error(await m(pki.id('b1'), 'GET', `/v2.01/${A.id}/clients`, { token: bBound }), 403, 'B on A path');
    });

    it('revocation on the running server is effective at once; listing shows it; it cannot come back', async () => {
      const t = await oauthM(pki.id('a-revoked'), A);
      assert.equal(t.status, 200, t.text);
      const token = t.json.access_token;
      const path = `/v2.01/${A.id}/clients`;
      assert.equal((await m(pki.id('a-revoked'), 'GET', path, { token })).status, 200);
      const rv = await certCli(db.url, 'revoke', '--id', A.id, '--cert', pki.id('a-revoked').file);
      assert.equal(rv.code, 0, rv.stderr);
      assert.equal(JSON.parse(rv.stdout).Certificates[0].Status, 'REVOKED');
      assertV2Error(await m(pki.id('a-revoked'), 'GET', path, { token }), 401, 'revoked certificate, its bound token');
      const again = await oauthM(pki.id('a-revoked'), A);
      assert.equal(again.status, 401, 'no new token with a revoked certificate');
      // The other certificates of A keep working (rotation: several at once).
      const a2 = (await oauthM(pki.id('a2'), A)).json.access_token;
      assert.equal((await m(pki.id('a2'), 'GET', path, { token: a2 })).status, 200);
      const list = await certCli(db.url, 'list', '--id', A.id);
      assert.equal(list.code, 0, list.stderr);
      const certs = JSON.parse(list.stdout).Certificates;
      assert.equal(certs.length, 3);
      const status = Object.fromEntries(certs.map((c) => [c.Subject.replace(/.*CN=/, ''), c.Status]));
      assert.deepEqual(status, { a1: 'ACTIVE', a2: 'ACTIVE', 'a-revoked': 'REVOKED' });
      for (const c of certs) assert.match(c.Fingerprint, /^[0-9a-f]{64}$/);
      // A revoked certificate is never registered again, and B cannot take A's.
      const readd = await certCli(db.url, 'add', '--id', A.id, '--cert', pki.id('a-revoked').file);
      assert.notEqual(readd.code, 0, 'a revoked certificate cannot be added again');
      const steal = await certCli(db.url, 'add', '--id', B.id, '--cert', pki.id('a1').file);
      assert.notEqual(steal.code, 0, 'a certificate of A cannot be registered to B');
      assert.equal((await m(pki.id('a1'), 'GET', path, { token: (await oauthM(pki.id('a1'), A)).json.access_token })).status, 200);
    });

    it('ScaContext=USER_NOT_PRESENT needs the mTLS listener and a bound token', async () => {
      const plain = (await getToken(srv.base, A.id, A.key)).json.access_token;
      const bound = (await oauthM(pki.id('a1'), A)).json.access_token;
      const user = await m(pki.id('a1'), 'POST', `/v2.01/${A.id}/users/natural`, { token: bound, body: naturalOwner() });
      assert.equal(user.status, 200, user.text);
      const wallet = await m(pki.id('a1'), 'POST', `/v2.01/${A.id}/wallets`,
        { token: bound, body: { Owners: [user.json.Id], Currency: 'EUR', Description: 'w' } });
      assert.equal(wallet.status, 200, wallet.text);
      const path = (sca) => `/v2.01/${A.id}/wallets/${wallet.json.Id}?ScaContext=${sca}`;
      assertV2Error(await req(srv.base, 'GET', path('USER_NOT_PRESENT'), { token: plain }), 403, 'proxy on the plain listener');
      assertV2Error(await m(pki.id('a1'), 'GET', path('USER_NOT_PRESENT'), { token: plain }), 403, 'proxy with an unbound token');
      const ok = await m(pki.id('a1'), 'GET', path('USER_NOT_PRESENT'), { token: bound });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.Id, wallet.json.Id);
      assert.equal((await req(srv.base, 'GET', path('USER_PRESENT'), { token: plain })).status, 200);
      assertV2Error(await req(srv.base, 'GET', path('SOMETIMES'), { token: plain }), 400, 'unknown ScaContext');
      // In a body too.
      const upd = await req(srv.base, 'PUT', `/v2.01/${A.id}/wallets/${wallet.json.Id}`,
        { token: plain, body: { Description: 'x', ScaContext: 'USER_NOT_PRESENT' } });
      assertV2Error(upd, 403, 'proxy declared in a body on the plain listener');
      // Field names in any case, or escaped, are the same declaration.
      for (const raw of ['{"Description":"x","scacontext":"USER_NOT_PRESENT"}',
        '{"Description":"x","Sca\\u0043ontext":"USER_NOT_PRESENT"}']) {
        const r = await req(srv.base, 'PUT', `/v2.01/${A.id}/wallets/${wallet.json.Id}`, { token: plain, body: raw });
        assertV2Error(r, 403, `proxy declared as ${raw}`);
      }
      // A USER_PRESENT query does not hide a USER_NOT_PRESENT body.
      const mixed = await req(srv.base, 'PUT', `/v2.01/${A.id}/wallets/${wallet.json.Id}?ScaContext=USER_PRESENT`,
        { token: plain, body: { Description: 'x', ScaContext: 'USER_NOT_PRESENT' } });
      assertV2Error(mixed, 403, 'conflicting declarations');
      // The routes say which operations are SCA-triggering.
      const routes = (await run(['routes'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
      const sca = routes.filter((r) => r.sca_triggering).map((r) => `${r.method} ${r.path}`).sort();
      assert.deepEqual(sca, [
        'GET /v2.01/{ClientId}/users/{UserId}/transactions', 'GET /v2.01/{ClientId}/users/{UserId}/wallets',
        'GET /v2.01/{ClientId}/wallets/{WalletId}', 'GET /v2.01/{ClientId}/wallets/{WalletId}/transactions',
      ]);
    });

    it('the whole Echo flow through the mTLS listener: token, user, wallet, intent, capture, cancel', async () => {
      const token = (await oauthM(pki.id('a2'), A)).json.access_token;
      const call = async (method, path, body) => {
        const r = await m(pki.id('a2'), method, path, { token, body });
        assert.equal(r.status, 200, `${method} ${path}: ${r.text}`);
        return r.json;
      };
      const user = await call('POST', `/v2.01/${A.id}/users/natural`, naturalOwner());
      const wallet = await call('POST', `/v2.01/${A.id}/wallets`, { Owners: [user.Id], Currency: 'EUR', Description: 'seller' });
      const seller = { userId: user.Id, walletId: wallet.Id };
      const ext = (ref) => ({ ExternalProcessingDate: 1728133765, ExternalProviderReference: `${ref}-${rand()}`,
        ExternalMerchantReference: 'm', ExternalProviderName: 'Stripe', ExternalProviderPaymentMethod: 'CARD' });
      const lines = [{ UnitAmount: 1000, FeesAmount: 100 }, { UnitAmount: 500, FeesAmount: 50 }];
      const intent = await call('POST', `/V3.0/${A.id}/payins/intents`, intentBody(seller, lines));
      assert.equal(intent.Amount, 1500);
      const cap = await call('POST', `/V3.0/${A.id}/payins/intents/${intent.Id}/captures`, {
        ExternalData: ext('cap'), Amount: 1000, LineItems: [{ Id: intent.LineItems[0].Id, Amount: 1000 }],
      });
      assert.equal(cap.Status, 'PARTIALLY_CAPTURED', JSON.stringify(cap));
      const other = await call('POST', `/V3.0/${A.id}/payins/intents`, intentBody(seller, lines));
      const cancel = await call('POST', `/V3.0/${A.id}/payins/intents/${other.Id}/cancel`, {
        ExternalData: ext('can'), Amount: 500, LineItems: [{ Id: other.LineItems[1].Id, Amount: 500 }],
      });
      assert.equal(cancel.LineItems[1].CanceledAmount, 500, JSON.stringify(cancel));
      assert.equal(cancel.LineItems[1].Seller.FeesAmount, 0, 'the cancelled line keeps no fee');
      const got = await call('GET', `/V3.0/${A.id}/payins/intents/${intent.Id}`);
      assert.equal(got.Status, 'PARTIALLY_CAPTURED');
      // The same intent, read through the plain listener with an unbound token.
      const plain = (await getToken(srv.base, A.id, A.key)).json.access_token;
      const same = await req(srv.base, 'GET', `/V3.0/${A.id}/payins/intents/${intent.Id}`, { token: plain });
      assert.equal(same.status, 200);
      assert.equal(same.json.Status, got.Status);
    });
  });
}

describe('serve refuses a TLS configuration it cannot use', () => {
  it('exits 2 naming the problem', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'splitledger-tlsbad-'));
    try {
      const noCert = await run(['serve', '--db', `sqlite:${dir}/db`, '--listen', `127.0.0.1:${port}`, '--listen-tls', '127.0.0.1:0']);
      assert.equal(noCert.code, 2);
      assert.match(noCert.stderr, /--tls-cert/);
      writeFileSync(join(dir, 'bad.pem'), 'not a certificate');
      const bad = await run(['serve', '--db', `sqlite:${dir}/db`, '--listen', `127.0.0.1:${port}`, '--listen-tls', '127.0.0.1:0',
        '--tls-cert', join(dir, 'bad.pem'), '--tls-key', join(dir, 'bad.pem')]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /certificate/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});
