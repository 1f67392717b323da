// V3.0 intents: create (§8.1, mixed basket), get, capture (§8.2), cancel (§8.3 + pro-rata fee rule),
// the V3 error body (§5.2), tolerance (§1).
import { it, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  suite, req, makeSeller, createIntent, intentBody, externalData, assertV3Error,
} from './lib.mjs';

const line = (intent, i) => intent.LineItems[i];
const byId = (intent, id) => intent.LineItems.find((l) => l.Id === id);
const cancelled = (l) => l.CancelledAmount ?? l.CanceledAmount;

suite('intents', (ctx) => {
  let seller;
  before(async () => { seller = await makeSeller(ctx.api); });
  const get = async (id) => {
    const r = await ctx.api.v3('GET', `/payins/intents/${id}`);
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  const capture = (id, body) => ctx.api.v3('POST', `/payins/intents/${id}/captures`, body);
  const cancel = (id, body) => ctx.api.v3('POST', `/payins/intents/${id}/cancel`, body);
  const partial = (lines, extra = {}) => ({
    Amount: lines.reduce((s, l) => s + l.Amount, 0), Currency: 'EUR',
    ExternalData: { ExternalProcessingDate: 1728133765, ExternalProviderReference: `cap-${Math.random()}` },
    LineItems: lines, ...extra,
  });

  it('create: Amount = Σ(Unit×Qty − Discount), PlatformFeesAmount = Σ fees, lines echoed with ids', async () => {
    const body = intentBody(seller, [
      { UnitAmount: 500, Quantity: 3, DiscountAmount: 100, FeesAmount: 140 },
      { UnitAmount: 250, Quantity: 2, FeesAmount: 50 },
    ]);
    assert.equal(body.Amount, 1900);
    const r = await ctx.api.v3('POST', '/payins/intents', body);
    assert.equal(r.status, 200, r.text);
    const it0 = r.json;
    assert.match(it0.Id, /^int_/);
    assert.equal(it0.Status, 'AUTHORIZED');
    assert.equal(it0.Amount, 1900);
    assert.equal(it0.Currency, 'EUR');
    assert.equal(it0.PlatformFeesAmount, 190);
    assert.equal(it0.AvailableAmountToSplit, 0);
    assert.equal(it0.LineItems.length, 2);
    assert.equal(line(it0, 0).TotalLineItemAmount, 1400);
    assert.equal(line(it0, 1).TotalLineItemAmount, 500);
    assert.equal(line(it0, 0).Seller.FeesAmount, 140);
    assert.equal(line(it0, 0).Seller.WalletId, seller.walletId);
    assert.equal(line(it0, 0).CapturedAmount, 0);
    assert.match(line(it0, 0).Id, /^int_li_/);
    assert.notEqual(line(it0, 0).Id, line(it0, 1).Id);
    assert.equal(it0.ExternalData.ExternalProviderReference, body.ExternalData.ExternalProviderReference);
    const g = await get(it0.Id);
    assert.equal(g.Id, it0.Id);
    assert.equal(g.Status, 'AUTHORIZED');
    assert.equal(g.Amount, 1900);
    assert.equal(g.PlatformFeesAmount, 190);
    assert.deepEqual(g.LineItems.map((l) => l.Id), it0.LineItems.map((l) => l.Id));
    assert.ok(Array.isArray(g.Captures), 'Captures[] on GET');
  });

  it('create: PlatformFeesAmount omitted → Σ Seller.FeesAmount; the SDK fixture (no fees, past TransferDate) passes', async () => {
    const r = await ctx.api.v3('POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 700, FeesAmount: 70 }, { UnitAmount: 300, FeesAmount: 5 }], { withFees: false }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.PlatformFeesAmount, 75);
    const fx = await ctx.api.v3('POST', '/payins/intents', {
      Amount: 1000, Currency: 'EUR', ExternalData: externalData(), Buyer: { Id: seller.userId },
      LineItems: [{ Seller: { WalletId: seller.walletId, AuthorId: seller.userId, TransferDate: 1728133765 }, Sku: 'item-123456', Quantity: 1, UnitAmount: 1000 }],
    });
    assert.equal(fx.status, 200, fx.text);
    assert.equal(fx.json.Status, 'AUTHORIZED');
    assert.ok(fx.json.LineItems[0].Id);
    assert.equal(fx.json.PlatformFeesAmount, 0);
  });

  it('create: rule violations → 400 param_error with upper-case Errors', async () => {
    const b = intentBody(seller, [{ UnitAmount: 1000 }]);
    const wrongAmount = await ctx.api.v3('POST', '/payins/intents', { ...b, Amount: 999 });
    assertV3Error(wrongAmount, 400, 'Amount ≠ Σ lines');
    assert.equal(wrongAmount.json.Type, 'param_error');
    assert.ok(wrongAmount.json.Errors && Object.keys(wrongAmount.json.Errors).length > 0, wrongAmount.text);
    assert.ok(!('errors' in wrongAmount.json) || wrongAmount.json.errors === undefined, 'V3 uses Errors, not errors');
    const wrongFees = await ctx.api.v3('POST', '/payins/intents', { ...intentBody(seller, [{ UnitAmount: 1000, FeesAmount: 10 }]), PlatformFeesAmount: 11 });
    assertV3Error(wrongFees, 400, 'PlatformFeesAmount ≠ Σ fees');
    const feeOver = await ctx.api.v3('POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 100, FeesAmount: 101 }]));
    assertV3Error(feeOver, 400, 'fee > line total');
    const disc = await ctx.api.v3('POST', '/payins/intents', { ...intentBody(seller, [{ UnitAmount: 100 }]), Amount: -50,
      LineItems: [{ ...intentBody(seller, [{ UnitAmount: 100 }]).LineItems[0], DiscountAmount: 150 }] });
    assertV3Error(disc, 400, 'discount > unit×qty');
    const q0 = intentBody(seller, [{ UnitAmount: 100 }]);
    q0.LineItems[0].Quantity = 0; q0.Amount = 0;
    assertV3Error(await ctx.api.v3('POST', '/payins/intents', q0), 400, 'Quantity 0');
    const noWallet = intentBody(seller, [{ UnitAmount: 100 }]);
    noWallet.LineItems[0].Seller = { WalletId: 'wlt_m_nope' };
    assertV3Error(await ctx.api.v3('POST', '/payins/intents', noWallet), undefined, 'unknown seller wallet');
    const usdWallet = (await ctx.api.v2('POST', '/wallets', { Owners: [seller.userId], Description: 'usd', Currency: 'USD' })).json;
    const cur = intentBody({ ...seller, walletId: usdWallet.Id }, [{ UnitAmount: 100 }]);
    assertV3Error(await ctx.api.v3('POST', '/payins/intents', cur), 400, 'seller wallet in another currency');
  });

  it('mixed basket: same ExternalProviderReference adds lines to the intent', async () => {
    const ref = `mixed-${Date.now()}-${Math.random()}`;
    const first = await createIntent(ctx.api, seller, [{ UnitAmount: 1000, FeesAmount: 100 }], { ref });
    const second = await ctx.api.v3('POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 300, FeesAmount: 30 }, { UnitAmount: 200, Quantity: 2 }], { ref }));
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.Id, first.Id, 'same intent');
    assert.equal(second.json.Amount, 1700);
    assert.equal(second.json.PlatformFeesAmount, 130);
    assert.equal(second.json.LineItems.length, 3);
    const g = await get(first.Id);
    assert.equal(g.Amount, 1700);
    assert.equal(g.LineItems.length, 3);
    // a fresh reference creates a new intent
    const other = await createIntent(ctx.api, seller, [{ UnitAmount: 1000 }]);
    assert.notEqual(other.Id, first.Id);
    // full capture covers all three lines
    const c = await capture(first.Id, {});
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.Status, 'CAPTURED');
    assert.equal(c.json.AvailableAmountToSplit, 1700);
    // no more lines once captured
    const late = await ctx.api.v3('POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 50 }], { ref }));
    assert.ok(late.status === 400 || (late.status === 200 && late.json.Id !== first.Id), `mixed basket on a captured intent: ${late.status} ${late.text}`);
    assert.equal((await get(first.Id)).Amount, 1700);
  });

  it('full capture → CAPTURED, AvailableAmountToSplit = Amount, Capture.Id; GET shows it', async () => {
    const i = await createIntent(ctx.api, seller, [{ UnitAmount: 1000, FeesAmount: 100 }, { UnitAmount: 500 }]);
    const c = await capture(i.Id, {});
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.Status, 'CAPTURED');
    assert.equal(c.json.AvailableAmountToSplit, 1500);
    assert.ok(c.json.Capture && c.json.Capture.Id, `Capture.Id in ${c.text}`);
    assert.ok(c.json.LineItems[0].Id && c.json.LineItems[0].TotalLineItemAmount > 0, 'LineItems[0].Id and TotalLineItemAmount');
    const g = await get(i.Id);
    assert.equal(g.Status, 'CAPTURED');
    assert.equal(g.AvailableAmountToSplit, 1500);
    for (const l of g.LineItems) assert.equal(l.CapturedAmount, l.TotalLineItemAmount);
    assert.equal(g.Captures.length, 1);
    assert.equal(g.Captures[0].Id, c.json.Capture.Id);
    // capturing again → 400
    assertV3Error(await capture(i.Id, {}), 400, 'second full capture');
    // full capture with ExternalData only is also full
    const j = await createIntent(ctx.api, seller, [{ UnitAmount: 10 }]);
    const cj = await capture(j.Id, { ExternalData: { ExternalProcessingDate: 1728133765, ExternalProviderReference: 'sep-capture' } });
    assert.equal(cj.status, 200, cj.text);
    assert.equal(cj.json.Status, 'CAPTURED');
  });

  it('partial captures → PARTIALLY_CAPTURED → CAPTURED; full after partial → 400; over-capture → 400', async () => {
    const i = await createIntent(ctx.api, seller, [{ UnitAmount: 1000 }, { UnitAmount: 500 }]);
    const [l1, l2] = i.LineItems.map((l) => l.Id);
    const p1 = await capture(i.Id, partial([{ Id: l1, Amount: 300 }]));
    assert.equal(p1.status, 200, p1.text);
    assert.equal(p1.json.Status, 'PARTIALLY_CAPTURED');
    assert.equal(p1.json.AvailableAmountToSplit, 300);
    assert.ok(p1.json.Capture?.Id);
    assertV3Error(await capture(i.Id, {}), 400, 'full capture after partial');
    const over = await capture(i.Id, partial([{ Id: l1, Amount: 701 }]));
    assertV3Error(over, 400, 'over-capture of a line');
    assert.equal(over.json.Type, 'param_error');
    assert.ok(over.json.Errors && typeof over.json.Errors === 'object', over.text);
    const mismatch = await capture(i.Id, { ...partial([{ Id: l1, Amount: 100 }]), Amount: 150 });
    assertV3Error(mismatch, 400, 'Amount ≠ Σ line amounts');
    const unknownLine = await capture(i.Id, partial([{ Id: 'int_li_nope', Amount: 1 }]));
    assert.ok(unknownLine.status === 400 || unknownLine.status === 404, unknownLine.text);
    assertV3Error(await capture(i.Id, partial([{ Id: l1, Amount: 0 }])), 400, 'zero capture');
    const p2 = await capture(i.Id, partial([{ Id: l1, Amount: 200 }, { Id: l2, Amount: 100 }]));
    assert.equal(p2.status, 200, p2.text);
    assert.equal(p2.json.Status, 'PARTIALLY_CAPTURED');
    const p3 = await capture(i.Id, partial([{ Id: l1, Amount: 500 }, { Id: l2, Amount: 400 }]));
    assert.equal(p3.status, 200, p3.text);
    assert.equal(p3.json.Status, 'CAPTURED');
    assert.equal(p3.json.AvailableAmountToSplit, 1500);
    const g = await get(i.Id);
    assert.equal(g.Status, 'CAPTURED');
    assert.equal(byId(g, l1).CapturedAmount, 1000);
    assert.equal(byId(g, l2).CapturedAmount, 500);
    assert.equal(g.Captures.length, 3);
    assertV3Error(await capture(i.Id, partial([{ Id: l1, Amount: 1 }])), 400, 'capture on CAPTURED');
    // a single partial capture of everything → CAPTURED (SDK test)
    const k = await createIntent(ctx.api, seller, [{ UnitAmount: 1000 }]);
    const pk = await capture(k.Id, partial([{ Id: k.LineItems[0].Id, Amount: 1000 }]));
    assert.equal(pk.status, 200, pk.text);
    assert.equal(pk.json.Status, 'CAPTURED');
  });

  it('full cancel → CANCELLED with Cancel.Id; capture after → 400', async () => {
    const i = await createIntent(ctx.api, seller, [{ UnitAmount: 1000, FeesAmount: 100 }]);
    const c = await cancel(i.Id, {});
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.Status, 'CANCELLED');
    assert.ok(c.json.Cancel?.Id, `Cancel.Id in ${c.text}`);
    assert.equal(c.json.AvailableAmountToSplit, 0);
    const g = await get(i.Id);
    assert.equal(g.Status, 'CANCELLED');
    assert.equal(cancelled(g.LineItems[0]), 1000);
    assertV3Error(await capture(i.Id, {}), 400, 'capture after cancel');
    assertV3Error(await cancel(i.Id, {}), 400, 'cancel twice');
  });

  it('partial cancel: fee shrinks pro rata (1000/100, cancel 333 → 67), explicit FeesAmount, captures limited to the rest', async () => {
    const i = await createIntent(ctx.api, seller, [{ UnitAmount: 1000, FeesAmount: 100 }, { UnitAmount: 500, FeesAmount: 50 }]);
    const [l1, l2] = i.LineItems.map((l) => l.Id);
    const c = await cancel(i.Id, { Amount: 333, Currency: 'EUR', LineItems: [{ Id: l1, Amount: 333 }] });
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.Status, 'AUTHORIZED');
    assert.ok(c.json.Cancel?.Id);
    let g = await get(i.Id);
    assert.equal(cancelled(byId(g, l1)), 333);
    assert.equal(byId(g, l1).Seller.FeesAmount, 67, 'fee 100 − floor(100·333/1000)');
    assert.equal(g.PlatformFeesAmount, 117);
    assert.equal(g.Amount, 1500, 'Amount is the authorised amount');
    const e = await cancel(i.Id, { Amount: 100, LineItems: [{ Id: l2, Amount: 100, FeesAmount: 20 }] });
    assert.equal(e.status, 200, e.text);
    g = await get(i.Id);
    assert.equal(cancelled(byId(g, l2)), 100);
    assert.equal(byId(g, l2).Seller.FeesAmount, 30, 'explicit FeesAmount 20 removed from 50');
    assert.equal(g.PlatformFeesAmount, 97);
    const tooMuchFee = await cancel(i.Id, { Amount: 10, LineItems: [{ Id: l2, Amount: 10, FeesAmount: 31 }] });
    assertV3Error(tooMuchFee, 400, 'explicit fee above the remaining fee');
    assertV3Error(await cancel(i.Id, { Amount: 668, LineItems: [{ Id: l1, Amount: 668 }] }), 400, 'cancel more than remaining');
    assertV3Error(await cancel(i.Id, { Amount: 5, LineItems: [{ Id: l1, Amount: 4 }] }), 400, 'cancel Amount ≠ Σ');
    assertV3Error(await capture(i.Id, partial([{ Id: l1, Amount: 668 }])), 400, 'capture beyond the uncancelled rest');
    const ok = await capture(i.Id, partial([{ Id: l1, Amount: 667 }]));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.Status, 'PARTIALLY_CAPTURED');
    assertV3Error(await cancel(i.Id, { Amount: 1, LineItems: [{ Id: l2, Amount: 1 }] }), 400, 'cancel after a capture');
    assertV3Error(await cancel(i.Id, {}), 400, 'full cancel after a capture');
    const rest = await capture(i.Id, partial([{ Id: l2, Amount: 400 }]));
    assert.equal(rest.status, 200, rest.text);
    assert.equal(rest.json.Status, 'CAPTURED', 'all non-cancelled captured');
    assert.equal(rest.json.AvailableAmountToSplit, 1067);
    // cancelling every line partially → CANCELLED, fees go to 0
    const j = await createIntent(ctx.api, seller, [{ UnitAmount: 1000, FeesAmount: 100 }]);
    const all = await cancel(j.Id, { Amount: 1000, LineItems: [{ Id: j.LineItems[0].Id, Amount: 1000 }] });
    assert.equal(all.status, 200, all.text);
    assert.equal(all.json.Status, 'CANCELLED');
    const gj = await get(j.Id);
    assert.equal(gj.LineItems[0].Seller.FeesAmount, 0);
    assert.equal(gj.PlatformFeesAmount, 0);
  });

  it('cancel after full capture → 400; unknown intent → 404 ressource_not_found', async () => {
    const i = await createIntent(ctx.api, seller, [{ UnitAmount: 1000 }]);
    assert.equal((await capture(i.Id, {})).status, 200);
    const c = await cancel(i.Id, {});
    assertV3Error(c, 400, 'cancel after capture');
    assert.equal(c.json.Type, 'param_error');
    for (const [m, p, b] of [['GET', '/payins/intents/int_nope'], ['POST', '/payins/intents/int_nope/captures', {}], ['POST', '/payins/intents/int_nope/cancel', {}]]) {
      const r = await ctx.api.v3(m, p, b);
      assertV3Error(r, 404, `${m} ${p}`);
      assert.equal(r.json.Type, 'ressource_not_found');
    }
  });

  it('tolerance: v3.0 lower-case, trailing slash, case-insensitive names (last wins), unknown fields', async () => {
    const b = intentBody(seller, [{ UnitAmount: 400, FeesAmount: 4 }]);
    const lower = await req(ctx.base, 'POST', `/v3.0/${ctx.clientId}/payins/intents/`, { token: ctx.token, body: { ...b, Unknown: 1, Nested: { x: [1, { y: 2 }] }, Status: 'CAPTURED', Id: 'int_mine', AvailableAmountToSplit: 99 } });
    assert.equal(lower.status, 200, lower.text);
    assert.equal(lower.json.Status, 'AUTHORIZED', 'read-only Status ignored');
    assert.notEqual(lower.json.Id, 'int_mine');
    assert.equal(lower.json.AvailableAmountToSplit, 0);
    const g = await req(ctx.base, 'GET', `/v3.0/${ctx.clientId}/payins/intents/${lower.json.Id}/`, { token: ctx.token });
    assert.equal(g.status, 200, g.text);
    // property names in any case, duplicates: last wins (raw JSON)
    const ref = `ci-${Math.random()}`;
    const raw = `{"amount":1,"AMOUNT":250,"currency":"EUR","externaldata":{"externalprocessingdate":1728133765,"EXTERNALPROVIDERREFERENCE":"${ref}","externalProviderName":"STRIPE"},`
      + `"lineitems":[{"seller":{"walletid":"${seller.walletId}","feesamount":5},"sku":"s","quantity":1,"unitamount":250}],"platformfeesamount":5}`;
    const ci = await ctx.api.v3('POST', '/payins/intents', raw);
    assert.equal(ci.status, 200, ci.text);
    assert.equal(ci.json.Amount, 250);
    assert.equal(ci.json.PlatformFeesAmount, 5);
    assert.equal(ci.json.ExternalData.ExternalProviderReference, ref);
    // partial capture sends whole line items back (Java SDK); only Id and Amount are read
    const full = (await get(ci.json.Id)).LineItems[0];
    const pc = await ctx.api.v3('POST', `/payins/intents/${ci.json.Id}/captures/`, partial([{ ...full, Amount: 100 }]));
    assert.equal(pc.status, 200, pc.text);
    assert.equal(pc.json.Status, 'PARTIALLY_CAPTURED');
    // unknown query parameters ignored
    const q = await ctx.api.v3('GET', `/payins/intents/${ci.json.Id}?resolveWithFullResponse=true&x=1`);
    assert.equal(q.status, 200, q.text);
  });
}, { clients: ['a'] });
