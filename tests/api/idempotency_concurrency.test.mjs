// Idempotency (§4.1) and concurrency: concurrent duplicates have exactly one effect; concurrent
// partial captures never capture more than authorised. verify --db runs after the suite (lib.mjs).
import { it, before } from 'node:test';
import assert from 'node:assert/strict';
import { suite, makeSeller, createIntent, intentBody, rand, req } from './lib.mjs';

const key = () => `idem-${rand(10)}`; // 25 chars, alphanumeric and '-'

suite('idempotency and concurrency', (ctx) => {
  let seller;
  before(async () => { seller = await makeSeller(ctx.api); });

  it('same key twice → 409 idempotent_creation_conflict, one intent; GET /responses/{key}', async () => {
    const k = key();
    const body = intentBody(seller, [{ UnitAmount: 1000, FeesAmount: 10 }]);
    const a = await ctx.api.v3('POST', '/payins/intents', body, { 'Idempotency-Key': k });
    assert.equal(a.status, 200, a.text);
    const b = await ctx.api.v3('POST', '/payins/intents', body, { 'Idempotency-Key': k });
    assert.equal(b.status, 409, b.text);
    assert.equal(b.json.Type, 'idempotent_creation_conflict');
    assert.equal(b.json.Message, 'A resource has already been created with this Idempotency Key');
    // same body and same ExternalProviderReference: a second effect would add a line (mixed basket)
    const g = await ctx.api.v3('GET', `/payins/intents/${a.json.Id}`);
    assert.equal(g.json.Amount, 1000);
    assert.equal(g.json.LineItems.length, 1);
    // even a different body with the same key is blocked
    const c = await ctx.api.v3('POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 5 }]), { 'Idempotency-Key': k });
    assert.equal(c.status, 409, c.text);
    const r = await ctx.api.v2('GET', `/responses/${k}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.StatusCode, '200');
    assert.equal(typeof r.json.StatusCode, 'string');
    assert.equal(r.json.Resource.Id, a.json.Id);
    assert.equal(r.json.Resource.Amount, 1000);
    assert.equal(r.json.Resource.Status, 'AUTHORIZED', 'the original response, not the current state');
    assert.ok('ContentType' in r.json && 'RequestURL' in r.json && 'Date' in r.json, r.text);
    const nf = await ctx.api.v2('GET', `/responses/${key()}`);
    assert.equal(nf.status, 404, nf.text);
  });

  it('idempotency on v2.01 POSTs and on captures; keys are per client', async () => {
    const k = key();
    const w1 = await ctx.api.v2('POST', '/wallets', { Owners: [seller.userId], Description: 'idem', Currency: 'EUR' }, { 'Idempotency-Key': k });
    assert.equal(w1.status, 200, w1.text);
    const w2 = await ctx.api.v2('POST', '/wallets', { Owners: [seller.userId], Description: 'idem', Currency: 'EUR' }, { 'Idempotency-Key': k });
    assert.equal(w2.status, 409, w2.text);
    assert.equal(w2.json.Type, 'idempotent_creation_conflict');
    const r = await ctx.api.v2('GET', `/responses/${k}`);
    assert.equal(r.json.StatusCode, '200');
    assert.equal(r.json.Resource.Id, w1.json.Id);
    // capture with a key
    const i = await createIntent(ctx.api, seller, [{ UnitAmount: 1000 }]);
    const ck = key();
    const p = { Amount: 100, Currency: 'EUR', ExternalData: { ExternalProcessingDate: 1728133765, ExternalProviderReference: 'c' }, LineItems: [{ Id: i.LineItems[0].Id, Amount: 100 }] };
    const c1 = await ctx.api.v3('POST', `/payins/intents/${i.Id}/captures`, p, { 'Idempotency-Key': ck });
    assert.equal(c1.status, 200, c1.text);
    const c2 = await ctx.api.v3('POST', `/payins/intents/${i.Id}/captures`, p, { 'Idempotency-Key': ck });
    assert.equal(c2.status, 409, c2.text);
    const g = await ctx.api.v3('GET', `/payins/intents/${i.Id}`);
    assert.equal(g.json.LineItems[0].CapturedAmount, 100, 'one capture only');
    // client B's token cannot read A's stored response
    const rb = await req(ctx.base, 'GET', `/v2.01/${ctx.clients.b.id}/responses/${k}`, { token: ctx.clients.b.token });
    assert.equal(rb.status, 404, `B reads A's idempotent response: ${rb.text}`);
    // and the same key is free for client B
    const sb = await makeSeller(ctx.clients.b.api);
    const wb = await ctx.clients.b.api.v2('POST', '/wallets', { Owners: [sb.userId], Description: 'b', Currency: 'EUR' }, { 'Idempotency-Key': k });
    assert.equal(wb.status, 200, `same key, other client: ${wb.text}`);
  });

  it('a failed first request also blocks its key; responses/{key} returns its status', async () => {
    const k = key();
    const bad = await ctx.api.v3('POST', '/payins/intents', { ...intentBody(seller, [{ UnitAmount: 1000 }]), Amount: 1 }, { 'Idempotency-Key': k });
    assert.equal(bad.status, 400, bad.text);
    const again = await ctx.api.v3('POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 1000 }]), { 'Idempotency-Key': k });
    assert.equal(again.status, 409, again.text);
    const r = await ctx.api.v2('GET', `/responses/${k}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.StatusCode, '400');
  });

  it('invalid idempotency keys (too short, too long, bad chars) → 400 or accepted, never 5xx', async () => {
    for (const k of ['short', 'x'.repeat(37), 'has space in the key here', 'bad_chars_!!!!!!!!!!']) {
      const r = await ctx.api.v3('POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 1 }]), { 'Idempotency-Key': k });
      assert.ok(r.status === 400 || r.status === 200, `key ${JSON.stringify(k)}: ${r.status} ${r.text}`);
    }
  });

  it('20 concurrent requests with one key → exactly one 200, the rest 409, one effect', async () => {
    const k = key();
    const body = intentBody(seller, [{ UnitAmount: 777 }]);
    const rs = await Promise.all(Array.from({ length: 20 }, () => ctx.api.v3('POST', '/payins/intents', body, { 'Idempotency-Key': k })));
    const statuses = rs.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses}`);
    assert.equal(statuses.filter((s) => s === 409).length, 19, `statuses: ${statuses}`);
    const winner = rs.find((r) => r.status === 200).json;
    const g = await ctx.api.v3('GET', `/payins/intents/${winner.Id}`);
    assert.equal(g.json.Amount, 777);
    assert.equal(g.json.LineItems.length, 1);
    const r = await ctx.api.v2('GET', `/responses/${k}`);
    assert.equal(r.json.Resource.Id, winner.Id);
  });

  it('20 concurrent duplicate captures with one key → one capture', async () => {
    const i = await createIntent(ctx.api, seller, [{ UnitAmount: 1000 }]);
    const k = key();
    const p = { Amount: 10, ExternalData: { ExternalProcessingDate: 1728133765, ExternalProviderReference: 'c' }, LineItems: [{ Id: i.LineItems[0].Id, Amount: 10 }] };
    const rs = await Promise.all(Array.from({ length: 20 }, () => ctx.api.v3('POST', `/payins/intents/${i.Id}/captures`, p, { 'Idempotency-Key': k })));
    assert.equal(rs.filter((r) => r.status === 200).length, 1, `statuses: ${rs.map((r) => r.status)}`);
    const g = await ctx.api.v3('GET', `/payins/intents/${i.Id}`);
    assert.equal(g.json.LineItems[0].CapturedAmount, 10);
  });

  for (const [n, each, total] of [[50, 30, 1000], [50, 37, 1000], [64, 1, 40]]) {
    it(`${n} concurrent partial captures of ${each} on one intent of ${total} never exceed it`, async () => {
      const i = await createIntent(ctx.api, seller, [{ UnitAmount: total, FeesAmount: 10 }]);
      const lid = i.LineItems[0].Id;
      const rs = await Promise.all(Array.from({ length: n }, (_, j) => ctx.api.v3('POST', `/payins/intents/${i.Id}/captures`, {
        Amount: each, Currency: 'EUR', ExternalData: { ExternalProcessingDate: 1728133765, ExternalProviderReference: `c${j}` },
        LineItems: [{ Id: lid, Amount: each }],
      })));
      const ok = rs.filter((r) => r.status === 200);
      for (const r of rs) assert.ok(r.status === 200 || r.status === 400 || r.status === 409, `unexpected ${r.status} ${r.text}`);
      const sum = ok.length * each;
      assert.ok(sum <= total, `captured ${sum} > ${total}`);
      assert.equal(ok.length, Math.min(n, Math.floor(total / each)), 'every capture that fits succeeds (serialised, no lost updates)');
      const g = await ctx.api.v3('GET', `/payins/intents/${i.Id}`);
      assert.equal(g.json.LineItems[0].CapturedAmount, sum);
      assert.equal(g.json.Captures.length, ok.length);
      assert.equal(g.json.AvailableAmountToSplit, sum);
      assert.equal(g.json.Status, sum === total ? 'CAPTURED' : 'PARTIALLY_CAPTURED');
    });
  }

  it('concurrent full capture and full cancel on one intent → exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const i = await createIntent(ctx.api, seller, [{ UnitAmount: 500 }]);
      const [c, x] = await Promise.all([
        ctx.api.v3('POST', `/payins/intents/${i.Id}/captures`, {}),
        ctx.api.v3('POST', `/payins/intents/${i.Id}/cancel`, {}),
      ]);
      assert.equal([c.status, x.status].filter((s) => s === 200).length, 1, `capture ${c.status}, cancel ${x.status}`);
      const g = await ctx.api.v3('GET', `/payins/intents/${i.Id}`);
      assert.equal(g.json.Status, c.status === 200 ? 'CAPTURED' : 'CANCELLED');
    }
  });

  it('concurrent creates on many intents all succeed (no 5xx under load)', async () => {
    const rs = await Promise.all(Array.from({ length: 40 }, () => ctx.api.v3('POST', '/payins/intents', intentBody(seller, [{ UnitAmount: 100 }, { UnitAmount: 200 }]))));
    assert.deepEqual([...new Set(rs.map((r) => r.status))], [200]);
    assert.equal(new Set(rs.map((r) => r.json.Id)).size, 40);
  });
}, { clients: ['a', 'b'] });
