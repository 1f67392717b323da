// The service floor as a client sees it: stored responses replayed byte for byte (successes and
// errors, both dialects), routing tables (404 vs 405), wallets listed by owner only, a token
// request that creates nothing, and the loopback admin endpoint that CLI writes go through.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { suite, makeSeller, intentBody, naturalPayer, rand, req, getToken, verify } from './lib.mjs';

const key = () => `floor-${rand(10)}`;

// The raw bytes of the "Resource" member of a GET /responses/{key} body (it is the last one).
function rawResource(text) {
  const at = text.indexOf('"Resource":');
  assert.ok(at > 0, text);
  return text.slice(at + '"Resource":'.length, -1);
}

suite('service floor', (ctx) => {
  it('a stored response is the original body, byte for byte: v2.01 and V3.0, success and error', async () => {
    const seller = await makeSeller(ctx.api);
    const cases = [
      ['v2', '/users/natural', naturalPayer()],
      ['v2', '/wallets', { Owners: [seller.userId], Description: 'replay', Currency: 'EUR', Tag: 'x' }],
      ['v3', '/payins/intents', intentBody(seller, [{ UnitAmount: 1200, FeesAmount: 12 }, { UnitAmount: 800, Quantity: 3 }])],
      // refused by the service (Amount ≠ Σ lines): the 400 is stored and replayed as sent
      ['v3', '/payins/intents', { ...intentBody(seller, [{ UnitAmount: 10 }]), Amount: 11 }],
      // refused by the writer (unknown owner): the same
      ['v2', '/wallets', { Owners: ['user_m_nobody'], Description: 'x', Currency: 'EUR' }],
      // refused by the dialect before any command (malformed JSON, a field of the wrong type):
      // the key is spent all the same (Echo §4.1: whatever the first response was)
      ['v3', '/payins/intents', '{"Amount": 10, "LineItems": ['],
      ['v2', '/users/natural', { FirstName: 42, LastName: 'x', Email: 'e@x' }],
      ['v3', '/payins/intents/int_nope/captures', { LineItems: 'not an array' }],
    ];
    for (const [dialect, path, body] of cases) {
      const k = key();
      const first = await ctx.api[dialect]('POST', path, body, { 'Idempotency-Key': k });
      assert.ok(first.status === 200 || first.status === 400, `${path}: ${first.text}`);
      if (typeof body === 'string' || dialect === 'v2' && body.FirstName === 42) assert.equal(first.status, 400);
      await new Promise((r) => setTimeout(r, 1100));  // a later second: "Date" must not move
      const stored = await ctx.api.v2('GET', `/responses/${k}`);
      assert.equal(stored.status, 200, stored.text);
      assert.equal(stored.json.StatusCode, String(first.status));
      assert.equal(stored.json.ContentLength, String(Buffer.byteLength(first.text)));
      assert.equal(rawResource(stored.text), first.text, `${dialect} ${path}: replayed bytes`);
      const again = await ctx.api[dialect]('POST', path, body, { 'Idempotency-Key': k });
      assert.equal(again.status, 409, again.text);
    }
  });

  it('routing tables: an unknown path is 404, a known path with another method 405, in the dialect format', async () => {
    for (const [dialect, method, path, status] of [
      ['v2', 'DELETE', '/users/natural', 405], ['v2', 'POST', '/users/u1', 405], ['v2', 'GET', '/nothing/here', 404],
      ['v2', 'GET', '/clients/wallets/FEES/EUR/other', 404], ['v3', 'PUT', '/payins/intents', 405],
      ['v3', 'GET', '/payins/intents/x/captures', 405], ['v3', 'GET', '/payins/nope', 404],
    ]) {
      const r = await ctx.api[dialect](method, path);
      assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
      assert.ok(dialect === 'v3' ? 'Errors' in r.json : 'errors' in r.json, r.text);
    }
    // Literal segments match in any case, as the SDKs send them.
    const s = await makeSeller(ctx.api);
    const r = await ctx.api.v2('GET', `/USERS/${s.userId}/Wallets`);
    assert.equal(r.status, 200, r.text);
  });

  it("a user's wallets are those the user owns, whatever the other wallets' text says", async () => {
    const owner = await makeSeller(ctx.api);
    const payer = (await ctx.api.v2('POST', '/users/natural', naturalPayer())).json;
    const named = await ctx.api.v2('POST', '/wallets', { Owners: [owner.userId], Description: payer.Id, Currency: 'EUR', Tag: payer.Id });
    assert.equal(named.status, 200, named.text);
    const listed = await ctx.api.v2('GET', `/users/${payer.Id}/wallets`);
    assert.deepEqual(listed.json, [], listed.text);
    const mine = await ctx.api.v2('GET', `/users/${owner.userId}/wallets`);
    assert.deepEqual(mine.json.map((w) => w.Id), [owner.walletId, named.json.Id]);
  });

  it('a token request creates nothing', async () => {
    const count = async () => {
      const v = await verify(ctx.srv.dbUrl);
      const m = /(\d+) accounts/.exec(v.stdout);
      assert.ok(m, v.stdout + v.stderr);
      return Number(m[1]);
    };
    const before = await count();
    for (let i = 0; i < 3; i++) {
      const t = await getToken(ctx.base, ctx.clientId, ctx.apiKey);
      assert.equal(t.status, 200, t.text);
    }
    assert.equal(await count(), before, 'accounts after three token requests');
  });

  it('the admin endpoint takes only its secret, only POST, and is not a dialect route', async () => {
    const body = { ClientId: `adm-${rand(3)}`, ApiKeySalt: 'aa', ApiKeyHash: 'bb' };
    for (const headers of [{}, { Authorization: 'Bearer wrong-secret' }, { Authorization: 'Basic eDp5' }]) {
      const r = await req(ctx.base, 'POST', '/admin/clients', { body, headers });
      assert.equal(r.status, 401, `${JSON.stringify(headers)}: ${r.text}`);
    }
    const g = await req(ctx.base, 'GET', '/admin/clients', {});
    assert.equal(g.status, 404, g.text);
    // A platform token is not the admin secret.
    const t = await req(ctx.base, 'POST', '/admin/clients', { body, token: ctx.token });
    assert.equal(t.status, 401, t.text);
    const tok = await getToken(ctx.base, body.ClientId, 'anything-at-all');
    assert.equal(tok.status, 401, 'no client was created by the refused calls');
  });
});
