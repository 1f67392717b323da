// OAuth (§2), tenant isolation, rate-limit headers (§4.3), /healthz, /metrics, restart.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import {
  suite, getToken, req, startServer, stopServer, Api, makeSeller, createIntent, naturalOwner,
  createClient, rand, BIN,
} from './lib.mjs';
import { spawnSync } from 'node:child_process';

// The SDK's setRateLimits logic (api.js): 4 comma-separated values; windows 15/30/60/1440 min in order.
function checkRateLimits(headers, what) {
  const made = headers.get('x-ratelimit');
  const remaining = headers.get('x-ratelimit-remaining');
  const reset = headers.get('x-ratelimit-reset');
  assert.ok(made && remaining && reset, `${what}: rate-limit headers missing`);
  const m = made.split(',').map((s) => parseInt(s, 10));
  const r = remaining.split(',').map((s) => parseInt(s, 10));
  const z = reset.split(',').map((s) => parseInt(s, 10));
  assert.equal(m.length, 4, `${what}: x-ratelimit has 4 values: ${made}`);
  assert.equal(r.length, 4, `${what}: x-ratelimit-remaining has 4 values: ${remaining}`);
  assert.equal(z.length, 4, `${what}: x-ratelimit-reset has 4 values: ${reset}`);
  const now = Date.now() / 1000;
  const windows = z.map((t) => {
    const min = (t - now) / 60;
    if (min <= 15) return 15; if (min <= 30) return 30; if (min <= 60) return 60; if (min <= 1440) return 1440;
    return -1;
  });
  assert.deepEqual(windows, [15, 30, 60, 1440], `${what}: reset windows from ${reset}`);
  for (let i = 0; i < 4; i++) {
    assert.ok(m[i] > 0, `${what}: callsMade > 0 (${made})`);
    assert.ok(r[i] > 0, `${what}: callsRemaining > 0 (${remaining})`);
  }
}

suite('oauth, isolation, ops', (ctx) => {
  it('two token calls return different tokens; expires_in well above 60; token_type bearer', async () => {
    const a = await getToken(ctx.base, ctx.clientId, ctx.apiKey);
    const b = await getToken(ctx.base, ctx.clientId, ctx.apiKey);
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    assert.ok(a.json.access_token && b.json.access_token);
    assert.notEqual(a.json.access_token, b.json.access_token);
    assert.equal(String(a.json.token_type).toLowerCase(), 'bearer');
    assert.ok(a.json.expires_in > 120, `expires_in ${a.json.expires_in}`);
    // both stay valid
    for (const t of [a, b]) {
      const r = await req(ctx.base, 'GET', `/v2.01/${ctx.clientId}/clients`, { token: t.json.access_token });
      assert.equal(r.status, 200, r.text);
    }
  });

  it('the token response never leaks the api key', async () => {
    const a = await getToken(ctx.base, ctx.clientId, ctx.apiKey);
    assert.ok(!a.text.includes(ctx.apiKey));
    assert.ok(!ctx.srv.log.includes(ctx.apiKey), 'api key appears in the server log');
  });

  it('a bad key gets error "invalid_client" (400 or 401)', async () => {
    const r = await getToken(ctx.base, ctx.clientId, ctx.apiKey + 'x');
    assert.ok(r.status === 400 || r.status === 401, `status ${r.status}`);
    assert.equal(r.json?.error, 'invalid_client', r.text);
    const u = await getToken(ctx.base, 'no-such-client', ctx.apiKey);
    assert.ok(u.status === 400 || u.status === 401, `status ${u.status}`);
    assert.equal(u.json?.error, 'invalid_client', u.text);
  });

  it('no, garbage and tampered tokens get 401', async () => {
    const p = `/v2.01/${ctx.clientId}/clients`;
    const none = await req(ctx.base, 'GET', p);
    assert.equal(none.status, 401, none.text);
    const garbage = await req(ctx.base, 'GET', p, { token: 'garbage' });
    assert.equal(garbage.status, 401, garbage.text);
    const t = ctx.token;
    const tampered = t.slice(0, -2) + (t.slice(-2) === 'AA' ? 'BB' : 'AA');
    const r = await req(ctx.base, 'GET', p, { token: tampered });
    assert.equal(r.status, 401, r.text);
    const v3 = await req(ctx.base, 'GET', `/V3.0/${ctx.clientId}/payins/intents/int_x`, { token: 'garbage' });
    assert.equal(v3.status, 401, v3.text);
    const basic = await req(ctx.base, 'GET', p, { headers: { Authorization: 'Basic ' + Buffer.from(`${ctx.clientId}:${ctx.apiKey}`).toString('base64') } });
    assert.equal(basic.status, 401, `Basic auth on an API route: ${basic.text}`);
  });

  it('the scheme word is accepted in any case ("bearer x")', async () => {
    const r = await req(ctx.base, 'GET', `/v2.01/${ctx.clientId}/clients`, { headers: { Authorization: `bearer ${ctx.token}` } });
    assert.equal(r.status, 200, r.text);
  });

  it('client A gets nothing of client B (path and objects)', async () => {
    const A = ctx.clients.a.api;
    const B = ctx.clients.b.api;
    const sellerB = await makeSeller(B);
    const intentB = await createIntent(B, sellerB, [{ UnitAmount: 1000 }]);
    // A's token on B's paths
    const paths = [
      ['v2', `/users/${sellerB.userId}`], ['v2', `/wallets/${sellerB.walletId}`], ['v2', '/clients'],
      ['v2', '/clients/wallets'], ['v3', `/payins/intents/${intentB.Id}`],
    ];
    for (const [v, p] of paths) {
      const url = v === 'v2' ? `/v2.01/${ctx.clients.b.id}${p}` : `/V3.0/${ctx.clients.b.id}${p}`;
      const r = await req(ctx.base, 'GET', url, { token: ctx.clients.a.token });
      assert.ok([401, 403, 404].includes(r.status), `A on ${url}: ${r.status} ${r.text}`);
      assert.ok(!r.text.includes('"Owners"') && !r.text.includes('"LineItems"') && !r.text.includes('"FirstName"'), `A sees B data on ${url}: ${r.text}`);
    }
    // writes with A's token on B's path
    const w = await req(ctx.base, 'POST', `/v2.01/${ctx.clients.b.id}/wallets`, { token: ctx.clients.a.token, body: { Owners: [sellerB.userId], Description: 'x', Currency: 'EUR' } });
    assert.ok([401, 403, 404].includes(w.status), `A creates on B's path: ${w.status} ${w.text}`);
    const cap = await req(ctx.base, 'POST', `/V3.0/${ctx.clients.b.id}/payins/intents/${intentB.Id}/captures`, { token: ctx.clients.a.token, body: {} });
    assert.ok([401, 403, 404].includes(cap.status), `A captures B's intent: ${cap.status} ${cap.text}`);
    // B's objects through A's own path → 404
    for (const p of [`/users/${sellerB.userId}`, `/users/natural/${sellerB.userId}`, `/wallets/${sellerB.walletId}`, `/wallets/${sellerB.walletId}/transactions`]) {
      const r = await A.v2('GET', p);
      assert.equal(r.status, 404, `A GET ${p} (B's object): ${r.text}`);
      assert.ok(!r.text.includes('"Owners"') && !r.text.includes('"FirstName"'), r.text);
    }
    for (const [m, p, b] of [['GET', `/payins/intents/${intentB.Id}`], ['POST', `/payins/intents/${intentB.Id}/captures`, {}], ['POST', `/payins/intents/${intentB.Id}/cancel`, {}]]) {
      const r = await A.v3(m, p, b);
      assert.equal(r.status, 404, `A ${m} ${p} (B's intent): ${r.text}`);
    }
    const pw = await A.v2('PUT', `/wallets/${sellerB.walletId}`, { Description: 'hijack' });
    assert.equal(pw.status, 404, `A PUT B's wallet: ${pw.text}`);
    // A's intent selling through B's wallet / user → rejected, never accepted
    const sellerA = await makeSeller(A);
    const bad = await A.v3('POST', '/payins/intents', {
      Amount: 100, Currency: 'EUR', ExternalData: { ExternalProcessingDate: 1728133765, ExternalProviderReference: 'iso-' + Date.now(), ExternalProviderName: 'Stripe' },
      LineItems: [{ Seller: { WalletId: sellerB.walletId, AuthorId: sellerB.userId }, Sku: 's', Quantity: 1, UnitAmount: 100 }],
    });
    assert.ok(bad.status >= 400 && bad.status < 500, `A's intent with B's seller wallet: ${bad.status} ${bad.text}`);
    const wA = await A.v2('POST', '/wallets', { Owners: [sellerB.userId], Description: 'x', Currency: 'EUR' });
    assert.ok(wA.status >= 400 && wA.status < 500, `A's wallet owned by B's user: ${wA.status} ${wA.text}`);
    // B's state unchanged
    const still = await B.v3('GET', `/payins/intents/${intentB.Id}`);
    assert.equal(still.json.Status, 'AUTHORIZED');
    assert.ok(sellerA.walletId);
  });

  it('rate-limit headers on every response (success, error, token)', async () => {
    const t = await getToken(ctx.base, ctx.clientId, ctx.apiKey);
    checkRateLimits(t.headers, 'token');
    checkRateLimits((await ctx.api.v2('GET', '/clients')).headers, 'GET /clients');
    checkRateLimits((await ctx.api.v2('GET', '/users/user_m_nope')).headers, 'GET unknown user (404)');
    checkRateLimits((await ctx.api.v3('POST', '/payins/intents', {})).headers, 'bad intent (400)');
    checkRateLimits((await req(ctx.base, 'GET', `/v2.01/${ctx.clientId}/clients`, { token: 'garbage' })).headers, '401');
  });

  it('/healthz answers 200', async () => {
    const r = await req(ctx.base, 'GET', '/healthz');
    assert.equal(r.status, 200, r.text);
  });

  it('/metrics is Prometheus text with request counters', async () => {
    await ctx.api.v2('GET', '/clients');
    const r = await req(ctx.base, 'GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') || '', /text\/plain/);
    assert.match(r.text, /^# TYPE \S*request\S* counter$/m, 'a request counter');
    const lines = r.text.split('\n').filter((l) => /request/.test(l) && !l.startsWith('#') && /status="?\d{3}/.test(l));
    assert.ok(lines.length > 0, 'request counter lines labelled by status');
    assert.ok(lines.some((l) => /status="?200/.test(l) && Number(l.trim().split(/\s+/).pop()) > 0), 'a counter for 200s > 0');
    assert.ok(lines.some((l) => /status="?401/.test(l)), 'a counter for the 401s');
    assert.match(r.text, /_bucket\{/, 'a latency histogram');
  });

  it('unknown route → 404 JSON, wrong method → 405 (never 500)', async () => {
    const r = await ctx.api.v2('GET', '/no/such/route');
    assert.equal(r.status, 404, r.text);
    const m = await ctx.api.v2('DELETE', '/clients');
    assert.ok(m.status === 405 || m.status === 404, `${m.status} ${m.text}`);
  });

  it('a token keeps working after a server restart (SIGTERM → exit 0)', async () => {
    const user = await ctx.api.v2('POST', '/users/natural', naturalOwner());
    assert.equal(user.status, 200, user.text);
    const r = await stopServer(ctx.srv);
    assert.equal(r.code, 0, `exit on SIGTERM: ${JSON.stringify(r)}`);
    ctx.srv = await startServer(ctx.db.url);
    const api = new Api(ctx.srv.base, ctx.clientId, ctx.token);
    ctx.base = ctx.srv.base;
    const g = await api.v2('GET', `/users/${user.json.Id}`);
    assert.equal(g.status, 200, `old token after restart: ${g.text}`);
    assert.equal(g.json.Id, user.json.Id);
  });

  it('client create while the server runs: the new client gets a token; a re-key replaces the old key', async () => {
    const id = `late-${rand(4)}`;
    await createClient(ctx.db.url, id, 'first-key-123456');
    const t1 = await getToken(ctx.base, id, 'first-key-123456');
    assert.equal(t1.status, 200, `token for a client created after start: ${t1.text}`);
    const wallets = await new Api(ctx.base, id, t1.json.access_token).v2('GET', '/clients/wallets');
    assert.equal(wallets.status, 200, wallets.text);
    assert.deepEqual(wallets.json.map((w) => w.Id).sort(), ['CREDIT_EUR', 'FEES_EUR']);
    await createClient(ctx.db.url, id, 'second-key-123456');
    const old = await getToken(ctx.base, id, 'first-key-123456');
    assert.equal(old.status, 401, `old key after re-key: ${old.text}`);
    assert.equal(old.json.error, 'invalid_client');
    const t2 = await getToken(ctx.base, id, 'second-key-123456');
    assert.equal(t2.status, 200, `new key after re-key: ${t2.text}`);
  });

  it('a second server on the same database is refused (single writer lease)', async () => {
    const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', ctx.db.url], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(r.status, 0, `second server should not start: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout + r.stderr, /in use by another splitledger writer/);
    const h = await fetch(`${ctx.base}/healthz`);
    assert.equal(h.status, 200, 'the first server still serves');
  });
}, { clients: ['a', 'b'] });
