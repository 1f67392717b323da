// `splitledger escrow receive` with no server holding the database: the CLI takes the lease and
// writes through a sequencer of its own; a server started afterwards sees the funds (they pay a
// settlement matched later), and `verify` is clean.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  BIN, BACKENDS, createClient, startServer, stopServer, verify, getToken, Api, rand,
} from './lib.mjs';

const cli = (args) => new Promise((res) => {
  execFile(BIN, args, { timeout: 60_000 }, (err, stdout, stderr) => {
    res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
  });
});

for (const backend of BACKENDS) {
  describe(`escrow receive without a server [${backend.name}]`, () => {
    let db;
    after(async () => { await db?.drop(); });

    it('records funds through its own sequencer; the server that starts later has them', async () => {
      db = await backend.create();
      const clientId = `cl-${rand(4)}`;
      const apiKey = `key-${rand(16)}`;
      await createClient(db.url, clientId, apiKey);
      const receive = (amount, ref) => cli(['escrow', 'receive', '--db', db.url, '--client', clientId,
        '--currency', 'EUR', '--amount', String(amount), '--reference', ref]);
      const a = await receive(700, 'wire-1');
      assert.equal(a.code, 0, a.stderr);
      const ra = JSON.parse(a.stdout);
      assert.equal(ra.EscrowBalance, 700);
      assert.equal(ra.UnallocatedAmount, 700);
      assert.deepEqual(ra.ReconciledSettlements, []);
      const b = await receive(300, 'wire-2');
      assert.equal(b.code, 0, b.stderr);
      assert.equal(JSON.parse(b.stdout).EscrowBalance, 1000);
      // A wire is recorded once: the same again is answered, not added; another amount is refused.
      const again = await receive(700, 'wire-1');
      assert.equal(again.code, 0, again.stderr);
      assert.equal(JSON.parse(again.stdout).AlreadyRecorded, true);
      assert.equal(JSON.parse(again.stdout).EscrowBalance, 1000);
      const other = await receive(5, 'wire-1');
      assert.notEqual(other.code, 0);
      assert.match(other.stderr, /recorded with amount 700/);
      const nobody = await cli(['escrow', 'receive', '--db', db.url, '--client', 'nobody', '--currency', 'EUR', '--amount', '5', '--reference', 'x']);
      assert.notEqual(nobody.code, 0, 'an unknown client is refused');
      assert.match(nobody.stderr, /Client not found/);

      // The server sees the 1000: a settlement of 1000 matched now is RECONCILED at once.
      const srv = await startServer(db.url);
      try {
        const dup = await receive(300, 'wire-2');  // through the server: it loaded the references
        assert.equal(dup.code, 0, dup.stderr);
        assert.equal(JSON.parse(dup.stdout).AlreadyRecorded, true);
        assert.equal(JSON.parse(dup.stdout).EscrowBalance, 1000);
        const t = await getToken(srv.base, clientId, apiKey);
        const api = new Api(srv.base, clientId, t.json.access_token);
        const u = await api.v2('POST', '/users/natural', { FirstName: 'A', LastName: 'B', Email: 'a@b.c', TermsAndConditionsAccepted: true });
        const w = await api.v2('POST', '/wallets', { Owners: [u.json.Id], Description: 'w', Currency: 'EUR' });
        const i = await api.v3('POST', '/payins/intents', {
          Amount: 1000, Currency: 'EUR', ExternalData: { ExternalProcessingDate: 1, ExternalProviderReference: `r-${rand()}`, ExternalProviderName: 'Stripe' },
          LineItems: [{ Seller: { WalletId: w.json.Id }, Sku: 's', Quantity: 1, UnitAmount: 1000 }],
        });
        assert.equal(i.status, 200, i.text);
        const capRef = `c-${rand()}`;
        assert.equal((await api.v3('POST', `/payins/intents/${i.json.Id}/captures`, { ExternalData: { ExternalProcessingDate: 2, ExternalProviderReference: capRef } })).status, 200);
        const st = await api.v3('POST', '/payins/intents/settlements', { FileName: 'x.csv' });
        const csv = ['ExternalProviderReference,ExternalTransactionType,ExternalTransactionStatus,ExternalProcessingDate,Amount,Currency',
          `${capRef},PAYMENT,SETTLED,01-07-2025,1000,EUR`, ',,,,,', 'SettlementDate,02-07-2025', 'ExternalProviderName,Stripe',
          'TotalSettlementFeesAmount,0', 'TotalNetSettlementAmount,1000', 'SettlementCurrency,EUR', ''].join('\n');
        const up = await fetch(st.json.UploadUrl, { method: 'PUT', body: csv, headers: { 'Content-Type': 'text/csv' } });
        assert.equal(up.status, 200);
        const got = await api.v3('GET', `/payins/intents/settlements/${st.json.SettlementId}`);
        assert.equal(got.json.Status, 'RECONCILED', got.text);
        const intent = await api.v3('GET', `/payins/intents/${i.json.Id}`);
        assert.equal(intent.json.UnfundedAmount, 0);
        assert.equal(intent.json.Captures[0].Status, 'PAID');
      } finally {
        const r = await stopServer(srv);
        assert.equal(r.code, 0, srv.log.slice(-2000));
      }
      const v = await verify(db.url);
      assert.equal(v.code, 0, v.stdout + v.stderr);
    });
  });
}
