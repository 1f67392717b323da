// Strict where it matters (issue 3 §6): every bad input is a 4xx in the dialect's format, never 500.
import { it, before } from 'node:test';
import assert from 'node:assert/strict';
import { suite, makeSeller, intentBody, assertV3Error, assertV2Error, rawRequest, req, createIntent } from './lib.mjs';

suite('strictness', (ctx) => {
  let seller;
  before(async () => { seller = await makeSeller(ctx.api); });
  const post = (body, headers) => ctx.api.v3('POST', '/payins/intents', body, headers);
  const base = () => intentBody(seller, [{ UnitAmount: 1000, FeesAmount: 10 }]);

  const cases = [
    ['Amount as a string', () => ({ ...base(), Amount: 'abc' })],
    ['Amount as an object', () => ({ ...base(), Amount: { v: 1 } })],
    ['Amount as a boolean', () => ({ ...base(), Amount: true })],
    ['Amount null', () => ({ ...base(), Amount: null })],
    ['Currency as a number', () => ({ ...base(), Currency: 978 })],
    ['LineItems as a string', () => ({ ...base(), LineItems: 'x' })],
    ['LineItems empty', () => ({ ...base(), Amount: 0, PlatformFeesAmount: 0, LineItems: [] })],
    ['Quantity as a string', () => { const b = base(); b.LineItems[0].Quantity = 'two'; return b; }],
    ['Seller as a string', () => { const b = base(); b.LineItems[0].Seller = 'x'; return b; }],
    ['ExternalData as an array', () => ({ ...base(), ExternalData: [] })],
    ['missing Amount', () => { const b = base(); delete b.Amount; return b; }],
    ['missing Currency', () => { const b = base(); delete b.Currency; return b; }],
    ['missing LineItems', () => { const b = base(); delete b.LineItems; return b; }],
    ['missing ExternalData', () => { const b = base(); delete b.ExternalData; return b; }],
    ['missing ExternalProviderReference', () => { const b = base(); delete b.ExternalData.ExternalProviderReference; return b; }],
    ['missing UnitAmount', () => { const b = base(); delete b.LineItems[0].UnitAmount; return b; }],
    ['missing Seller', () => { const b = base(); delete b.LineItems[0].Seller; return b; }],
    ['negative Amount and UnitAmount', () => { const b = base(); b.LineItems[0].UnitAmount = -1000; b.Amount = -1000; return b; }],
    ['negative FeesAmount', () => { const b = base(); b.LineItems[0].Seller.FeesAmount = -10; b.PlatformFeesAmount = -10; return b; }],
    ['negative DiscountAmount', () => { const b = base(); b.LineItems[0].DiscountAmount = -5; b.Amount = 1005; return b; }],
    ['negative Quantity', () => { const b = base(); b.LineItems[0].Quantity = -1; b.Amount = -1000; return b; }],
    ['float Amount', () => ({ ...base(), Amount: 1000.5 })],
    ['float UnitAmount', () => { const b = base(); b.LineItems[0].UnitAmount = 999.99; b.Amount = 999.99; return b; }],
    ['exponent Amount 1e3', () => JSON.stringify(base()).replace('"Amount":1000', '"Amount":1e3')],
    ['Amount > int64', () => JSON.stringify(base()).replace('"Amount":1000', '"Amount":99999999999999999999').replace('"UnitAmount":1000', '"UnitAmount":99999999999999999999')],
    ['Amount = 2^63', () => JSON.stringify(base()).replace('"Amount":1000', '"Amount":9223372036854775808').replace('"UnitAmount":1000', '"UnitAmount":9223372036854775808')],
    ['UnitAmount×Quantity overflows int64', () => JSON.stringify(base()).replace('"Amount":1000', '"Amount":9223372036854775806').replace('"UnitAmount":1000', '"UnitAmount":4611686018427387904').replace('"Quantity":1', '"Quantity":2')],
    ['Σ lines overflows int64', () => {
      const b = intentBody(seller, [{ UnitAmount: 1 }, { UnitAmount: 1 }]);
      return JSON.stringify(b).replace(/"UnitAmount":1/g, '"UnitAmount":9223372036854775807').replace('"Amount":2', '"Amount":9223372036854775807');
    }],
    ['unknown currency XYZ', () => ({ ...base(), Currency: 'XYZ' })],
    ['currency "EURO"', () => ({ ...base(), Currency: 'EURO' })],
    ['101 line items', () => intentBody(seller, Array.from({ length: 101 }, () => ({ UnitAmount: 10 })))],
    ['malformed JSON', () => '{"Amount": 1000, "Currency": "EUR", '],
    ['JSON array body', () => '[1,2,3]'],
    ['empty body', () => ''],
    ['trailing garbage', () => JSON.stringify(base()) + 'xyz'],
    ['invalid UTF-8 / control chars', () => JSON.stringify(base()).replace('"sku-0"', '"sku\u0001\u0000"')],
  ];

  for (const [name, make] of cases) {
    it(`create intent with ${name} → 4xx V3 error`, async () => {
      const r = await post(make());
      assertV3Error(r, undefined, name);
      assert.notEqual(r.status, 401);
      assert.notEqual(r.status, 404);
    });
  }

  it('100 line items are accepted', async () => {
    const r = await post(intentBody(seller, Array.from({ length: 100 }, () => ({ UnitAmount: 10 }))));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.LineItems.length, 100);
  });

  it('capture / cancel with bad bodies → 4xx V3 error', async () => {
    const i = await createIntent(ctx.api, seller, [{ UnitAmount: 1000 }]);
    const lid = i.LineItems[0].Id;
    const bad = [
      ['malformed', '{"Amount":'],
      ['LineItems as object', { Amount: 1, LineItems: { Id: lid, Amount: 1 } }],
      ['line Amount string', { Amount: 1, LineItems: [{ Id: lid, Amount: 'x' }], ExternalData: { ExternalProcessingDate: 1, ExternalProviderReference: 'r' } }],
      ['negative line Amount', { Amount: -1, LineItems: [{ Id: lid, Amount: -1 }], ExternalData: { ExternalProcessingDate: 1, ExternalProviderReference: 'r' } }],
      ['float line Amount', { Amount: 1.5, LineItems: [{ Id: lid, Amount: 1.5 }], ExternalData: { ExternalProcessingDate: 1, ExternalProviderReference: 'r' } }],
      ['line without Id', { Amount: 1, LineItems: [{ Amount: 1 }], ExternalData: { ExternalProcessingDate: 1, ExternalProviderReference: 'r' } }],
      ['huge Amount', `{"Amount":99999999999999999999,"LineItems":[{"Id":"${lid}","Amount":99999999999999999999}],"ExternalData":{"ExternalProcessingDate":1,"ExternalProviderReference":"r"}}`],
      ['wrong currency', { Amount: 1, Currency: 'USD', LineItems: [{ Id: lid, Amount: 1 }], ExternalData: { ExternalProcessingDate: 1, ExternalProviderReference: 'r' } }],
    ];
    for (const action of ['captures', 'cancel']) {
      for (const [name, body] of bad) {
        const r = await ctx.api.v3('POST', `/payins/intents/${i.Id}/${action}`, body);
        assertV3Error(r, undefined, `${action}: ${name}`);
      }
    }
    const g = await ctx.api.v3('GET', `/payins/intents/${i.Id}`);
    assert.equal(g.json.Status, 'AUTHORIZED', 'nothing applied');
    assert.equal(g.json.LineItems[0].CapturedAmount, 0);
  });

  it('body over the limit → 413 (V3 and v2.01)', async () => {
    const big = JSON.stringify({ ...base(), Padding: 'x'.repeat(8 * 1024 * 1024) });
    const r = await rawRequest(ctx.base, 'POST', `/V3.0/${ctx.clientId}/payins/intents`,
      { Authorization: `Bearer ${ctx.token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(big) }, big, { pauseMs: 300 });
    assert.equal(r.status, 413, r.text.slice(0, 300));
    assert.ok(r.json && 'Errors' in r.json, `V3 error body on 413: ${r.text.slice(0, 300)}`);
    const r2 = await rawRequest(ctx.base, 'POST', `/v2.01/${ctx.clientId}/wallets`,
      { Authorization: `Bearer ${ctx.token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(big) }, big, { pauseMs: 300 });
    assert.equal(r2.status, 413, r2.text.slice(0, 300));
    assert.ok(r2.json && 'errors' in r2.json, `v2.01 error body on 413: ${r2.text.slice(0, 300)}`);
    // the server still works afterwards
    assert.equal((await ctx.api.v2('GET', '/clients')).status, 200);
  });

  it('a client that sends the whole oversized body at once (like fetch/axios) still reads the 413', async () => {
    const big = JSON.stringify({ ...base(), Padding: 'z'.repeat(4 * 1024 * 1024) });
    let r;
    try {
      r = await fetch(`${ctx.base}/V3.0/${ctx.clientId}/payins/intents`, { method: 'POST', body: big,
        headers: { Authorization: `Bearer ${ctx.token}`, 'Content-Type': 'application/json' } });
    } catch (e) {
      assert.fail(`fetch failed (${e.cause?.code ?? e.message}): the server closes without draining the body, so the client gets a reset instead of the 413`);
    }
    assert.equal(r.status, 413);
  });

  it('chunked body over the limit → 413, not 500', async () => {
    const big = JSON.stringify({ ...base(), Padding: 'y'.repeat(8 * 1024 * 1024) });
    const r = await rawRequest(ctx.base, 'POST', `/V3.0/${ctx.clientId}/payins/intents`,
      { Authorization: `Bearer ${ctx.token}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, big);
    assert.equal(r.status, 413, r.text.slice(0, 300));
  });

  it('wrong content type → 415 (V3 and v2.01); charset parameter accepted', async () => {
    const r = await post(JSON.stringify(base()), { 'Content-Type': 'text/plain' });
    assert.equal(r.status, 415, r.text);
    assert.ok(r.json && 'Errors' in r.json, `V3 error body on 415: ${r.text}`);
    const f = await post('Amount=1000', { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(f.status, 415, f.text);
    const v2 = await ctx.api.v2('POST', '/wallets', JSON.stringify({ Owners: [seller.userId], Description: 'x', Currency: 'EUR' }), { 'Content-Type': 'text/xml' });
    assert.equal(v2.status, 415, v2.text);
    assert.ok(v2.json && 'errors' in v2.json, `v2.01 error body on 415: ${v2.text}`);
    const ok = await post(JSON.stringify(base()), { 'Content-Type': 'application/json; charset=utf-8' });
    assert.equal(ok.status, 200, ok.text);
  });

  it('oauth: wrong grant_type / missing Basic → 4xx, never 500', async () => {
    const g = await req(ctx.base, 'POST', '/v2.01/oauth/token', {
      body: 'grant_type=password', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Basic ' + Buffer.from(`${ctx.clientId}:${ctx.apiKey}`).toString('base64') } });
    assert.ok(g.status >= 400 && g.status < 500, `${g.status} ${g.text}`);
    const n = await req(ctx.base, 'POST', '/v2.01/oauth/token', { body: 'grant_type=client_credentials', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.ok(n.status === 400 || n.status === 401, `${n.status} ${n.text}`);
    const junk = await req(ctx.base, 'POST', '/v2.01/oauth/token', { body: 'grant_type=client_credentials', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Basic !!!notbase64' } });
    assert.ok(junk.status === 400 || junk.status === 401, `${junk.status} ${junk.text}`);
  });

  it('v2.01 bad inputs → 4xx with errors', async () => {
    for (const [name, body] of [
      ['malformed', '{"FirstName":'], ['array', '[]'], ['FirstName number', { FirstName: 5, LastName: 'x', Email: 'a@b.c', TermsAndConditionsAccepted: true }],
      ['Birthday string', { FirstName: 'a', LastName: 'b', Email: 'a@b.c', TermsAndConditionsAccepted: true, Birthday: 'yesterday' }],
    ]) {
      assertV2Error(await ctx.api.v2('POST', '/users/natural', body), undefined, name);
    }
  });

  it('deeply nested JSON (20000 levels) → 4xx, the server survives', async () => {
    const b = JSON.stringify(base());
    const r = await post(b.slice(0, -1) + ',"Deep":' + '['.repeat(20000) + ']'.repeat(20000) + '}');
    assert.ok(r.status >= 400 && r.status < 500 || r.status === 200, `${r.status} ${r.text.slice(0, 200)}`);
    assert.equal((await req(ctx.base, 'GET', '/healthz')).status, 200);
  });

  it('the server is still healthy and no 500 was counted', async () => {
    const m = await req(ctx.base, 'GET', '/metrics');
    const bad = m.text.split('\n').filter((l) => !l.startsWith('#') && /status="?5\d\d/.test(l) && Number(l.trim().split(/\s+/).pop()) > 0);
    assert.deepEqual(bad, [], '5xx counted in /metrics');
  });
}, { clients: ['a'] });
