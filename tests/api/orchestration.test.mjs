// The orchestration dialect (docs/api-orchestration.md) against the real binary and the bundled
// sandbox adapter, driven through the hosted checkout over plain HTTP: create → authorize →
// capture / cancel-authorization / refund, every error of the seed page, iauth scope, expiry,
// unknown outcomes resolved by the reconciler, and the same money seen through the Echo dialect.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  BIN, BACKENDS, rand, createClient, startServer, stopServer, verify, getToken, req, Api, makeSeller,
  externalData,
} from './lib.mjs';

function cli(args) {
  return new Promise((res) => {
    execFile(BIN, args, { timeout: 60_000 }, (err, stdout, stderr) => res({ code: err ? err.code ?? 1 : 0, stdout, stderr }));
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A merchant of the dialect: its key, and helpers bound to it.
function merchant(base, key) {
  const auth = { Authorization: `Bearer ${key}` };
  return {
    key,
    create: (body) => req(base, 'POST', '/api/intents', { body, headers: auth }),
    get: (id, headers = auth) => req(base, 'GET', `/api/intents/${id}`, { headers }),
    capture: (id, method = 'GET') => req(base, method, `/api/v2/intents/${id}/capture`, { headers: auth }),
    cancel: (id, headers = auth, query = '') => req(base, 'GET', `/api/v2/intents/${id}/cancel-authorization${query}`, { headers }),
    refund: (id, body) => req(base, 'POST', `/api/intents/${id}/refund`, { body, headers: auth }),
  };
}

const intentBody = (extra = {}) => ({
  amount: 10000, currency: 'EUR', reference_id: `order-${rand(6)}`, purchaser_id: 'customer-1',
  return_url: 'https://shop.example/return?from=checkout', allow_remember_credentials: false, ...extra,
});

// Submits the hosted checkout's form as a browser would; returns the 303's Location.
async function checkout(base, intent, fields, path = '') {
  const u = new URL(intent.redirect_url);
  const r = await fetch(`${base}${u.pathname}${path}`, {
    method: 'POST', redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ iauth: u.searchParams.get('iauth'), ...fields }).toString(),
  });
  await r.text();
  assert.equal(r.status, 303, `checkout ${JSON.stringify(fields)} answered ${r.status}`);
  return r.headers.get('location');
}

async function waitStatus(m, id, want, ms = 20_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await m.get(id);
    if (want.includes(last.json?.status)) return last.json;
    await sleep(200);
  }
  assert.fail(`intent ${id} never reached ${want}: ${last?.text}`);
}

for (const backend of BACKENDS) {
  describe(`orchestration dialect [${backend.name}]`, () => {
    const ctx = {};
    before(async () => {
      ctx.db = await backend.create();
      ctx.a = { id: `cl-a-${rand(4)}`, key: `key-a-${rand(16)}` };
      ctx.b = { id: `cl-b-${rand(4)}`, key: `key-b-${rand(16)}` };
      await createClient(ctx.db.url, ctx.a.id, ctx.a.key);
      await createClient(ctx.db.url, ctx.b.id, ctx.b.key);
      ctx.srv = await startServer(ctx.db.url, ['--authorization-window', '4']);
      ctx.base = ctx.srv.base;
      ctx.A = merchant(ctx.base, ctx.a.key);
      ctx.B = merchant(ctx.base, ctx.b.key);
      const t = await getToken(ctx.base, ctx.a.id, ctx.a.key);
      ctx.echo = new Api(ctx.base, ctx.a.id, t.json.access_token);
    });
    after(async () => {
      try {
        const r = await stopServer(ctx.srv);
        assert.equal(r.code, 0, ctx.srv.log.slice(-2000));
        const v = await verify(ctx.db.url);
        assert.equal(v.code, 0, `verify: ${v.stdout}${v.stderr}`);
      } finally {
        await ctx.db.drop();
      }
    });

    it('client create prints a key of the test environment by default, sk_test_ when generated', async () => {
      const id = `cl-gen-${rand(4)}`;
      const r = await cli(['client', 'create', '--id', id, '--db', ctx.db.url]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout.trim().split('\n').pop());
      assert.equal(out.Environment, 'test');
      assert.match(out.ApiKey, /^sk_test_[0-9a-f]{48}$/);
      const m = merchant(ctx.base, out.ApiKey);
      const c = await m.create(intentBody());
      assert.equal(c.status, 201, c.text);
      assert.equal(c.json.environment, 'test');
    });

    it('refuses missing and wrong keys with 401 and the seed text', async () => {
      const none = await req(ctx.base, 'POST', '/api/intents', { body: intentBody() });
      assert.equal(none.status, 401);
      assert.deepEqual(none.json, { detail: 'Invalid or missing API key' });
      const wrong = await merchant(ctx.base, 'sk_test_nope').create(intentBody());
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.json, { detail: 'Invalid or missing API key' });
      const c = await ctx.A.create(intentBody());
      const get = await req(ctx.base, 'GET', `/api/intents/${c.json.id}`, { headers: { Authorization: 'Bearer x' } });
      assert.equal(get.status, 401);
    });

    it('validates a create: every bad field named, 422 with a detail string; a reference used twice is 409', async () => {
      const bad = await ctx.A.create(intentBody({ amount: -5, currency: 'XXX', purchaser_id: 'ab', return_url: 'ftp://x', capture_mode: 'later' }));
      assert.equal(bad.status, 422, bad.text);
      assert.equal(typeof bad.json.detail, 'string');
      for (const f of ['amount', 'capture_mode']) assert.match(bad.json.detail, new RegExp(f), bad.json.detail);
      const fields = await ctx.A.create(intentBody({ currency: 'XXX', purchaser_id: 'ab', return_url: 'ftp://x' }));
      for (const f of ['currency', 'purchaser_id', 'return_url']) assert.match(fields.json.detail, new RegExp(f), fields.json.detail);
      const notJson = await req(ctx.base, 'POST', '/api/intents', { body: '{"amount":', headers: { Authorization: `Bearer ${ctx.a.key}` } });
      assert.equal(notJson.status, 422);
      const missing = await ctx.A.create({ amount: 100 });
      assert.equal(missing.status, 422);
      assert.match(missing.json.detail, /currency/);
      const body = intentBody();
      assert.equal((await ctx.A.create(body)).status, 201);
      const again = await ctx.A.create(body);
      assert.equal(again.status, 409, again.text);
      assert.match(again.json.detail, /reference_id/);
      // The same reference is another merchant's own business.
      assert.equal((await ctx.B.create(body)).status, 201);
      const conn = await ctx.A.create(intentBody({ connection: 'nope' }));
      assert.equal(conn.status, 422);
      assert.match(conn.json.detail, /connection/);
    });

    it('immediate capture: the checkout approves, the customer returns to the shop, the intent ends success', async () => {
      const c = await ctx.A.create(intentBody());
      assert.equal(c.status, 201, c.text);
      assert.equal(c.json.status, 'selection');
      assert.equal(c.json.capture_mode, 'immediate');
      assert.equal(c.json.connection, 'sandbox');
      assert.match(c.json.redirect_url, new RegExp(`^${ctx.base}/checkout/${c.json.id}\\?iauth=`));
      const page = await fetch(c.json.redirect_url);
      const html = await page.text();
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy'), /default-src 'none'/);
      for (const o of ['approve', 'decline', '3ds', 'pending']) assert.match(html, new RegExp(`value="${o}"`));
      assert.match(html, /100\.00 EUR/);
      const to = await checkout(ctx.base, c.json, { outcome: 'approve' });
      assert.equal(to, `https://shop.example/return?from=checkout&intent_id=${c.json.id}`);
      const g = await ctx.A.get(c.json.id);
      assert.equal(g.json.status, 'success');
      assert.equal(g.json.captured_amount, 10000);
      assert.equal(g.json.attempts.length, 1);
      assert.equal(g.json.attempts[0].status, 'success');
      assert.equal(typeof g.json.attempts[0].id, 'number');
      assert.equal(g.json.redirect_url, null);
      // One ledger: the Echo dialect shows the same intent, captured.
      const e = await ctx.echo.v3('GET', `/payins/intents/${c.json.id}`);
      assert.equal(e.status, 200, e.text);
      assert.equal(e.json.Status, 'CAPTURED');
      assert.equal(e.json.Amount, 10000);
      // The link is spent for paying: a second approval is refused and nothing moves.
      const page2 = await (await fetch(c.json.redirect_url)).text();
      assert.doesNotMatch(page2, /value="approve"/);
    });

    it('prefer_delay: authorized, captured by GET then refused again; refunds up to the captured amount', async () => {
      const c = await ctx.A.create(intentBody({ capture_mode: 'prefer_delay', amount: 12000 }));
      await checkout(ctx.base, c.json, { outcome: 'approve' });
      const auth = await ctx.A.get(c.json.id);
      assert.equal(auth.json.status, 'authorized');
      assert.ok(auth.json.authorization_expires_at);
      assert.equal((await ctx.echo.v3('GET', `/payins/intents/${c.json.id}`)).json.Status, 'AUTHORIZED');
      const cap = await ctx.A.capture(c.json.id);
      assert.equal(cap.status, 200, cap.text);
      assert.deepEqual(cap.json, { intent_id: c.json.id, status: 'success' });
      const again = await ctx.A.capture(c.json.id, 'POST');
      assert.equal(again.status, 422);
      assert.match(again.json.detail, /already been captured/);
      const r1 = await ctx.A.refund(c.json.id, { amount: 3000, reason: 'return' });
      assert.equal(r1.status, 201, r1.text);
      assert.equal(r1.json.status, 'success');
      assert.equal(r1.json.amount, 3000);
      assert.equal(r1.json.intent_id, c.json.id);
      assert.equal(r1.json.reason, 'return');
      assert.equal(typeof r1.json.id, 'number');
      assert.equal(r1.json.attempt_id, auth.json.attempts[0].id);
      const tooMuch = await ctx.A.refund(c.json.id, { amount: 9001, reason: 'other' });
      assert.equal(tooMuch.status, 422);
      assert.match(tooMuch.json.detail, /exceeds/);
      const badReason = await ctx.A.refund(c.json.id, { amount: 1, reason: 'because' });
      assert.equal(badReason.status, 422);
      const r2 = await ctx.A.refund(c.json.id, { amount: 9000, reason: 'customer_request' });
      assert.equal(r2.json.status, 'success');
      assert.ok(r2.json.id > r1.json.id);
      const g = await ctx.A.get(c.json.id);
      assert.equal(g.json.refunded_amount, 12000);
      assert.equal(g.json.refundable_amount, 0);
      assert.deepEqual(g.json.refunds.map((r) => r.amount), [3000, 9000]);
      const e = await ctx.echo.v3('GET', `/payins/intents/${c.json.id}`);
      assert.equal(e.json.Status, 'REFUNDED');
    });

    it('cancel-authorization: the seed page answer, then every 4xx of the seed', async () => {
      const c = await ctx.A.create(intentBody({ capture_mode: 'prefer_delay' }));
      await checkout(ctx.base, c.json, { outcome: 'approve' });
      const attempt = (await ctx.A.get(c.json.id)).json.attempts[0];
      const r = await ctx.A.cancel(c.json.id);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, {
        id: attempt.id, attempt_status: 'canceled', method: 'card', failure_reason: null,
        intent_id: c.json.id, intent_status: 'canceled', action: null, redirect_url: null,
      });
      assert.equal((await ctx.echo.v3('GET', `/payins/intents/${c.json.id}`)).json.Status, 'CANCELLED');
      const twice = await ctx.A.cancel(c.json.id);
      assert.equal(twice.status, 422);
      assert.deepEqual(twice.json, { detail: 'Payment intent is not in authorized status' });

      const captured = await ctx.A.create(intentBody());
      await checkout(ctx.base, captured.json, { outcome: 'approve' });
      const afterCapture = await ctx.A.cancel(captured.json.id);
      assert.equal(afterCapture.status, 422);
      assert.deepEqual(afterCapture.json, { detail: 'Cannot cancel a captured payment. Use refund endpoint instead.' });

      const notPaid = await ctx.A.create(intentBody());
      const early = await ctx.A.cancel(notPaid.json.id);
      assert.equal(early.status, 422);
      assert.deepEqual(early.json, { detail: 'Payment intent is not in authorized status' });

      const unknown = await ctx.A.cancel('550e8400-e29b-41d4-a716-446655440000');
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.json, { detail: 'Payment intent not found' });

      const other = await ctx.A.create(intentBody({ capture_mode: 'prefer_delay' }));
      await checkout(ctx.base, other.json, { outcome: 'approve' });
      const foreign = await ctx.B.cancel(other.json.id);
      assert.equal(foreign.status, 403);
      assert.deepEqual(foreign.json, { detail: 'Not authorized to cancel this payment' });
      assert.equal((await ctx.A.get(other.json.id)).json.status, 'authorized', 'nothing changed');
      const noKey = await ctx.A.cancel(other.json.id, {});
      assert.equal(noKey.status, 401);
      assert.deepEqual(noKey.json, { detail: 'Invalid or missing API key' });
    });

    it('iauth: usable instead of the key for its own intent only, refused when tampered with', async () => {
      const one = await ctx.A.create(intentBody({ capture_mode: 'prefer_delay' }));
      const two = await ctx.A.create(intentBody({ capture_mode: 'prefer_delay' }));
      await checkout(ctx.base, one.json, { outcome: 'approve' });
      await checkout(ctx.base, two.json, { outcome: 'approve' });
      const iauth = one.json.iauth;
      assert.match(iauth, /^eyJ/);
      const read = await ctx.A.get(one.json.id, {}).then(() => req(ctx.base, 'GET', `/api/intents/${one.json.id}?iauth=${iauth}`));
      assert.equal(read.status, 200);
      assert.equal(read.json.iauth, undefined, 'an iauth caller does not get a token back');
      const cross = await ctx.A.cancel(two.json.id, {}, `?iauth=${iauth}`);
      assert.equal(cross.status, 403);
      assert.deepEqual(cross.json, { detail: 'Not authorized to cancel this payment' });
      const parts = iauth.split('.');
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url'));
      claims.sub = two.json.id;
      const forged = [parts[0], Buffer.from(JSON.stringify(claims)).toString('base64url'), parts[2]].join('.');
      const f = await ctx.A.cancel(two.json.id, {}, `?iauth=${forged}`);
      assert.equal(f.status, 403);
      // iauth cannot capture or refund: those need the merchant's key.
      const cap = await req(ctx.base, 'GET', `/api/v2/intents/${one.json.id}/capture?iauth=${iauth}`);
      assert.equal(cap.status, 401);
      // The customer's checkout link may read the intent, never cancel it.
      const checkoutToken = new URL(one.json.redirect_url).searchParams.get('iauth');
      assert.notEqual(checkoutToken, iauth);
      assert.equal((await req(ctx.base, 'GET', `/api/intents/${one.json.id}?iauth=${checkoutToken}`)).status, 200);
      const byCustomer = await ctx.A.cancel(one.json.id, {}, `?iauth=${checkoutToken}`);
      assert.equal(byCustomer.status, 403);
      assert.equal((await ctx.A.get(one.json.id)).json.status, 'authorized');
      const ok = await ctx.A.cancel(one.json.id, {}, `?iauth=${iauth}`);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.intent_status, 'canceled');
      assert.equal((await ctx.A.get(two.json.id)).json.status, 'authorized');
      const page = await fetch(`${ctx.base}/checkout/${two.json.id}?iauth=${iauth}`);
      assert.equal(page.status, 403);
    });

    it('a key of the other environment is refused with 401', async () => {
      const id = `cl-live-${rand(4)}`;
      const live = `sk_live_${rand(24)}`;
      const r = await cli(['client', 'create', '--id', id, '--api-key', live, '--environment', 'live', '--db', ctx.db.url]);
      assert.equal(r.code, 0, r.stderr);
      // No live connection is configured here: a live key cannot create.
      const c = await merchant(ctx.base, live).create(intentBody());
      assert.equal(c.status, 422, c.text);
      assert.match(c.json.detail, /live/);
      // The merchant's live key does not see its test intents; its test key keeps working.
      const t = await ctx.A.create(intentBody());
      const liveA = `sk_live_${rand(24)}`;
      const rr = await cli(['client', 'create', '--id', ctx.a.id, '--api-key', liveA, '--environment', 'live', '--db', ctx.db.url]);
      assert.equal(rr.code, 0, rr.stderr);
      const seen = await merchant(ctx.base, liveA).get(t.json.id);
      assert.equal(seen.status, 401);
      assert.deepEqual(seen.json, { detail: 'Invalid or missing API key' });
      assert.equal((await ctx.A.get(t.json.id)).status, 200, 'a key per environment');
      // A new test key replaces the old test key at once.
      const newTest = `key-a2-${rand(16)}`;
      const rt = await cli(['client', 'create', '--id', ctx.a.id, '--api-key', newTest, '--db', ctx.db.url]);
      assert.equal(rt.code, 0, rt.stderr);
      assert.equal((await ctx.A.get(t.json.id)).status, 401, 'the replaced key is refused');
      assert.equal((await merchant(ctx.base, newTest).get(t.json.id)).status, 200);
      const back = await cli(['client', 'create', '--id', ctx.a.id, '--api-key', ctx.a.key, '--db', ctx.db.url]);
      assert.equal(back.code, 0, back.stderr);
      assert.equal((await ctx.A.get(t.json.id)).status, 200);
    });

    it('a declined attempt sends the customer back to try again; the next attempt succeeds', async () => {
      const c = await ctx.A.create(intentBody());
      const to = await checkout(ctx.base, c.json, { outcome: 'decline' });
      assert.match(to, new RegExp(`/checkout/${c.json.id}\\?iauth=.*&declined=1$`));
      const page = await (await fetch(to)).text();
      assert.match(page, /declined/);
      assert.match(page, /CardDeclined/);
      const g = await ctx.A.get(c.json.id);
      assert.equal(g.json.status, 'selection');
      assert.equal(g.json.attempts[0].status, 'failed');
      assert.equal(g.json.attempts[0].failure_reason, 'CardDeclined');
      assert.equal((await ctx.echo.v3('GET', `/payins/intents/${c.json.id}`)).status, 404, 'nothing held in the ledger');
      await checkout(ctx.base, c.json, { outcome: 'approve' });
      const done = await ctx.A.get(c.json.id);
      assert.equal(done.json.status, 'success');
      assert.deepEqual(done.json.attempts.map((a) => a.status), ['failed', 'success']);
      assert.ok(done.json.attempts[1].id > done.json.attempts[0].id);
    });

    it('3-D Secure: the checkout plays the challenge, approve authorizes, fail declines', async () => {
      const c = await ctx.A.create(intentBody());
      const to = await checkout(ctx.base, c.json, { outcome: '3ds' });
      assert.match(to, new RegExp(`/checkout/${c.json.id}\\?iauth=`));
      assert.equal((await ctx.A.get(c.json.id)).json.status, 'pending');
      const page = await (await fetch(to)).text();
      assert.match(page, /3-D Secure/);
      const back = await checkout(ctx.base, c.json, { result: 'approve' }, '/challenge');
      assert.match(back, /^https:\/\/shop\.example\/return/);
      assert.equal((await ctx.A.get(c.json.id)).json.status, 'success');

      const d = await ctx.A.create(intentBody());
      await checkout(ctx.base, d.json, { outcome: '3ds' });
      const again = await checkout(ctx.base, d.json, { result: 'fail' }, '/challenge');
      assert.match(again, /declined=1$/);
      assert.equal((await ctx.A.get(d.json.id)).json.status, 'selection');
    });

    it('pending and unknown outcomes are never failed: the reconciler syncs them to success', async () => {
      const p = await ctx.A.create(intentBody());
      const to = await checkout(ctx.base, p.json, { outcome: 'pending' });
      assert.match(to, /^https:\/\/shop\.example\/return/);
      assert.equal((await ctx.A.get(p.json.id)).json.status, 'pending');
      const u = await ctx.A.create(intentBody({ amount: 10004 }));  // the sandbox loses this answer
      await checkout(ctx.base, u.json, { outcome: 'pay' });
      assert.equal((await ctx.A.get(u.json.id)).json.status, 'pending');
      assert.equal((await waitStatus(ctx.A, p.json.id, ['success'])).captured_amount, 10000);
      assert.equal((await waitStatus(ctx.A, u.json.id, ['success'])).captured_amount, 10004);
    });

    it('an authorization expires after its window: voided, the hold released, 422 with the seed text', async () => {
      const c = await ctx.A.create(intentBody({ capture_mode: 'prefer_delay' }));
      await checkout(ctx.base, c.json, { outcome: 'approve' });
      const done = await waitStatus(ctx.A, c.json.id, ['expired'], 15_000);
      assert.equal(done.attempts[0].status, 'expired');
      const r = await ctx.A.cancel(c.json.id);
      assert.equal(r.status, 422);
      assert.deepEqual(r.json, { detail: 'Cancellation failed: Authorization already expired' });
      const cap = await ctx.A.capture(c.json.id);
      assert.equal(cap.status, 422);
      const e = await ctx.echo.v3('GET', `/payins/intents/${c.json.id}`);
      assert.equal(e.json.Status, 'CANCELLED');
    });

    it('line items with sellers: the captured intent is split through the Echo dialect', async () => {
      const seller = await makeSeller(ctx.echo);
      const c = await ctx.A.create(intentBody({
        amount: 5000,
        line_items: [
          { name: 'mug', quantity: 2, unit_amount: 1500, seller_id: seller.userId, seller_wallet_id: seller.walletId, fee: 300 },
          { name: 'tee', quantity: 1, unit_amount: 2000, seller_id: seller.userId, seller_wallet_id: seller.walletId, fee: 200 },
        ],
      }));
      assert.equal(c.status, 201, c.text);
      const bad = await ctx.A.create(intentBody({ amount: 4999, line_items: [{ unit_amount: 5000 }] }));
      assert.equal(bad.status, 422);
      assert.match(bad.json.detail, /line_items/);
      const noWallet = await ctx.A.create(intentBody({ amount: 100, line_items: [{ unit_amount: 100, seller_wallet_id: 'wlt_nope' }] }));
      assert.equal(noWallet.status, 422, noWallet.text);
      await checkout(ctx.base, c.json, { outcome: 'approve' });
      const e = await ctx.echo.v3('GET', `/payins/intents/${c.json.id}`);
      assert.equal(e.json.Status, 'CAPTURED');
      assert.equal(e.json.LineItems.length, 2);
      assert.equal(e.json.PlatformFeesAmount, 500);
      const line = e.json.LineItems[0];
      // Echo may split it, never capture, cancel or refund it behind the PSP's back.
      const echoRefund = await ctx.echo.v3('POST', `/payins/intents/${c.json.id}/refunds`, { ExternalData: externalData() });
      assert.equal(echoRefund.status, 400, echoRefund.text);
      assert.match(echoRefund.text, /orchestration/);
      const split = await ctx.echo.v3('POST', `/payins/intents/${c.json.id}/splits`, {
        Splits: [{ LineItemId: line.Id, SplitAmount: 3000 }],
      });
      assert.equal(split.status, 200, split.text);
    });

    it('the payments survive a restart', async () => {
      const c = await ctx.A.create(intentBody({ capture_mode: 'prefer_delay' }));
      await checkout(ctx.base, c.json, { outcome: 'approve' });
      const before = (await ctx.A.get(c.json.id)).json;
      const r = await stopServer(ctx.srv);
      assert.equal(r.code, 0);
      ctx.srv = await startServer(ctx.db.url, ['--authorization-window', '3600']);
      ctx.base = ctx.srv.base;
      ctx.A = merchant(ctx.base, ctx.a.key);
      const after = (await ctx.A.get(c.json.id)).json;
      assert.equal(after.status, before.status === 'expired' ? 'expired' : 'authorized');
      assert.deepEqual(after.attempts, before.attempts);
      const next = await ctx.A.create(intentBody());
      await checkout(ctx.base, next.json, { outcome: 'approve' });
      const g = (await ctx.A.get(next.json.id)).json;
      assert.ok(g.attempts[0].id > before.attempts[0].id, 'attempt ids keep growing');
    });
  });
}
