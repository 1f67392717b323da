// Contract test: the official Mangopay Node SDK, unmodified, as a platform acting as an SCA proxy
// would run it: every call (OAuth included) to the mTLS listener, with the SDK's own
// certFilePath / keyFilePath / caFilePath options (reference/echo-api.md §3). Its token is bound
// to its certificate, so the same token is refused on the plain listener.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BACKENDS, BIN, createClient, startServer, stopServer, verify, freePort, rand, req, naturalOwner,
} from '../api/lib.mjs';
import { makePki } from '../api/pki.mjs';

const require = createRequire(import.meta.url);
const mangopay = require('mangopay4-nodejs-sdk');

for (const backend of BACKENDS) {
  describe(`Mangopay Node SDK over mTLS [${backend.name}]`, () => {
    let pki, db, srv, api, clientId, mtlsPort;
    const apiKey = `mtls-${rand(12)}`;
    before(async () => {
      pki = makePki(mkdtempSync(join(tmpdir(), 'splitledger-pki-')));
      db = await backend.create();
      clientId = `sdk-mtls-${rand(3)}`;
      await createClient(db.url, clientId, apiKey);
      execFileSync(BIN, ['client', 'cert', 'add', '--db', db.url, '--id', clientId, '--cert', pki.id('a1').file]);
      mtlsPort = await freePort();
      srv = await startServer(db.url, [
        '--listen-mtls', `127.0.0.1:${mtlsPort}`, '--tls-cert', join(pki.dir, 'server.crt'),
        '--tls-key', join(pki.dir, 'server.key'), '--client-ca', join(pki.dir, 'client-ca.crt'),
      ]);
      api = new mangopay({
        clientId, clientApiKey: apiKey, baseUrl: `https://127.0.0.1:${mtlsPort}`,
        certFilePath: join(pki.dir, 'a1.crt'), keyFilePath: join(pki.dir, 'a1.key'),
        caFilePath: join(pki.dir, 'client-ca.crt'), errorHandler: () => {},
      });
    });
    after(async () => {
      try {
        if (srv) {
          const r = await stopServer(srv);
          assert.equal(r.code, 0);
          const v = await verify(db.url);
          assert.equal(v.code, 0, `verify: ${v.stdout}${v.stderr}`);
        }
      } finally {
        if (db) await db.drop();
        if (pki) rmSync(pki.dir, { recursive: true, force: true });
      }
    });

    it('token, user, wallet, wallet read under ScaContext=USER_NOT_PRESENT — and the token is bound', async () => {
      const token = await api.authorize();
      assert.ok(token.access_token);
      const user = await api.Users.create(naturalOwner());
      assert.ok(user.Id);
      const wallet = await api.Wallets.create({ Owners: [user.Id], Currency: 'EUR', Description: 'seller wallet' });
      assert.equal(wallet.Balance.Amount, 0);
      const read = await api.Wallets.get(wallet.Id, { parameters: { ScaContext: 'USER_NOT_PRESENT' } });
      assert.equal(read.Id, wallet.Id);
      // The SDK really sends the parameter: an unknown value is refused.
      let refused;
      try { await api.Wallets.get(wallet.Id, { parameters: { ScaContext: 'BOGUS' } }); } catch (e) { refused = e; }
      assert.ok(refused, 'ScaContext=BOGUS must be refused');
      assert.equal(refused.Type, 'param_error', JSON.stringify(refused));
      // The SDK's token replayed without the certificate, on the plain listener.
      const replay = await req(srv.base, 'GET', `/v2.01/${clientId}/wallets/${wallet.Id}`, { token: token.access_token });
      assert.equal(replay.status, 401, replay.text);
    });
  });
}
