// `splitledger admin …` (docs/operations.md, "Reconciliation"): after the money-flow scenario
// (intent → capture → splits → settlement → escrow funds → executed splits → a refund that takes
// money back), the trial balance nets to zero per currency, a wallet's statement closes on the
// balance the API shows and is the sum of its movements, a balance at a past instant equals the
// statement's running balance there, the reconciliation names a planted difference (funds short
// by one unit) and nothing else, and the export's manifest matches its files. Reports run beside
// the running server (once its projection caught up) and after it stopped.
import { it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, suite, makeSeller, rand, req, stopServer } from './lib.mjs';

const run = (args) => new Promise((res) => {
  execFile(BIN, args, { timeout: 60_000 }, (err, stdout, stderr) => {
    res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
  });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const settlementCsv = (lines, net) => {
  const rows = [
    'ExternalProviderReference,ExternalTransactionType,ExternalTransactionStatus,ExternalProcessingDate,Amount,Currency',
    ...lines.map((l) => `${l.ref},PAYMENT,SETTLED,19-06-2025,${l.amount},EUR`),
    ',,,,,',
    'SettlementDate,20-06-2025,,,,',
    'ExternalProviderName,Stripe,,,,',
    'TotalSettlementFeesAmount,0,,,,',
    `TotalNetSettlementAmount,${net},,,,`,
    'SettlementCurrency,EUR,,,,',
  ];
  return rows.join('\r\n') + '\r\n';
};

suite('admin reports', (ctx) => {
  let s1, s2, splitAt;
  const v3 = (...a) => ctx.api.v3(...a);
  const v2 = (...a) => ctx.api.v2(...a);
  const ok = (r) => { assert.equal(r.status, 200, r.text); return r.json; };
  const admin = async (...args) => run(['admin', ...args, '--db', ctx.db.url]);
  const json = async (...args) => {
    const r = await admin(...args, '--format', 'json');
    return { ...r, json: r.stdout ? JSON.parse(r.stdout) : undefined };
  };
  // The reports read the projection: wait until it holds every acknowledged batch.
  const caughtUp = async () => {
    for (let i = 0; i < 200; i++) {
      const m = await (await fetch(`${ctx.base}/metrics`)).text();
      if (/splitledger_projection_lag_records 0\n/.test(m)) return Number(/splitledger_log_durable_lsn (\d+)/.exec(m)[1]);
      await sleep(25);
    }
    assert.fail('the projection did not catch up');
  };
  const escrow = (amount, reference) => run(['escrow', 'receive', '--db', ctx.db.url, '--client', ctx.clientId,
    '--currency', 'EUR', '--amount', String(amount), '--reference', reference]);
  // An intent of two sellers captured, split and settled (fees 0), its funds received.
  const settledIntent = async (a1, a2, fundedShort = 0) => {
    const i = ok(await v3('POST', '/payins/intents', {
      Amount: a1 + a2, Currency: 'EUR', PlatformFeesAmount: 100 + 50,
      ExternalData: { ExternalProcessingDate: 1728133765, ExternalProviderReference: `auth-${rand()}`, ExternalProviderName: 'Stripe' },
      LineItems: [
        { Seller: { WalletId: s1.walletId, AuthorId: s1.userId, FeesAmount: 100, TransferDate: 1728133765 }, Sku: 'a', Quantity: 1, UnitAmount: a1 },
        { Seller: { WalletId: s2.walletId, AuthorId: s2.userId, FeesAmount: 50, TransferDate: 1728133765 }, Sku: 'b', Quantity: 1, UnitAmount: a2 },
      ],
    }));
    const captureRef = `cap-${rand()}`;
    const c = ok(await v3('POST', `/payins/intents/${i.Id}/captures`, { ExternalData: { ExternalProcessingDate: 1728133766, ExternalProviderReference: captureRef } }));
    ok(await v3('POST', `/payins/intents/${i.Id}/splits`, { Splits: [
      { LineItemId: c.LineItems[0].Id, SplitAmount: a1 }, { LineItemId: c.LineItems[1].Id, SplitAmount: a2 }] }));
    const st = ok(await v3('POST', '/payins/intents/settlements', { FileName: 'f.csv' }));
    const up = await req(st.UploadUrl, 'PUT', '', { body: settlementCsv([{ ref: captureRef, amount: a1 + a2 }], a1 + a2), headers: { 'Content-Type': 'text/csv' } });
    assert.equal(up.status, 200, up.text);
    const wire = await escrow(a1 + a2 - fundedShort, `wire-${rand()}`);
    assert.equal(wire.code, 0, wire.stderr);
    return { intent: c, settlementId: st.SettlementId };
  };

  let first;
  before(async () => {
    s1 = await makeSeller(ctx.api);
    s2 = await makeSeller(ctx.api);
    first = await settledIntent(1000, 500);
    const paid = ok(await v3('GET', `/payins/intents/${first.intent.Id}`));
    assert.deepEqual(paid.Splits.map((s) => s.Status), ['COMPLETED', 'COMPLETED'], JSON.stringify(paid.Splits));
    splitAt = Math.floor(Date.now() / 1000);
    await sleep(1100);  // the refund lands in a later second than the transfers
    ok(await v3('POST', `/payins/intents/${first.intent.Id}/refunds`, {
      Amount: 300, ExternalData: { ExternalProcessingDate: 1728133800, ExternalProviderReference: `rf-${rand()}` },
      LineItems: [{ Id: first.intent.LineItems[0].Id, Amount: 300 }],
    }));
  });

  it('trial balance: every currency nets to zero, in JSON, CSV and a table', async () => {
    const lsn = await caughtUp();
    const tb = await json('trial-balance', '--client', ctx.clientId);
    assert.equal(tb.code, 0, tb.stderr);
    assert.ok(tb.json.as_of_lsn >= lsn, `reflects the log up to ${lsn}: ${tb.json.as_of_lsn}`);
    assert.ok(tb.json.totals.length >= 1);
    for (const t of tb.json.totals) assert.equal(t.debits, t.credits, `currency ${t.currency}`);
    assert.equal(tb.json.balanced, true);
    const sum = (f) => tb.json.accounts.reduce((s, a) => s + a[f], 0);
    assert.equal(sum('debits'), tb.json.totals.reduce((s, t) => s + t.debits, 0));
    assert.equal(sum('balance'), 0);
    const w1 = tb.json.accounts.find((a) => a.kind === 'wallet' && a.ref === s1.walletId);
    assert.equal(-w1.balance, ok(await v2('GET', `/wallets/${s1.walletId}`)).Balance.Amount);
    const csv = await admin('trial-balance', '--client', ctx.clientId, '--format', 'csv');
    assert.equal(csv.stdout.split('\n')[0], 'currency,kind,ref,account,debits,credits,balance');
    assert.match(csv.stdout, /\nEUR,TOTAL,,,(\d+),\1,0\n/);
    const table = await admin('trial-balance', '--client', ctx.clientId);
    assert.match(table.stdout, /every currency nets to zero/);
    // As of an instant before the client existed: nothing.
    const past = await json('trial-balance', '--client', ctx.clientId, '--at', '2020-01-01');
    assert.equal(past.code, 0);
    assert.deepEqual(past.json.accounts, []);
    // As of the transfers (before the refund): balanced too, and seller one held 900.
    const then = await json('trial-balance', '--client', ctx.clientId, '--at', String(splitAt));
    for (const t of then.json.totals) assert.equal(t.debits, t.credits);
    assert.equal(-then.json.accounts.find((a) => a.ref === s1.walletId).balance, 900);
  });

  it('statement: movements with causes, a running balance, a closing balance equal to the API\'s', async () => {
    await caughtUp();
    const st = await json('statement', '--wallet', s1.walletId);
    assert.equal(st.code, 0, st.stderr);
    const api = ok(await v2('GET', `/wallets/${s1.walletId}`)).Balance.Amount;
    assert.equal(api, 630, 'seller one: 900 transferred, 270 taken back');
    assert.equal(st.json.closing_balance, api);
    assert.equal(st.json.opening_balance, 0);
    let running = st.json.opening_balance;
    for (const m of st.json.movements) {
      running += m.amount;
      assert.equal(m.balance, running, `running balance at tx ${m.tx_id}`);
    }
    assert.equal(running, st.json.closing_balance);
    assert.deepEqual(st.json.movements.map((m) => [m.cause, m.amount]), [['split transfer', 900], ['refund', -270]]);
    assert.ok(st.json.movements.every((m) => m.ref), 'each movement names its object');
    // A window after the transfer: opens at 900.
    const later = await json('statement', '--wallet', s1.walletId, '--from', String(splitAt + 1));
    assert.equal(later.json.opening_balance, 900);
    assert.deepEqual(later.json.movements.map((m) => m.amount), [-270]);
    assert.equal(later.json.closing_balance, 630);
    // The FEES wallet needs the client.
    assert.equal((await json('statement', '--wallet', 'FEES_EUR')).code, 2);
    const fees = await json('statement', '--wallet', 'FEES_EUR', '--client', ctx.clientId);
    assert.equal(fees.json.closing_balance, ok(await v2('GET', '/clients/wallets/FEES/EUR')).Balance.Amount);
    const csv = await admin('statement', '--wallet', s1.walletId, '--format', 'csv');
    assert.match(csv.stdout, /^tx,at,cause,ref,amount,balance\n,,opening balance,,,0\n/);
    assert.equal((await json('statement', '--wallet', 'wlt_nope')).code, 2);
  });

  it('balance at a past instant equals the statement\'s running balance there', async () => {
    await caughtUp();
    const st = (await json('statement', '--wallet', s1.walletId)).json;
    for (const m of st.movements) {
      const b = await json('balance', '--wallet', s1.walletId, '--at', String(m.at));
      assert.equal(b.code, 0, b.stderr);
      assert.equal(b.json.balance, m.balance, `balance at ${m.at}`);
      const byAccount = await json('balance', '--account', String(b.json.account_id), '--at', String(m.at));
      assert.equal(byAccount.json.balance, m.balance);
    }
    assert.equal((await json('balance', '--wallet', s1.walletId, '--at', '2020-01-01T00:00:00Z')).json.balance, 0);
    assert.equal((await json('balance', '--wallet', s1.walletId, '--at', String(splitAt))).json.balance, 900);
    assert.equal((await admin('balance', '--wallet', s1.walletId)).code, 2, '--at is required');
  });

  it('reconcile: clean after the scenario; then names a settlement funded one unit short, and nothing else', async () => {
    await caughtUp();
    const clean = await json('reconcile', '--client', ctx.clientId);
    assert.equal(clean.code, 0, `${clean.stdout}${clean.stderr}`);
    assert.deepEqual(clean.json.differences, []);
    assert.equal(clean.json.checked.settlements, 1);
    assert.equal(clean.json.checked.seller_wallets, 2);
    const short = await settledIntent(200, 100, 1);
    assert.equal(ok(await v3('GET', `/payins/intents/settlements/${short.settlementId}`)).Status, 'INSUFFICIENT_FUNDS');
    await caughtUp();
    const rec = await json('reconcile', '--client', ctx.clientId);
    assert.equal(rec.code, 1, 'differences exit 1');
    assert.equal(rec.json.differences.length, 1, JSON.stringify(rec.json.differences));
    const [d] = rec.json.differences;
    assert.equal(d.check, 'settlement_funding');
    assert.equal(d.object, short.settlementId);
    assert.deepEqual([d.expected, d.actual, d.difference], [300, 299, -1]);
    assert.ok(d.related.some((r) => r.startsWith('escrow.receive wire-')), JSON.stringify(d.related));
    const table = await admin('reconcile', '--client', ctx.clientId);
    assert.match(table.stdout, /1 difference\(s\)/);
    assert.ok(table.stdout.includes(short.settlementId));
  });

  it('export: CSV files and a manifest whose row counts and checksums match', async () => {
    await caughtUp();
    const dir = mkdtempSync(join(tmpdir(), 'splitledger-export-'));
    try {
      const r = await json('export', '--client', ctx.clientId, '--from', '2020-01-01', '--to', String(Math.floor(Date.now() / 1000) + 60), '--dir', dir);
      assert.equal(r.code, 0, r.stderr);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      assert.deepEqual(manifest.files.map((f) => f.name).sort(),
        ['intents.csv', 'journal.csv', 'postings.csv', 'settlements.csv', 'wallets.csv']);
      for (const f of manifest.files) {
        const bytes = readFileSync(join(dir, f.name));
        assert.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256, f.name);
        const lines = bytes.toString('utf8').split('\n').filter((l) => l);
        assert.equal(lines.length - 1, f.rows, `${f.name}: a header, then its rows`);
      }
      const rows = Object.fromEntries(manifest.files.map((f) => [f.name, f.rows]));
      assert.equal(rows['intents.csv'], 2);
      assert.equal(rows['settlements.csv'], 2);
      // Every posting belongs to an exported journal entry, and the postings balance.
      const postings = readFileSync(join(dir, 'postings.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      const txs = new Set(readFileSync(join(dir, 'journal.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]));
      assert.ok(postings.every((p) => txs.has(p[0])));
      const net = postings.filter((p) => p[7] === '0').reduce((s, p) => s + (p[6] === '0' ? 1 : -1) * Number(p[8]), 0);
      assert.equal(net, 0, 'posted debits equal credits');
      // An empty window exports headers only: zero rows.
      const none = await json('export', '--client', ctx.clientId, '--from', '2020-01-01', '--to', '2020-01-02', '--dir', join(dir, 'none'));
      assert.equal(none.json.files.find((f) => f.name === 'journal.csv').rows, 0);
      assert.equal(readFileSync(join(dir, 'none', 'journal.csv'), 'utf8'), 'id,client_id,kind,ref,created_at\n');
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('reports work on the database once no server runs, with the same figures', async () => {
    await caughtUp();
    const before = (await json('trial-balance', '--client', ctx.clientId)).json;
    const stopped = await stopServer(ctx.srv);
    assert.equal(stopped.code, 0);
    const after = (await json('trial-balance', '--client', ctx.clientId)).json;
    assert.deepEqual(after.totals, before.totals);
    assert.deepEqual(after.accounts, before.accounts);
    assert.equal((await admin('nonsense')).code, 2);
    assert.equal((await admin('trial-balance')).code, 2, '--client is required');
  });
});
