// Money from capture to the sellers' wallets (Echo §8.6, §9.4, §9.5, §11): an intent with two
// sellers → capture → splits → settlement file → escrow funds (CLI, through the running server)
// → splits available → executed → seller and FEES wallet balances exact → refund after execution
// takes the money back → `verify` clean (the suite's after hook), on SQLite and PostgreSQL.
import { it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  BIN, suite, makeSeller, assertV3Error, rand, req,
} from './lib.mjs';

const escrowReceive = (db, client, amount, reference, currency = 'EUR') => new Promise((res) => {
  execFile(BIN, ['escrow', 'receive', '--db', db, '--client', client, '--currency', currency,
    '--amount', String(amount), '--reference', reference], { timeout: 60_000 }, (err, stdout, stderr) => {
    res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
  });
});

// A settlement file of PAYMENT lines [{ref, amount}] with the given fees and net total.
const settlementCsv = (lines, { fees = 0, net, provider = 'Stripe', currency = 'EUR' } = {}) => {
  const total = lines.reduce((s, l) => s + l.amount, 0);
  const rows = [
    'ExternalProviderReference,ExternalTransactionType,ExternalTransactionStatus,ExternalProcessingDate,Amount,Currency,ExternalInitialReference',
    ...lines.map((l) => `${l.ref},${l.type ?? 'PAYMENT'},${l.status ?? 'SETTLED'},19-06-2025,${l.amount},${currency},${l.initial ?? ''}`),
    ',,,,,,',
    'SettlementDate,20-06-2025,,,,,',
    `ExternalProviderName,${provider},,,,,`,
    `TotalSettlementFeesAmount,${fees},,,,,`,
    `TotalNetSettlementAmount,${net ?? total - fees},,,,,`,
    `SettlementCurrency,${currency},,,,,`,
  ];
  return '\ufeff' + rows.join('\r\n') + '\r\n';
};

suite('money flow', (ctx) => {
  let s1, s2;
  before(async () => { s1 = await makeSeller(ctx.api); s2 = await makeSeller(ctx.api); });
  const v3 = (...a) => ctx.api.v3(...a);
  const v2 = (...a) => ctx.api.v2(...a);
  const ok = (r) => { assert.equal(r.status, 200, r.text); return r.json; };
  const balance = async (walletId) => ok(await v2('GET', `/wallets/${walletId}`)).Balance.Amount;
  const feesBalance = async () => ok(await v2('GET', '/clients/wallets/FEES/EUR')).Balance.Amount;
  const upload = (url, body, headers = { 'Content-Type': 'text/csv' }) => req(url, 'PUT', '', { body, headers });

  // Two sellers: 1000 (fee 100) and 500 (fee 50), captured with its own reference.
  const capturedIntent = async (transferDate = 1728133765) => {
    const body = {
      Amount: 1500, Currency: 'EUR', PlatformFeesAmount: 150,
      ExternalData: { ExternalProcessingDate: 1728133765, ExternalProviderReference: `auth-${rand()}`, ExternalProviderName: 'Stripe' },
      LineItems: [
        { Seller: { WalletId: s1.walletId, AuthorId: s1.userId, FeesAmount: 100, TransferDate: transferDate }, Sku: 'a', Quantity: 1, UnitAmount: 1000 },
        { Seller: { WalletId: s2.walletId, AuthorId: s2.userId, FeesAmount: 50, TransferDate: transferDate }, Sku: 'b', Quantity: 1, UnitAmount: 500 },
      ],
    };
    const i = ok(await v3('POST', '/payins/intents', body));
    const captureRef = `cap-${rand()}`;
    const c = ok(await v3('POST', `/payins/intents/${i.Id}/captures`, { ExternalData: { ExternalProcessingDate: 1728133766, ExternalProviderReference: captureRef } }));
    assert.equal(c.UnfundedAmount, 1500, 'captured, nothing settled yet');
    return { intent: c, captureRef, l1: c.LineItems[0].Id, l2: c.LineItems[1].Id };
  };

  it('capture → splits → settlement → funds → executed: every wallet exact, then a refund takes money back', async () => {
    const { intent, captureRef, l1, l2 } = await capturedIntent();
    const sp = ok(await v3('POST', `/payins/intents/${intent.Id}/splits`, { Splits: [
      { LineItemId: l1, SplitAmount: 1000, Description: 'seller one' },
      { LineItemId: l2, SplitAmount: 500 },
    ] })).Splits;
    assert.deepEqual(sp.map((x) => [x.Status, x.SplitAmount, x.FeesAmount]), [['CREATED', 1000, 100], ['CREATED', 500, 50]],
      'FeesAmount defaults to the line fee');
    assert.equal(sp[0].WalletId, s1.walletId);
    assert.equal(sp[0].SellerId, s1.userId);
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/splits/${sp[0].Id}/execute`), 400);
    const got = ok(await v3('GET', `/payins/intents/${intent.Id}`));
    assert.equal(got.AvailableAmountToSplit, 0);
    assert.equal(got.LineItems[0].SplitAmount, 1000);

    // The settlement: 1500 captured, PSP fees 15, 1485 paid to the escrow wallet.
    const st = ok(await v3('POST', '/payins/intents/settlements', { FileName: 'june.csv' }));
    assert.equal(st.Status, 'PENDING_UPLOAD');
    assert.match(st.FileName, /^june_\d+\.csv$/);
    const up = await upload(st.UploadUrl, settlementCsv([{ ref: captureRef, amount: 1500 }], { fees: 15 }));
    assert.equal(up.status, 200, up.text);
    const matched = ok(await v3('GET', `/payins/intents/settlements/${st.SettlementId}`));
    assert.equal(matched.Status, 'PENDING_FUNDS_RECEPTION', JSON.stringify(matched));
    assert.equal(matched.DeclaredIntentAmount, 1500);
    assert.equal(matched.ActualSettlementAmount, 1485);
    assert.equal(matched.ExternalProcessorFeesAmount, 15);
    assert.equal(matched.FundsMissingAmount, 1485);
    assert.equal(ok(await v3('GET', `/payins/intents/${intent.Id}/splits/${sp[0].Id}`)).Status, 'PENDING_FUNDS_RECEPTION');
    assert.equal(ok(await v3('GET', `/payins/intents/${intent.Id}`)).Captures[0].Status, 'SETTLED_NOT_PAID');

    // Funds arrive in two wires, recorded by the CLI through the running server.
    const first = await escrowReceive(ctx.db.url, ctx.clientId, 1000, `wire-${rand()}`);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout).EscrowBalance, 1000);
    const short = ok(await v3('GET', `/payins/intents/settlements/${st.SettlementId}`));
    assert.equal(short.Status, 'INSUFFICIENT_FUNDS');
    assert.equal(short.FundsMissingAmount, 485);
    const second = await escrowReceive(ctx.db.url, ctx.clientId, 485, `wire-${rand()}`);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout).ReconciledSettlements, [st.SettlementId]);
    const done = ok(await v3('GET', `/payins/intents/settlements/${st.SettlementId}`));
    assert.equal(done.Status, 'RECONCILED');
    assert.equal(done.FundsMissingAmount, 0);

    // TransferDate passed: executed at once. 1485 in escrow pays the 1000 split; the 500 one is
    // refused (the PSP kept 15) until the platform tops the escrow wallet up.
    const paid = ok(await v3('GET', `/payins/intents/${intent.Id}`));
    assert.equal(paid.Captures[0].Status, 'PAID');
    assert.equal(paid.UnfundedAmount, 0);
    const byId = Object.fromEntries(paid.Splits.map((x) => [x.Id, x]));
    assert.equal(byId[sp[0].Id].Status, 'COMPLETED');
    assert.equal(byId[sp[1].Id].Status, 'REJECTED', JSON.stringify(byId[sp[1].Id]));
    assert.match(byId[sp[1].Id].ResultMessage, /escrow wallet holds 485/);
    assert.equal(await balance(s1.walletId), 900);
    assert.equal(await balance(s2.walletId), 0);
    const topUp = await escrowReceive(ctx.db.url, ctx.clientId, 15, `topup-${rand()}`);
    assert.equal(topUp.code, 0, topUp.stderr);
    const ex = ok(await v3('POST', `/payins/intents/${intent.Id}/splits/${sp[1].Id}/execute`));
    assert.equal(ex.Status, 'COMPLETED');
    assert.equal(await balance(s1.walletId), 900);
    assert.equal(await balance(s2.walletId), 450);
    assert.equal(await feesBalance(), 150);
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/splits/${sp[1].Id}/execute`), 400);
    assertV3Error(await v3('POST', `/payins/intents/${intent.Id}/splits/${sp[1].Id}/reverse`), 400);

    // A refund of 300 on line 1 after execution: taken back from seller one (270) and the FEES
    // wallet (30) into the escrow wallet.
    const rf = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds`, {
      Amount: 300, ExternalData: { ExternalProcessingDate: 1728133800, ExternalProviderReference: `rf-${rand()}` },
      LineItems: [{ Id: l1, Amount: 300 }],
    }));
    assert.equal(rf.LineItems[0].RefundedAmount, 300);
    assert.equal(rf.LineItems[0].SplitAmount, 700);
    const split1 = ok(await v3('GET', `/payins/intents/${intent.Id}/splits/${sp[0].Id}`));
    assert.equal(split1.Status, 'REFUND_SPLIT_COMPLETED');
    assert.equal(split1.RefundedAmount, 300);
    assert.equal(await balance(s1.walletId), 630);
    assert.equal(await feesBalance(), 120);

    // Every movement shows in the wallets' transactions, and they add up to the balances.
    const net = (list, wallet) => list.reduce((s, t) => s + (t.CreditedWalletId === wallet ? t.CreditedFunds.Amount : 0)
      - (t.DebitedWalletId === wallet ? t.DebitedFunds.Amount : 0), 0);
    const tx1 = ok(await v2('GET', `/wallets/${s1.walletId}/transactions?per_page=100`));
    const mine = tx1.filter((t) => t.Id.startsWith(sp[0].Id));
    assert.deepEqual(mine.map((t) => [t.Type, t.Nature, t.DebitedFunds.Amount, t.Fees.Amount, t.CreditedFunds.Amount]),
      [['TRANSFER', 'REGULAR', 1000, 100, 900], ['TRANSFER', 'REFUND', 270, 0, 270]]);
    assert.equal(mine[0].CreditedWalletId, s1.walletId);
    assert.equal(mine[0].DebitedWalletId, 'ESCROW_EUR');
    assert.equal(mine[0].Status, 'SUCCEEDED');
    assert.equal(net(tx1, s1.walletId), await balance(s1.walletId));
    const feesTx = ok(await v2('GET', '/clients/wallets/FEES/EUR/transactions?per_page=100'));
    assert.equal(net(feesTx, 'FEES_EUR'), await feesBalance());
    const userTx = ok(await v2('GET', `/users/${s2.userId}/transactions?per_page=100`));
    assert.ok(userTx.some((t) => t.Id === sp[1].Id && t.CreditedFunds.Amount === 450), JSON.stringify(userTx));
  });

  it('a whole executed split refunded: all of it comes back from the seller wallet', async () => {
    const { intent, captureRef, l2 } = await capturedIntent();
    const [, sp2] = ok(await v3('POST', `/payins/intents/${intent.Id}/splits`, { Splits: [
      { LineItemId: intent.LineItems[0].Id, SplitAmount: 1000 }, { LineItemId: l2, SplitAmount: 500, FeesAmount: 0 },
    ] })).Splits;
    const st = ok(await v3('POST', '/payins/intents/settlements', { FileName: 'b.csv' }));
    assert.equal((await upload(st.UploadUrl, settlementCsv([{ ref: captureRef, amount: 1500 }]))).status, 200);
    const funds = await escrowReceive(ctx.db.url, ctx.clientId, 1500, `wire-${rand()}`);
    assert.equal(funds.code, 0, funds.stderr);
    assert.equal(ok(await v3('GET', `/payins/intents/${intent.Id}/splits/${sp2.Id}`)).Status, 'COMPLETED');
    // (A seller wallet short of the money is recorded REFUND_SPLIT_REJECTED: no outflow other
    // than take-backs exists yet, so the ledger tests cover that case.)
    const before2 = await balance(s2.walletId);
    assert.ok(before2 >= 500);
    const rf = ok(await v3('POST', `/payins/intents/${intent.Id}/refunds`, {
      Amount: 500, ExternalData: { ExternalProcessingDate: 1728133800, ExternalProviderReference: `rf-${rand()}` },
      LineItems: [{ Id: l2, Amount: 500 }],
    }));
    assert.equal(rf.LineItems[1].RefundedAmount, 500);
    const s = ok(await v3('GET', `/payins/intents/${intent.Id}/splits/${sp2.Id}`));
    assert.equal(s.Status, 'REFUND_SPLIT_COMPLETED');
    assert.equal(await balance(s2.walletId), before2 - 500);
  });

  it('a split whose TransferDate comes later executes on its own then; one without waits for execute', async () => {
    const soon = Math.floor(Date.now() / 1000) + 2;
    const { intent, captureRef, l1, l2 } = await capturedIntent(soon);
    const st = ok(await v3('POST', '/payins/intents/settlements', { FileName: 'later.csv' }));
    assert.equal((await upload(st.UploadUrl, settlementCsv([{ ref: captureRef, amount: 1500 }]))).status, 200);
    const funds = await escrowReceive(ctx.db.url, ctx.clientId, 1500, `wire-${rand()}`);
    assert.equal(funds.code, 0, funds.stderr);
    // Splits created after the settlement is reconciled start AVAILABLE.
    const [dated, undated] = ok(await v3('POST', `/payins/intents/${intent.Id}/splits`, { Splits: [
      { LineItemId: l1, SplitAmount: 1000 }, { LineItemId: l2, SplitAmount: 500 },
    ] })).Splits;
    assert.equal(dated.Status, 'AVAILABLE');
    assert.equal(dated.TransferDate, soon);
    ok(await v3('PUT', `/payins/intents/${intent.Id}/splits/${undated.Id}`, { LineItemId: l2, TransferDate: soon + 3600 }));
    const end = Date.now() + 15_000;
    for (;;) {
      const s = ok(await v3('GET', `/payins/intents/${intent.Id}/splits/${dated.Id}`));
      if (s.Status === 'COMPLETED') break;
      assert.equal(s.Status, 'AVAILABLE');
      if (Date.now() > end) assert.fail('the dated split was not executed on its own');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(ok(await v3('GET', `/payins/intents/${intent.Id}/splits/${undated.Id}`)).Status, 'AVAILABLE', 'its date is an hour away');
    assert.equal(ok(await v3('POST', `/payins/intents/${intent.Id}/splits/${undated.Id}/execute`)).Status, 'COMPLETED');
  });

  it('settlement files: bad upload token, unmatched and partially matched files, validations, cancel', async () => {
    const { captureRef } = await capturedIntent();
    const st = ok(await v3('POST', '/payins/intents/settlements', { FileName: 'c.csv' }));
    const bad = await upload(st.UploadUrl.replace(/token=[0-9a-f]+/, 'token=00'), settlementCsv([{ ref: captureRef, amount: 1500 }]));
    assert.equal(bad.status, 403, bad.text);
    assertV3Error(await v3('POST', '/payins/intents/settlements', { FileName: 'c.txt' }), 400);
    // The SDK's form: the file as a JSON-serialised Buffer, no Authorization header.
    const nobody = settlementCsv([{ ref: `nope-${rand()}`, amount: 1500 }]);
    const asBuffer = JSON.stringify(Buffer.from(nobody));
    assert.equal((await upload(st.UploadUrl, asBuffer)).status, 200);
    const un = ok(await v3('GET', `/payins/intents/settlements/${st.SettlementId}`));
    assert.equal(un.Status, 'UNMATCHED');
    const val = ok(await v3('GET', `/payins/intents/settlements/${st.SettlementId}/validations`));
    assert.equal(val.LinesErrors[0].Code, 'MATCH_REF_NOT_FOUND');
    // A new URL; the first keeps working. One line matches, one does not: PARTIALLY_MATCHED.
    const again = ok(await v3('PUT', `/payins/intents/settlements/${st.SettlementId}`, { FileName: 'c2.csv' }));
    assert.notEqual(again.UploadUrl, st.UploadUrl);
    const mixed = settlementCsv([{ ref: captureRef, amount: 1500 }, { ref: `nope-${rand()}`, amount: 10 }]);
    assert.equal((await upload(st.UploadUrl, mixed)).status, 200);
    assert.equal(ok(await v3('GET', `/payins/intents/settlements/${st.SettlementId}`)).Status, 'PARTIALLY_MATCHED');
    // The footer total wrong: SETTLEMENTAMOUNT_NOT_MATCH.
    assert.equal((await upload(again.UploadUrl, settlementCsv([{ ref: captureRef, amount: 1500 }], { net: 999999 }))).status, 200);
    const v2nd = ok(await v3('GET', `/payins/intents/settlements/${st.SettlementId}/validations`));
    assert.equal(v2nd.FooterErrors[0].Code, 'SETTLEMENTAMOUNT_NOT_MATCH');
    // A wrong amount for the capture is a line error.
    assert.equal((await upload(again.UploadUrl, settlementCsv([{ ref: captureRef, amount: 1499 }]))).status, 200);
    const v3rd = ok(await v3('GET', `/payins/intents/settlements/${st.SettlementId}/validations`));
    assert.equal(v3rd.LinesErrors[0].Code, 'AMOUNT_NOT_MATCH');
    // A broken file: FAILED.
    assert.equal((await upload(again.UploadUrl, 'not,a,settlement\n')).status, 200);
    assert.equal(ok(await v3('GET', `/payins/intents/settlements/${st.SettlementId}`)).Status, 'FAILED');
    const c = ok(await v3('POST', `/payins/intents/settlements/${st.SettlementId}/cancel`));
    assert.equal(c.Status, 'CANCELLED');
    assertV3Error(await v3('POST', `/payins/intents/settlements/${st.SettlementId}/cancel`), 400);
    assert.equal((await upload(st.UploadUrl, mixed)).status, 400, 'a cancelled settlement takes no file');
    assertV3Error(await v3('GET', '/payins/intents/settlements/int_stlmnt_nope'), 404);
  });

  it('captures made without their own reference are matched by the intent reference, one line each', async () => {
    const ref = `auth-${rand()}`;
    const i = ok(await v3('POST', '/payins/intents', {
      Amount: 1000, Currency: 'EUR', ExternalData: { ExternalProcessingDate: 1, ExternalProviderReference: ref, ExternalProviderName: 'Stripe' },
      LineItems: [{ Seller: { WalletId: s1.walletId }, Sku: 'x', Quantity: 1, UnitAmount: 1000 }],
    }));
    const li = i.LineItems[0].Id;
    ok(await v3('POST', `/payins/intents/${i.Id}/captures`, { Amount: 600, LineItems: [{ Id: li, Amount: 600 }] }));
    ok(await v3('POST', `/payins/intents/${i.Id}/captures`, { Amount: 400, LineItems: [{ Id: li, Amount: 400 }] }));
    const st = ok(await v3('POST', '/payins/intents/settlements', { FileName: 'two.csv' }));
    // The 400 line first: it takes the capture of its amount, the 600 line the other.
    assert.equal((await upload(st.UploadUrl, settlementCsv([{ ref, amount: 400 }, { ref, amount: 600 }]))).status, 200);
    const got = ok(await v3('GET', `/payins/intents/settlements/${st.SettlementId}`));
    // Every line matched (the 15 the first test topped up may already have come in: short).
    assert.ok(['PENDING_FUNDS_RECEPTION', 'INSUFFICIENT_FUNDS'].includes(got.Status),
      `${got.Status}: ${JSON.stringify(ok(await v3('GET', `/payins/intents/settlements/${st.SettlementId}/validations`)))}`);
    assert.equal(got.DeclaredIntentAmount, 1000);
    const caps = ok(await v3('GET', `/payins/intents/${i.Id}`)).Captures;
    assert.deepEqual(caps.map((c) => c.Status), ['SETTLED_NOT_PAID', 'SETTLED_NOT_PAID']);
  });

  it('escrow receive refuses bad input and an unknown client', async () => {
    for (const args of [[-5, 'x'], [0, 'x']]) {
      const r = await escrowReceive(ctx.db.url, ctx.clientId, args[0], args[1]);
      assert.equal(r.code, 2, r.stderr);
    }
    const cur = await escrowReceive(ctx.db.url, ctx.clientId, 5, 'x', 'XXX');
    assert.equal(cur.code, 2, cur.stderr);
    const unknown = await escrowReceive(ctx.db.url, `nobody-${rand()}`, 5, 'x');
    assert.notEqual(unknown.code, 0);
  });
});
